/**
 * OpenID4VP 1.0 over HTTP against a real gateway: a Japanese RP (openid-client) logs in with the
 * `eudi-wallet` source; the test wallet reads the openid4vp:// link from the waiting page, fetches and
 * checks the signed request object (x509_hash), presents with @sd-jwt/sd-jwt-vc a credential the gateway's
 * own issuer (OpenID4VCI) issued, and answers by direct_post.jwt or direct_post. Round trip: the canonical
 * attributes behind the wallet login equal those of the login the credential was issued from.
 * Forgeries over HTTP: each asserts the code the RP receives and the audit event.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CompactEncrypt, decodeJwt, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EUDI_ERRORS, type EudiErrorCode } from '../../../adapters/eudi/errors.js';
import { issuePidCredential } from '../../../adapters/eudi/issuer/issue-credential.js';
import { issuePidMdoc, JP_PID_STYLE_DOCTYPE, PID_NAMESPACE } from '../../../adapters/eudi/issuer/mdoc.js';
import {
  PID_CONFIGURATION_ID,
  PID_MDOC_CONFIGURATION_ID,
} from '../../../adapters/eudi/issuer/provider-feature.js';
import { revokeCredential } from '../../../adapters/eudi/issuer/revoke.js';
import { EU_PID_DOCTYPE, JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import { createGateway, type Gateway } from '../../../src/app.js';
import { runCli } from '../../../src/cli.js';
import { loadConfigObject } from '../../../src/config/load-config.js';
import { TestBrowser } from '../../helpers/browser.js';
import { freePort, privateKeyJwtClient } from '../../helpers/gateway.js';
import { browserLogin, discover } from '../../helpers/rp.js';
import { jpkiIdentity, testIssuer } from '../../unit/eudi/fixtures.js';
import {
  answer,
  answerMdoc,
  fetchVpRequest,
  mdocQuery,
  post,
  postForm,
  type VpRequest,
} from './vp-wallet.js';
import { issuerTarget, TestWallet, WALLET, WALLET_CB } from './wallet.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const HIGH = 'urn:kakehashi:loa:high';
const TTL = 60;
/** The basic four (and gender) as claims and verified_claims, as a Japanese RP asks for them. */
const BASIC = {
  scope: 'openid profile address',
  claims: JSON.stringify({
    userinfo: {
      verified_claims: {
        verification: { trust_framework: null },
        claims: { family_name: null, given_name: null, birthdate: null, address: null, gender: null },
      },
    },
  }),
};
/** Personal values of the demo identity that must never reach a log or the plain store. */
const PERSONAL = ['花子', 'Hanako', 'ハナコ', '1990-04-01', '霞が関'];

const logs: string[] = [];
let skewMs = 0;
let dataDir: string;
let port: number;
let issuer: string;
let gw: Gateway;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;
let wallet: TestWallet;
let rootPem: string;
let clientIdBeforeRestart: string;

const walletSource = (
  name: string,
  anchors: string[],
  extra: Record<string, unknown> = {},
  doctypes = [JP_PID_STYLE_DOCTYPE],
) => ({
  adapter: 'eudi-wallet',
  name,
  options: {
    trustedIssuers: [{ name: 'kakehashi-test', anchors, vcts: [JP_PID_STYLE_VCT], doctypes, loa: 'high' }],
    // Revocation takes effect at once in these tests (the default reuses a status list for 60 s).
    statusListCacheSeconds: 0,
    requestTtlSeconds: TTL,
    ...extra,
  },
});

async function boot(sources: unknown[]): Promise<Gateway> {
  const raw = {
    issuer,
    listen: { host: '127.0.0.1', port },
    dataDir,
    devMode: true,
    keys: { source: 'generate' },
    sources,
    targets: [issuerTarget()],
    clients: [rp.config],
    log: { level: 'debug' },
  };
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const g = await createGateway(loadConfigObject(raw, {}), {
    env: {},
    log: pino({ level: 'debug' }, sink),
    now: () => Date.now() + skewMs,
  });
  await g.listen(port, '127.0.0.1');
  return g;
}

interface Started {
  c: oidc.Configuration;
  verifier: string;
  state: string;
  nonce: string;
  browser: TestBrowser;
  page: string;
  req: VpRequest;
  source: string;
  /** Audit records before this login (refusals are looked up after it). */
  auditFrom: number;
}

const atRp = (u: string) => u.startsWith(REDIRECT);

/** The RP redirects to the hub, the user picks the wallet source; the wallet reads the QR/link and fetches the request. */
async function start(
  source = 'wallet',
  params: Record<string, string> = BASIC,
  flow: 'cross-device' | 'same-device' = 'cross-device',
): Promise<Started> {
  const auditFrom = (await gw.store.readAudit(0)).length;
  const c = await discover(issuer, rp);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(c, {
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    acr_values: HIGH,
    ...params,
  });
  const browser = new TestBrowser();
  const login = await browser.follow(url.href, atRp);
  expect(login.body).toContain(`data-source="${source}"`);
  const page = await browser.submit(login, `/source/${source}`, {}, atRp);
  expect(page.status).toBe(200);
  const req = await fetchVpRequest(page.body, flow);
  return { c, verifier, state, nonce, browser, page: page.body, req, source, auditFrom };
}

/** The browser's poller saw the wallet answer: it goes to /finish and on to consent and the RP. */
async function finish(s: Started): Promise<URL> {
  const status = await s.browser.request(`${issuer}/a/${s.source}/status/${s.req.state}`);
  expect(JSON.parse(status.body).state).not.toBe('pending');
  let page = await s.browser.follow(`${issuer}/a/${s.source}/finish/${s.req.state}`, atRp);
  if (page.body.includes('id="consent"'))
    page = await s.browser.submit(page, '#consent', { decision: 'approve' }, atRp);
  expect(page.url.startsWith(REDIRECT)).toBe(true);
  return new URL(page.url);
}

async function tokens(s: Started, callbackUrl: URL) {
  const t = await oidc.authorizationCodeGrant(s.c, callbackUrl, {
    pkceCodeVerifier: s.verifier,
    expectedState: s.state,
    expectedNonce: s.nonce,
  });
  const claims = t.claims()!;
  return { claims, info: await oidc.fetchUserInfo(s.c, t.access_token, claims.sub) };
}

async function refusals(
  from = 0,
): Promise<{ reason?: string; source?: string; client?: string; interaction?: string }[]> {
  return (await gw.store.readAudit(0))
    .slice(from)
    .map(
      (r) => JSON.parse(r.body) as { type: string; reason?: string; source?: string; interaction?: string },
    )
    .filter((e) => e.type === 'login.refused');
}

/** The wallet got `code` at the response endpoint; the RP gets access_denied with its description; audited. */
async function expectRefused(
  s: Started,
  walletAnswer: { status: number; body: { error_description?: string } },
  code: EudiErrorCode,
  httpStatus = 400,
) {
  expect(walletAnswer.status).toBe(httpStatus);
  expect(walletAnswer.body.error_description).toBe(EUDI_ERRORS[code]);
  const callbackUrl = await finish(s);
  expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
  expect(callbackUrl.searchParams.get('error_description')).toBe(EUDI_ERRORS[code]);
  await expect(
    oidc.authorizationCodeGrant(s.c, callbackUrl, { pkceCodeVerifier: s.verifier, expectedState: s.state }),
  ).rejects.toMatchObject({ error: 'access_denied', error_description: EUDI_ERRORS[code] });
  // The source's event (with the source) and the hub's (with the client), both with the code.
  const events = await refusals(s.auditFrom);
  expect(events).toContainEqual(expect.objectContaining({ reason: code, source: s.source }));
  expect(events).toContainEqual(expect.objectContaining({ reason: code, client: rp.clientId }));
}

async function credential(): Promise<string> {
  return wallet.obtain(await wallet.authorize('jp_pid_style', new TestBrowser()), PID_CONFIGURATION_ID);
}

async function mdocCredential(): Promise<string> {
  return wallet.obtain(await wallet.authorize('jp_pid_style', new TestBrowser()), PID_MDOC_CONFIGURATION_ID);
}

async function credentialIdOf(c: string): Promise<string> {
  const idx = (decodeJwt(c.split('~')[0]!) as { status: { status_list: { idx: number } } }).status.status_list
    .idx;
  const ids = (await gw.store.readAudit(0))
    .map((r) => JSON.parse(r.body) as { type?: string; detail?: { credential?: string } })
    .filter((e) => e.type === 'credential.issued')
    .map((e) => String(e.detail?.credential));
  for (const id of ids)
    if ((await gw.store.get<{ idx: number }>('a:eudi', `status:cred:${id}`))?.idx === idx) return id;
  throw new Error('credential id not found in the audit log');
}

function rootPemFile(): string {
  const file = join(dataDir, 'issuer-test-root.pem');
  writeFileSync(file, rootPem);
  return file;
}

let firstPresentation: { req: VpRequest; presentation: string } | undefined;
let firstMdoc: { req: VpRequest; presentation: string } | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kakehashi-vp-'));
  port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  rp = await privateKeyJwtClient('rp-wallet', REDIRECT);
  // First start: the issuer generates its TEST root; the verifier trusts some other root for now.
  const other = await testIssuer('Another issuer');
  gw = await boot([
    { adapter: 'demo', name: 'demo', options: { loa: 'high' } },
    walletSource('wallet', [other.rootPem]),
  ]);
  const res = await fetch(`${issuer}/a/eudi/test-root.pem`);
  expect(res.headers.get('content-type')).toContain('application/x-pem-file');
  rootPem = await res.text();
  clientIdBeforeRestart = (await start()).req.client_id;
  await gw.close();
  // Restart with the issuer's TEST root on the verifier's trust list (its key and name persist).
  gw = await boot([
    { adapter: 'demo', name: 'demo', options: { loa: 'high' } },
    walletSource('wallet', [rootPem]),
    // The same anchor as a PEM file path. Its entry also lists the EU PID docType (only to test that an mdoc
    // of one docType does not answer the query for another).
    walletSource('wallet-plain', [rootPemFile()], { responseMode: 'direct_post' }, [
      EU_PID_DOCTYPE,
      JP_PID_STYLE_DOCTYPE,
    ]),
  ]);
  wallet = new TestWallet(issuer, WALLET, WALLET_CB);
}, 60_000);

afterAll(async () => {
  await gw?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('OpenID4VP verifier source over HTTP', () => {
  it('direct_post.jwt: a signed request by reference, DCQL for the requested PID claims; the RP gets the mapped identity (round trip)', async () => {
    // The identity the credential is issued from, as this RP sees it after a plain demo login.
    const c = await discover(issuer, rp);
    const direct = oidc.randomPKCECodeVerifier();
    const demo = await browserLogin(
      oidc.buildAuthorizationUrl(c, {
        redirect_uri: REDIRECT,
        code_challenge: await oidc.calculatePKCECodeChallenge(direct),
        code_challenge_method: 'S256',
        state: 'demo-state',
        acr_values: HIGH,
        ...BASIC,
      }).href,
      REDIRECT,
      { source: 'demo' },
    );
    const demoTokens = await oidc.authorizationCodeGrant(c, demo.callbackUrl, {
      pkceCodeVerifier: direct,
      expectedState: 'demo-state',
    });
    const demoInfo = await oidc.fetchUserInfo(c, demoTokens.access_token, demoTokens.claims()!.sub);

    const cred = await credential();
    const s = await start();
    // The waiting page: a QR code and the same-device link carry the same openid4vp:// request.
    expect(s.page).toContain('<svg');
    expect(s.page).toMatch(/data-request="openid4vp:\/\/\?client_id=x509_hash%3A/);
    expect(s.page).toMatch(/href="openid4vp:\/\/\?client_id=x509_hash%3A[^"]+flow%3Dsame-device"/);
    expect(s.req.client_id).toMatch(/^x509_hash:[A-Za-z0-9_-]{43}$/);
    // The generated TEST verifier certificate persists: the client id survives a restart.
    expect(s.req.client_id).toBe(clientIdBeforeRestart);
    expect(s.req).toMatchObject({
      response_type: 'vp_token',
      response_mode: 'direct_post.jwt',
      response_uri: `${issuer}/a/wallet/response/${s.req.state}`,
    });
    const q = s.req.dcql_query.credentials[0]!;
    expect(q).toMatchObject({
      format: 'dc+sd-jwt',
      meta: { vct_values: expect.arrayContaining([JP_PID_STYLE_VCT]) },
    });
    expect(q.claims.map((x) => x.path.join('.'))).toEqual(
      expect.arrayContaining(['family_name', 'given_name', 'birthdate', 'address', 'sex']),
    );
    const encKey = s.req.client_metadata.jwks!.keys[0]!;
    expect(encKey).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'enc', alg: 'ECDH-ES' });
    expect(encKey).not.toHaveProperty('d');

    const answered = await answer(wallet, s.req, cred);
    expect(answered).toMatchObject({ status: 200, body: {} });
    firstPresentation = { req: s.req, presentation: answered.presentation };
    const { claims, info } = await tokens(s, await finish(s));
    expect(claims.acr).toBe(HIGH);
    expect(claims.amr).toEqual(['pop']);
    // Round trip: the same canonical attributes as the login the credential came from.
    const { sub: _a, verified_claims: demoVc, ...demoStd } = demoInfo as Record<string, unknown>;
    const { sub: _b, verified_claims: vc, ...std } = info as Record<string, unknown>;
    expect(std).toEqual(demoStd);
    expect(std).toMatchObject({ family_name: expect.any(String), birthdate: '1990-04-01' });
    expect((vc as { claims: unknown }).claims).toEqual((demoVc as { claims: unknown }).claims);
    expect((vc as { verification: { trust_framework: string } }).verification.trust_framework).toBe(
      'eudi_pid',
    );
    const successes = (await gw.store.readAudit(0))
      .map((r) => JSON.parse(r.body) as { type: string; source?: string; interaction?: string })
      .filter((e) => e.type === 'login.success' && e.source === 'wallet');
    expect(successes).toHaveLength(1);
  });

  it('direct_post: a pseudonymous login discloses only what the query asks for', async () => {
    const cred = await credential();
    const s = await start('wallet-plain', { scope: 'openid' });
    expect(s.req.response_mode).toBe('direct_post');
    expect(s.req.client_metadata.jwks).toBeUndefined();
    const answered = await answer(wallet, s.req, cred);
    expect(answered.status).toBe(200);
    const disclosed = answered.presentation
      .split('~')
      .slice(1, -1)
      .map((d) => (JSON.parse(Buffer.from(d, 'base64url').toString()) as unknown[])[1]);
    expect(disclosed).toEqual(expect.arrayContaining(['family_name', 'given_name', 'birthdate']));
    for (const c of ['address', 'sex', 'nationalities']) expect(disclosed).not.toContain(c);
    const { claims, info } = await tokens(s, await finish(s));
    expect(claims.acr).toBe(HIGH);
    expect(Object.keys(info)).toEqual(['sub']);
  });

  it('same-device: the wallet answer redirects the browser back with a response code; without it the login fails', async () => {
    const cred = await credential();
    const s = await start('wallet', BASIC, 'same-device');
    const answered = await answer(wallet, s.req, cred);
    expect(answered.status).toBe(200);
    const redirect = (answered.body as { redirect_uri?: string }).redirect_uri;
    expect(redirect).toMatch(
      new RegExp(`^${issuer}/a/wallet/finish/${s.req.state}\\?response_code=[A-Za-z0-9_-]{32}$`),
    );
    // The waiting page stops polling: the browser comes back through the wallet's redirect.
    const status = await s.browser.request(`${issuer}/a/wallet/status/${s.req.state}`);
    expect(JSON.parse(status.body)).toEqual({ state: 'wallet-redirect' });
    let page = await s.browser.follow(redirect!, atRp);
    if (page.body.includes('id="consent"'))
      page = await s.browser.submit(page, '#consent', { decision: 'approve' }, atRp);
    const { claims } = await tokens(s, new URL(page.url));
    expect(claims.acr).toBe(HIGH);

    // A browser arriving without the code (the session of whoever sent the link) cannot finish.
    const fixed = await start('wallet', BASIC, 'same-device');
    expect((await answer(wallet, fixed.req, cred)).status).toBe(200);
    const callbackUrl = new URL(
      (await fixed.browser.follow(`${issuer}/a/wallet/finish/${fixed.req.state}`, atRp)).url,
    );
    expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
    expect(callbackUrl.searchParams.get('error_description')).toBe(EUDI_ERRORS.ERR_EUDI_RESPONSE_CODE);
    expect(await refusals(fixed.auditFrom)).toContainEqual(
      expect.objectContaining({ reason: 'ERR_EUDI_RESPONSE_CODE', client: rp.clientId }),
    );
  });

  it('refuses a second POST to the same response_uri (replay), and audits it', async () => {
    expect(firstPresentation).toBeDefined();
    const { req, presentation } = firstPresentation!;
    const from = (await gw.store.readAudit(0)).length;
    const again = await post(req, presentation);
    expect(again).toMatchObject({ status: 400, body: { error_description: EUDI_ERRORS.ERR_EUDI_REPLAY } });
    expect(await refusals(from)).toContainEqual(
      expect.objectContaining({ reason: 'ERR_EUDI_REPLAY', source: 'wallet' }),
    );
  });

  it('refuses a presentation replayed into another request (nonce)', async () => {
    const s = await start();
    await expectRefused(s, await post(s.req, firstPresentation!.presentation), 'ERR_EUDI_KB_NONCE');
  });

  it('refuses a presentation for another verifier (aud)', async () => {
    const s = await start();
    const a = await answer(wallet, s.req, await credential(), { aud: `x509_hash:${'A'.repeat(43)}` });
    await expectRefused(s, a, 'ERR_EUDI_KB_AUDIENCE');
  });

  it('refuses a response with the state of another request', async () => {
    const s = await start();
    const a = await answer(wallet, s.req, await credential(), { state: 'B'.repeat(32) });
    await expectRefused(s, a, 'ERR_EUDI_STATE');
  });

  it('refuses a credential from an issuer not on the trust list', async () => {
    const rogue = await testIssuer('Rogue issuer');
    const { credential: c } = await issuePidCredential({
      identity: jpkiIdentity(),
      holderJwk: (await wallet.key).publicJwk,
      signer: rogue.signer,
      issuer,
      vct: JP_PID_STYLE_VCT,
      issuingAuthority: 'Rogue',
      issuingCountry: 'JP',
      validitySeconds: 86_400,
      status: { uri: `${issuer}/a/eudi/status/1`, idx: 0 },
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    const s = await start();
    await expectRefused(s, await answer(wallet, s.req, c), 'ERR_EUDI_UNTRUSTED_ISSUER');
  });

  it('refuses a credential revoked through the issuer after it was issued', async () => {
    const c = await credential();
    expect(await revokeCredential(gw.store, issuerTarget(), await credentialIdOf(c))).toBe(true);
    const s = await start();
    await expectRefused(s, await answer(wallet, s.req, c), 'ERR_EUDI_REVOKED');
  });

  it('refuses a response it cannot decrypt, and an unencrypted one where encryption was asked for', async () => {
    const s = await start();
    const { publicKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ state: s.req.state })))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128GCM', kid: 'other' })
      .encrypt(publicKey);
    await expectRefused(
      s,
      await postForm(s.req, new URLSearchParams({ response: jwe })),
      'ERR_EUDI_RESPONSE_INVALID',
    );

    const plain = await start();
    const presentation = await wallet.presentFrame(
      await credential(),
      { family_name: true },
      {
        nonce: plain.req.nonce,
        aud: plain.req.client_id,
      },
    );
    const form = new URLSearchParams({
      vp_token: JSON.stringify({ pid: [presentation] }),
      state: plain.req.state,
    });
    await expectRefused(plain, await postForm(plain.req, form), 'ERR_EUDI_RESPONSE_INVALID');
  });

  it('refuses an oversized response body with 413', async () => {
    const s = await start();
    const big = await postForm(s.req, `response=${'a'.repeat(100_000)}`);
    await expectRefused(s, big, 'ERR_EUDI_RESPONSE_TOO_LARGE', 413);
  });

  it('ends the transaction when the wallet declines (OpenID4VP error response)', async () => {
    const s = await start();
    const declined = await postForm(
      s.req,
      new URLSearchParams({ error: 'access_denied', state: s.req.state }),
    );
    await expectRefused(s, declined, 'ERR_EUDI_WALLET_DECLINED');
  });

  it('refuses an expired request: request object, response and the login', async () => {
    const s = await start();
    const cred = await credential();
    skewMs = (TTL + 1) * 1000;
    try {
      const link = new URL(/id="vp-link" href="([^"]+)"/.exec(s.page)![1]!.replace(/&amp;/g, '&'));
      const reqObj = await fetch(link.searchParams.get('request_uri')!);
      expect(reqObj.status).toBe(400);
      expect(await reqObj.json()).toMatchObject({ error_description: EUDI_ERRORS.ERR_EUDI_REQUEST_EXPIRED });
      const a = await answer(wallet, s.req, cred);
      skewMs = 0;
      await expectRefused(s, a, 'ERR_EUDI_REQUEST_EXPIRED');
    } finally {
      skewMs = 0;
    }
  });

  it('mdoc (direct_post.jwt): the query offers the mdoc as an alternative; the RP gets the same canonical attributes (round trip)', async () => {
    // The same login through the SD-JWT VC first: the mdoc must give the same attributes (bar kanji/kana names).
    const sd = await start();
    expect((await answer(wallet, sd.req, await credential())).status).toBe(200);
    const viaSdJwt = await tokens(sd, await finish(sd));

    const cred = await mdocCredential();
    const s = await start();
    const q = mdocQuery(s.req, JP_PID_STYLE_DOCTYPE);
    expect(q).toMatchObject({
      id: 'pid_mdoc_0',
      format: 'mso_mdoc',
      meta: { doctype_value: JP_PID_STYLE_DOCTYPE },
    });
    // The trust list has no issuer for the EU PID docType: it is not asked for.
    expect(s.req.dcql_query.credentials.map((c) => c.meta.doctype_value).filter(Boolean)).toEqual([
      JP_PID_STYLE_DOCTYPE,
    ]);
    expect(s.req.dcql_query.credential_sets).toEqual([
      { options: [['pid'], ['pid_mdoc_0']], required: true },
    ]);
    expect(q.claims.map((c) => c.path)).toEqual(
      expect.arrayContaining([
        [PID_NAMESPACE, 'family_name'],
        [PID_NAMESPACE, 'given_name'],
        [PID_NAMESPACE, 'birth_date'],
        [PID_NAMESPACE, 'resident_address'],
        [PID_NAMESPACE, 'sex'],
      ]),
    );
    expect(s.req.client_metadata).toMatchObject({
      vp_formats_supported: { mso_mdoc: { issuerauth_alg_values: expect.arrayContaining([-7]) } },
    });
    const a = await answerMdoc(s.req, cred, (await wallet.key).privateJwk, JP_PID_STYLE_DOCTYPE);
    expect(a).toMatchObject({ status: 200, body: {} });
    firstMdoc = { req: s.req, presentation: a.presentation };
    const { claims, info } = await tokens(s, await finish(s));
    expect(claims.acr).toBe(HIGH);
    expect(claims.amr).toEqual(['pop']);
    const { sub: _a, verified_claims: sdVc, ...sdStd } = viaSdJwt.info as Record<string, unknown>;
    const { sub: _b, verified_claims: vc, ...std } = info as Record<string, unknown>;
    // The same canonical attributes as through the SD-JWT VC, except the names: the mdoc carries the Latin
    // ones only (no kanji/kana variants, docs/schemes/eudi.md), which become the untagged names.
    const latin = (k: string) => sdStd[`${k}#ja-Latn-JP`];
    const expected = Object.fromEntries(Object.entries(sdStd).filter(([k]) => !k.endsWith('#ja-Kana-JP')));
    Object.assign(expected, {
      name: latin('name'),
      family_name: latin('family_name'),
      given_name: latin('given_name'),
    });
    expect(std).toEqual(expected);
    expect(std).toMatchObject({ family_name: 'Kakehashi', birthdate: '1990-04-01', gender: 'female' });
    const claimsOf = (x: unknown) => (x as { claims: Record<string, unknown> }).claims;
    expect(claimsOf(vc)).toEqual({
      ...claimsOf(sdVc),
      family_name: latin('family_name'),
      given_name: latin('given_name'),
    });
    const verification = (x: unknown) =>
      (x as { verification: { trust_framework: string; assurance_level: string } }).verification;
    expect(verification(vc)).toMatchObject({ trust_framework: 'eudi_pid', assurance_level: 'high' });
  });

  it('mdoc (direct_post): the transcript has no key thumbprint; a pseudonymous login discloses the base elements only', async () => {
    const cred = await mdocCredential();
    const s = await start('wallet-plain', { scope: 'openid' });
    // Both docTypes are on this source's trust list entry: both are offered.
    expect(mdocQuery(s.req, EU_PID_DOCTYPE).id).toBe('pid_mdoc_0');
    const q = mdocQuery(s.req, JP_PID_STYLE_DOCTYPE);
    expect(q.id).toBe('pid_mdoc_1');
    expect(q.claims.map((c) => c.path[1])).toEqual(['family_name', 'given_name', 'birth_date']);
    const a = await answerMdoc(s.req, cred, (await wallet.key).privateJwk, JP_PID_STYLE_DOCTYPE);
    expect(a.status).toBe(200);
    expect(a.elements).toEqual(['family_name', 'given_name', 'birth_date']);
    const { claims, info } = await tokens(s, await finish(s));
    expect(claims.acr).toBe(HIGH);
    expect(Object.keys(info)).toEqual(['sub']);
  });

  it('mdoc: refuses a second POST (replay) and the same DeviceResponse in another request (nonce in the transcript)', async () => {
    expect(firstMdoc).toBeDefined();
    const { req, presentation } = firstMdoc!;
    const again = await post(req, presentation, req.state, 'pid_mdoc_0');
    expect(again).toMatchObject({ status: 400, body: { error_description: EUDI_ERRORS.ERR_EUDI_REPLAY } });
    const s = await start();
    await expectRefused(
      s,
      await post(s.req, presentation, s.req.state, 'pid_mdoc_0'),
      'ERR_EUDI_DEVICE_SIGNATURE',
    );
  });

  it('mdoc: refuses a device signature over another nonce, client_id or response_uri, or by another key', async () => {
    const cred = await mdocCredential();
    const key = (await wallet.key).privateJwk;
    const forgeries = [
      { nonce: 'another-nonce' },
      { clientId: `x509_hash:${'A'.repeat(43)}` },
      { responseUri: `${issuer}/a/wallet/response/${'C'.repeat(32)}` },
      { devicePrivateJwk: (await testIssuer('thief')).signer.privateKey.export({ format: 'jwk' }) as never },
    ];
    for (const f of forgeries) {
      const s = await start();
      await expectRefused(
        s,
        await answerMdoc(s.req, cred, key, JP_PID_STYLE_DOCTYPE, f),
        'ERR_EUDI_DEVICE_SIGNATURE',
      );
    }
  });

  it('mdoc: refuses an issuer not on the trust list, a changed element value, another docType', async () => {
    const holder = await wallet.key;
    const rogue = await testIssuer('Rogue issuer');
    const { credential: rogueMdoc } = await issuePidMdoc({
      identity: jpkiIdentity(),
      holderJwk: holder.publicJwk,
      signer: rogue.signer,
      issuingAuthority: 'Rogue',
      issuingCountry: 'JP',
      validitySeconds: 86_400,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    let s = await start();
    await expectRefused(
      s,
      await answerMdoc(s.req, rogueMdoc, holder.privateJwk, JP_PID_STYLE_DOCTYPE),
      'ERR_EUDI_UNTRUSTED_ISSUER',
    );

    const bytes = Buffer.from(await mdocCredential(), 'base64url');
    const forged = Buffer.from(bytes.toString('latin1').replace('Kakehashi', 'Kakehashy'), 'latin1');
    expect(forged.equals(bytes)).toBe(false);
    s = await start();
    await expectRefused(
      s,
      await answerMdoc(s.req, forged.toString('base64url'), holder.privateJwk, JP_PID_STYLE_DOCTYPE),
      'ERR_EUDI_VALUE_DIGEST',
    );

    // Our docType's DeviceResponse posted as the answer to the EU PID query.
    s = await start('wallet-plain');
    const eu = mdocQuery(s.req, EU_PID_DOCTYPE).id;
    const retargeted = await answerMdoc(
      s.req,
      bytes.toString('base64url'),
      holder.privateJwk,
      JP_PID_STYLE_DOCTYPE,
      {
        queryId: eu,
      },
    );
    await expectRefused(s, retargeted, 'ERR_EUDI_VCT');
  });

  it('mdoc: refuses an answer it cannot decrypt (another key)', async () => {
    const s = await start();
    const { publicKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
    const body = { vp_token: { pid_mdoc_0: ['AAAA'] }, state: s.req.state };
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(body)))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128GCM', kid: 'other' })
      .encrypt(publicKey);
    await expectRefused(
      s,
      await postForm(s.req, new URLSearchParams({ response: jwe })),
      'ERR_EUDI_RESPONSE_INVALID',
    );
  });

  it('config check: the source needs a trust list (no trust-everyone default)', async () => {
    const file = join(dataDir, 'check.json');
    const lines: string[] = [];
    const check = async (options: unknown) => {
      writeFileSync(
        file,
        JSON.stringify({
          issuer: 'http://127.0.0.1:1',
          dataDir,
          devMode: true,
          keys: { source: 'generate' },
          sources: [{ adapter: 'eudi-wallet', name: 'wallet', options }],
        }),
      );
      lines.length = 0;
      return runCli(
        ['config', 'check', '--config', file],
        (l) => lines.push(l),
        (l) => lines.push(l),
      );
    };
    expect(await check({})).not.toBe(0);
    expect(lines.join('\n')).toContain('sources[0].options.trustedIssuers');
    expect(await check({ trustedIssuers: [] })).not.toBe(0);
    expect(lines.join('\n')).toContain('sources[0].options.trustedIssuers');
    expect(
      await check({ trustedIssuers: [{ name: 'x', anchors: [], vcts: [JP_PID_STYLE_VCT], loa: 'high' }] }),
    ).not.toBe(0);
    expect(lines.join('\n')).toContain('sources[0].options.trustedIssuers[0].anchors');
    expect(
      await check({
        trustedIssuers: [{ name: 'x', anchors: [rootPem], vcts: [JP_PID_STYLE_VCT], loa: 'high' }],
      }),
    ).toBe(0);
    expect(lines.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('refuses to start with an unreadable or non-CA anchor, or an x5c that does not certify the verifier key', async () => {
    const create = (options: Record<string, unknown>) =>
      createGateway(
        loadConfigObject(
          {
            issuer: 'http://127.0.0.1:1',
            dataDir: join(dataDir, `bad-${Math.random().toString(36).slice(2)}`),
            devMode: true,
            keys: { source: 'generate' },
            sources: [{ adapter: 'eudi-wallet', name: 'wallet', options }],
            log: { level: 'silent' },
          },
          {},
        ),
        { env: {}, log: pino({ level: 'silent' }) },
      );
    const trusted = (anchors: string[]) => [
      { name: 'some-issuer', anchors, vcts: [JP_PID_STYLE_VCT], loa: 'high' },
    ];
    await expect(create({ trustedIssuers: trusted([join(dataDir, 'missing.pem')]) })).rejects.toMatchObject({
      code: 'ERR_EUDI_CONFIG',
      message: 'trusted issuer some-issuer: an anchor file cannot be read',
    });
    const leaf = await testIssuer('Leaf only');
    const leafPem = `-----BEGIN CERTIFICATE-----\n${leaf.signer.x5c[0]}\n-----END CERTIFICATE-----`;
    await expect(create({ trustedIssuers: trusted([leafPem]) })).rejects.toMatchObject({
      code: 'ERR_EUDI_CONFIG',
      message: 'trusted issuer some-issuer: an anchor is not a CA certificate',
    });
    await expect(
      create({ trustedIssuers: trusted([rootPem]), x5c: [...leaf.signer.x5c] }),
    ).rejects.toMatchObject({
      code: 'ERR_EUDI_CONFIG',
      message: expect.stringContaining('options.x5c'),
    });
  });

  it('logs and the plain store carry no personal attributes', async () => {
    const text = logs.join('');
    expect(text).toContain('wallet presentation refused');
    for (const v of PERSONAL) expect(text).not.toContain(v);
    for (const f of readdirSync(dataDir).filter((n) => n.includes('sqlite'))) {
      const bytes = readFileSync(join(dataDir, f));
      for (const v of PERSONAL) expect(bytes.includes(Buffer.from(v)), `${v} in ${f}`).toBe(false);
    }
  });
});
