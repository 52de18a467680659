/**
 * OpenID4VP across two gateway instances on one Redis, each with its own data directory: the wallet fetches
 * the signed request object from A and posts its (encrypted, direct_post.jwt) answer to B, while the
 * browser's requests alternate. B must know A's transaction (the sealed store) and present the same verifier
 * identity: the key-binding JWT's `aud` is the `x509_hash` client id of the certificate A signed the request
 * with, so both instances need the same verifier key (KAKEHASHI_ADAPTER_KEYS) and therefore the same leaf.
 *
 * The credential comes from the same deployment's issuer (requests alternating too). The verifier's trust
 * anchor is built by the test from the operator's supplied issuer root key alone — the TEST root every
 * instance publishes has that name and key, whichever instance is asked.
 */
import type { JWK } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuerChain } from '../../../adapters/eudi/issuer/issuer-key.js';
import { JP_PID_STYLE_DOCTYPE } from '../../../adapters/eudi/issuer/mdoc.js';
import { PID_CONFIGURATION_ID } from '../../../adapters/eudi/issuer/provider-feature.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import { TestBrowser } from '../../helpers/browser.js';
import { codeFlow } from '../../helpers/code-flow.js';
import { privateKeyJwtClient } from '../../helpers/gateway.js';
import { redisAvailable } from '../../helpers/redis.js';
import { discover } from '../../helpers/rp.js';
import { adapterKeys } from '../../helpers/spawn-gateway.js';
import { answer, fetchVpRequest } from '../eudi/vp-wallet.js';
import { issuerTarget, TestWallet, WALLET, WALLET_CB } from '../eudi/wallet.js';
import { balance } from './balancer.js';
import { type Pair, spawnPair } from './pair.js';

const haveRedis = await redisAvailable();
const REDIRECT = 'http://127.0.0.1:9/cb';
const HIGH = 'urn:kakehashi:loa:high';
let pair: Pair;
let issuer: string;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;

const pairOf = (privateJwk: JWK) => {
  const { d: _d, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
};

describe.skipIf(!haveRedis)('OpenID4VP across two instances (request from A, answer to B)', () => {
  beforeAll(async () => {
    rp = await privateKeyJwtClient('rp-wallet-multi', REDIRECT);
    const supplied = await adapterKeys([
      'eudi:issuer',
      'eudi:issuer-test-root',
      'wallet:verifier',
      'wallet:verifier-test-root',
    ]);
    const map = JSON.parse(supplied.KAKEHASHI_ADAPTER_KEYS!) as Record<string, JWK>;
    const { rootPem } = await createTestIssuerChain({
      root: pairOf(map['eudi:issuer-test-root']!),
      issuer: pairOf(map['eudi:issuer']!),
      issuerName: 'unused',
      now: Date.now(),
    });
    pair = await spawnPair(
      {
        sources: [
          { adapter: 'demo', name: 'demo', options: { loa: 'high' } },
          {
            adapter: 'eudi-wallet',
            name: 'wallet',
            options: {
              trustedIssuers: [
                {
                  name: 'kakehashi-test',
                  anchors: [rootPem],
                  vcts: [JP_PID_STYLE_VCT],
                  doctypes: [JP_PID_STYLE_DOCTYPE],
                  loa: 'high',
                },
              ],
            },
          },
        ],
        targets: [issuerTarget()],
        clients: [rp.config],
      },
      { env: supplied },
    );
    issuer = pair.issuer;
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
  });

  /** Issue a credential through the deployment (requests alternating). */
  async function issue(wallet: TestWallet): Promise<string> {
    const lb = balance(pair);
    try {
      return await wallet.obtain(
        await wallet.authorize('jp_pid_style', new TestBrowser()),
        PID_CONFIGURATION_ID,
      );
    } finally {
      lb.restore();
    }
  }

  /** A wallet login: request object from `requestFrom`, answer to `answerTo`, the browser alternating. */
  async function walletLogin(
    wallet: TestWallet,
    credential: string,
    requestFrom: 'A' | 'B',
    answerTo: 'A' | 'B',
  ) {
    const lb = balance(pair, ({ path }) => {
      if (path.startsWith('/a/wallet/request/')) return requestFrom;
      if (path.startsWith('/a/wallet/response/')) return answerTo;
      return undefined;
    });
    try {
      const flow = await codeFlow(await discover(issuer, rp), REDIRECT, {
        acr_values: HIGH,
        scope: 'openid profile',
      });
      const browser = new TestBrowser();
      const atRp = (u: string) => u.startsWith(REDIRECT);
      const login = await browser.follow(flow.url.href, atRp);
      const page = await browser.submit(login, '/source/wallet', {}, atRp);
      expect(page.status, lb.log()).toBe(200);
      const req = await fetchVpRequest(page.body);
      expect(req.response_mode).toBe('direct_post.jwt');
      const answered = await answer(wallet, req, credential);
      expect(answered, lb.log()).toMatchObject({ status: 200, body: {} });

      const status = await browser.request(`${issuer}/a/wallet/status/${req.state}`);
      expect(JSON.parse(status.body).state).not.toBe('pending');
      let done = await browser.follow(`${issuer}/a/wallet/finish/${req.state}`, atRp);
      if (done.body.includes('id="consent"'))
        done = await browser.submit(done, '#consent', { decision: 'approve' }, atRp);
      expect(done.url.startsWith(REDIRECT), lb.log()).toBe(true);
      const { claims, info } = await flow.redeem(new URL(done.url));
      const by = (p: string) => lb.served.filter((s) => s.path.startsWith(p)).map((s) => s.by);
      expect(by('/a/wallet/request/'), lb.log()).toEqual([requestFrom]);
      expect(by('/a/wallet/response/'), lb.log()).toEqual([answerTo]);
      expect(new Set(lb.served.map((s) => s.by))).toEqual(new Set(['A', 'B']));
      return { claims, info };
    } finally {
      lb.restore();
    }
  }

  it('verifies at B the answer to a request A signed, and at A one to a request B signed; same subject', async () => {
    const wallet = new TestWallet(issuer, WALLET, WALLET_CB);
    const credential = await issue(wallet);
    const first = await walletLogin(wallet, credential, 'A', 'B');
    expect(first.claims.acr).toBe(HIGH);
    expect(first.info).toMatchObject({ family_name: expect.any(String), birthdate: '1990-04-01' });
    // The other way round: the pseudonymous subject does not depend on the verifying instance.
    const second = await walletLogin(wallet, credential, 'B', 'A');
    expect(second.claims.sub).toBe(first.claims.sub);
  });

  it('both instances present the same verifier certificate and client id', async () => {
    const ids = new Set<string>();
    for (const target of ['A', 'B'] as const) {
      const lb = balance(pair, () => target);
      try {
        const c = await discover(issuer, rp);
        const url = oidc.buildAuthorizationUrl(c, {
          redirect_uri: REDIRECT,
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          acr_values: HIGH,
          scope: 'openid',
        });
        const browser = new TestBrowser();
        const login = await browser.follow(url.href, (u) => u.startsWith(REDIRECT));
        const page = await browser.submit(login, '/source/wallet', {}, (u) => u.startsWith(REDIRECT));
        ids.add((await fetchVpRequest(page.body)).client_id);
      } finally {
        lb.restore();
      }
    }
    expect(ids.size).toBe(1);
  });
});
