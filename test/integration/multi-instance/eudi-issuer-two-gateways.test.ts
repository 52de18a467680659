/**
 * OpenID4VCI across two gateway instances on one Redis, each with its own data directory, sharing only the
 * environment an operator gives every instance (KAKEHASHI_* keys, KAKEHASHI_ADAPTER_KEYS). The wallet's
 * requests alternate between A and B, with the nonce fetched from A and the credential requested (signed) at
 * B; independent verifiers then check it against what the other instance publishes: A's TEST root (x5c
 * chain, mdoc path validation) and A's status list token (SD-JWT VC status check with the issuer key).
 *
 * Without shared adapter keys each instance would sign with its own issuer key under its own root, and the
 * c_nonce secret (derived from the pepper now) would differ, so B would refuse A's nonce.
 */
import { X509Certificate } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PID_CONFIGURATION_ID,
  PID_MDOC_CONFIGURATION_ID,
} from '../../../adapters/eudi/issuer/provider-feature.js';
import { TestBrowser } from '../../helpers/browser.js';
import { redisAvailable } from '../../helpers/redis.js';
import { browserLogin } from '../../helpers/rp.js';
import { adapterKeys, type GatewayProcess } from '../../helpers/spawn-gateway.js';
import {
  independentVerifier,
  issuerTarget,
  readPidMdoc,
  TestWallet,
  WALLET,
  WALLET_CB,
} from '../eudi/wallet.js';
import { type Balancer, balance } from './balancer.js';
import { type Pair, spawnPair } from './pair.js';

const haveRedis = await redisAvailable();
let pair: Pair;
let a: GatewayProcess;
let issuer: string;
/** Paths of the nonce and credential endpoints (from the issuer metadata). */
const NONCE = '/challenge';
const CREDENTIAL = '/credential';

/**
 * The wallet's requests alternate, except: nonce from A, the credential request (so the signing) at B, and
 * what a verifier reads (status lists, the TEST root) from `reads`.
 */
function walletBalancer(reads: 'A' | 'B'): Balancer {
  return balance(pair, ({ method, path }) => {
    if (path === NONCE) return 'A';
    if (method === 'POST' && path === CREDENTIAL) return 'B';
    if (path.startsWith('/a/eudi/status/') || path === '/a/eudi/test-root.pem') return reads;
    return undefined;
  });
}

describe.skipIf(!haveRedis)('OpenID4VCI issuance across two instances (own data dirs, shared keys)', () => {
  beforeAll(async () => {
    pair = await spawnPair(
      {
        sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'high' } }],
        targets: [issuerTarget()],
      },
      // What the operator generates once: the pairs the issuer publishes (key and its TEST root).
      { env: await adapterKeys(['eudi:issuer', 'eudi:issuer-test-root']) },
    );
    ({ a, issuer } = pair);
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
  });

  it('issues an SD-JWT VC at B with requests spread over A and B; its x5c chains to A’s root and A’s status list verifies', async () => {
    const lb = walletBalancer('A');
    try {
      const wallet = new TestWallet(issuer, WALLET, WALLET_CB);
      const token = await wallet.authorize('jp_pid_style', new TestBrowser());
      const credential = await wallet.obtain(token, PID_CONFIGURATION_ID);
      const m = await wallet.metadata();
      expect([new URL(m.nonce_endpoint).pathname, new URL(m.credential_endpoint).pathname]).toEqual([
        NONCE,
        CREDENTIAL,
      ]);
      const nonce = lb.served.find((s) => s.path === NONCE);
      const issued = lb.served.find((s) => s.method === 'POST' && s.path === CREDENTIAL);
      expect([nonce?.by, issued?.by], lb.log()).toEqual(['A', 'B']);
      expect(lb.served.filter((s) => s.by === 'B').length, lb.log()).toBeGreaterThan(2);

      // The issuer certificate in the credential B signed is certified by the root A publishes.
      const { x5c } = decodeProtectedHeader(credential.split('~')[0]!);
      const leaf = new X509Certificate(Buffer.from(x5c![0]!, 'base64'));
      const rootA = new X509Certificate(await (await fetch(`${issuer}/a/eudi/test-root.pem`)).text());
      expect(leaf.checkIssued(rootA)).toBe(true);
      expect(leaf.verify(rootA.publicKey)).toBe(true);

      // @sd-jwt/sd-jwt-vc verifies the credential with the leaf key and fetches its status list from A,
      // whose token must be signed by the same issuer key.
      const statusReads = lb.served.length;
      const { payload } = await (await independentVerifier(credential)).verify(credential);
      expect(payload).toMatchObject({ iss: issuer, family_name: 'Kakehashi' });
      expect(lb.served.slice(statusReads).map((s) => `${s.path} ${s.by}`)).toContain('/a/eudi/status/1 A');
    } finally {
      lb.restore();
    }
  });

  it('issues an mdoc at B that a reader trusting only A’s TEST root verifies, as one trusting only B’s', async () => {
    const lb = walletBalancer('B');
    let rootA: string;
    let rootB: string;
    let credential: string;
    const wallet = new TestWallet(issuer, WALLET, WALLET_CB);
    try {
      const token = await wallet.authorize('jp_pid_style', new TestBrowser());
      credential = await wallet.obtain(token, PID_MDOC_CONFIGURATION_ID);
      rootB = await (await fetch(`${issuer}/a/eudi/test-root.pem`)).text();
    } finally {
      lb.restore();
    }
    rootA = await (await fetch(`${a.url}/a/eudi/test-root.pem`)).text();
    const holder = await wallet.key;
    const elements = ['family_name', 'given_name'];
    for (const root of [rootA, rootB]) {
      expect(await readPidMdoc(credential, elements, holder.privateJwk, [root])).toMatchObject({
        family_name: 'Kakehashi',
      });
    }
  });
  it('pre-authorized code: the offer page starts at A, its hub callback lands on B, the wallet redeems spread over both', async () => {
    // The offer page is a client of the gateway's own hub (`eudi:offer-client`, derived from the pepper): B
    // redeems at the hub a code issued for the client A registered.
    const lb = balance(pair, ({ path }) => {
      if (path === '/a/eudi/offer') return 'A';
      if (path === '/a/eudi/offer/callback') return 'B';
      return undefined;
    });
    try {
      const browser = new TestBrowser();
      const start = await browser.request(`${issuer}/a/eudi/offer`);
      const { callbackUrl } = await browserLogin(
        start.headers.get('location')!,
        `${issuer}/a/eudi/offer/callback`,
        { browser },
      );
      const page = await browser.request(callbackUrl.href);
      expect(page.status, lb.log()).toBe(200);
      const uri = /id="offer-link" href="([^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
      const txCode = /id="tx-code"[^>]*>(\d+)</.exec(page.body)?.[1];
      expect(uri && txCode, lb.log()).toBeTruthy();
      const by = (p: string) => lb.served.filter((s) => s.path === p).map((s) => s.by);
      expect(by('/a/eudi/offer'), lb.log()).toEqual(['A']);
      expect(by('/a/eudi/offer/callback'), lb.log()).toEqual(['B']);

      const wallet = new TestWallet(issuer, WALLET, WALLET_CB);
      const credential = await wallet.obtain(await wallet.redeemOffer(uri!, txCode!), PID_CONFIGURATION_ID);
      const { payload } = await (await independentVerifier(credential)).verify(credential);
      expect(payload).toMatchObject({ iss: issuer, family_name: 'Kakehashi' });
      expect(new Set(lb.served.map((s) => s.by))).toEqual(new Set(['A', 'B']));
    } finally {
      lb.restore();
    }
  });
});
