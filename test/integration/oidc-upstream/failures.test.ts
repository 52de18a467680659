/**
 * The generic upstream OIDC source against a misbehaving upstream: a correct
 * login (plain and JWE ID tokens, both key types) and every failure the source
 * must turn into an OAuth error for the relying party plus a `login.refused`
 * audit event with the specific code.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, freePort, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { discover } from '../../helpers/rp.js';
import { lastRefusal } from './support/audit.js';
import { type FakeOp, startFakeOp } from './support/fake-op.js';
import { type EncKey, makeEncKey } from './support/keys.js';
import { rpAuthorization, upstreamLogin } from './support/login.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
let gw: TestGateway;
let op: FakeOp;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;
let ec: EncKey;
let rsa: EncKey;
let config: oidc.Configuration;

const source = (name: string, issuer: string, extra: Record<string, unknown> = {}) => ({
  adapter: 'oidc-upstream',
  name,
  options: {
    issuer,
    clientId: 'kakehashi-at-upstream',
    acrMap: { 'urn:example:low': 'low', 'urn:example:high': 'high' },
    maxLoa: 'high',
    decryptionKeyFiles: [ec.file, rsa.file],
    allowInsecureRequests: true,
    ...extra,
  },
});

beforeAll(async () => {
  op = await startFakeOp();
  ec = await makeEncKey('ECDH-ES+A256KW', 'enc-ec');
  rsa = await makeEncKey('RSA-OAEP-256', 'enc-rsa');
  rp = await privateKeyJwtClient('rp-jp', REDIRECT);
  const nobody = `http://127.0.0.1:${await freePort()}`;
  gw = await bootGateway({
    clients: [rp.config],
    config: {
      sources: [
        source('up', op.issuer),
        source('up-dpop', op.issuer, { dpop: true }),
        source('up-enc', op.issuer, { requireEncryptedIdToken: true }),
        source('down', nobody),
      ],
    },
  });
  config = await discover(gw.issuer, rp);
});
afterAll(async () => {
  await gw?.close();
  await op?.close();
});

async function login(sourceName: string, params: Record<string, string> = {}) {
  const auth = await rpAuthorization(config, rp, params);
  const callbackUrl = await upstreamLogin(auth.url.href, REDIRECT, sourceName);
  return { ...auth, callbackUrl };
}

async function expectRefused(sourceName: string, code: string, oauth = 'access_denied', params = {}) {
  const { callbackUrl } = await login(sourceName, params);
  expect(callbackUrl.searchParams.get('error')).toBe(oauth);
  expect(callbackUrl.searchParams.get('code')).toBeNull();
  const event = await lastRefusal(gw.gateway);
  expect(event?.reason).toBe(code);
  expect(event?.client).toBe('rp-jp');
}

describe('upstream OIDC source: correct logins', () => {
  it('publishes the client JWKS (one signing key, the encryption keys)', async () => {
    const jwks = (await (await fetch(`${gw.issuer}/a/up/jwks.json`)).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => [k.use, k.alg, k.kid])).toEqual([
      ['sig', 'ES256', expect.any(String)],
      ['enc', 'ECDH-ES+A256KW', 'enc-ec'],
      ['enc', 'RSA-OAEP-256', 'enc-rsa'],
    ]);
    for (const k of jwks.keys) expect(k.d).toBeUndefined();
  });

  it('logs in with code + PKCE S256, state and nonce; userinfo fills the person; sub is pairwise', async () => {
    op.behaviour = { userinfo: { given_name: 'Tarō', family_name: 'Yamada', birthdate: '1985-02-03' } };
    const { callbackUrl, verifier, state, nonce } = await login('up', {
      scope: 'openid profile',
      acr_values: 'urn:kakehashi:loa:high',
    });
    const upstream = op.lastAuthorization!;
    expect(upstream.get('code_challenge_method')).toBe('S256');
    expect(upstream.get('state')?.length).toBeGreaterThanOrEqual(43);
    expect(upstream.get('nonce')?.length).toBeGreaterThanOrEqual(43);
    expect(upstream.get('acr_values')).toBe('urn:example:high');
    expect(upstream.get('redirect_uri')).toBe(`${gw.issuer}/a/up/callback`);
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('urn:kakehashi:loa:high');
    expect(claims.amr).toEqual(['pwd', 'otp']);
    expect(claims.sub).not.toContain('upstream-user');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.family_name).toBe('Yamada');
    expect(info.birthdate).toBe('1985-02-03');
  });

  it.each([
    ['ECDH-ES+A256KW', 'A256CBC-HS512'],
    ['RSA-OAEP-256', 'A256GCM'],
  ] as const)('decrypts a JWE ID token (%s, %s)', async (alg, enc) => {
    op.behaviour = { encryptTo: alg === 'RSA-OAEP-256' ? rsa.publicJwk : ec.publicJwk, enc };
    const { callbackUrl } = await login('up-enc');
    expect(callbackUrl.searchParams.get('code')).toBeTruthy();
  });
});

describe('upstream OIDC source: every failure is an OAuth error and an audit event', () => {
  it('discovery down', async () => {
    await expectRefused('down', 'ERR_UPSTREAM_DISCOVERY', 'temporarily_unavailable');
  });
  it('the person cancels upstream', async () => {
    op.behaviour = { authorizationError: 'access_denied' };
    await expectRefused('up', 'ERR_UPSTREAM_DENIED');
  });
  it('the token endpoint refuses the code', async () => {
    op.behaviour = { tokenError: 'invalid_grant' };
    await expectRefused('up', 'ERR_UPSTREAM_TOKEN');
  });
  it('bad ID token signature', async () => {
    op.behaviour = { foreignSignature: true };
    await expectRefused('up', 'ERR_UPSTREAM_SIGNATURE');
  });
  it('wrong iss', async () => {
    op.behaviour = { iss: 'https://evil.example' };
    await expectRefused('up', 'ERR_UPSTREAM_ISSUER');
  });
  it('wrong aud', async () => {
    op.behaviour = { aud: 'someone-else' };
    await expectRefused('up', 'ERR_UPSTREAM_AUDIENCE');
  });
  it('wrong nonce', async () => {
    op.behaviour = { nonce: 'a-nonce-from-another-login' };
    await expectRefused('up', 'ERR_UPSTREAM_NONCE');
  });
  it('expired ID token', async () => {
    op.behaviour = { exp: -3600, iat: -7200 };
    await expectRefused('up', 'ERR_UPSTREAM_EXPIRED');
  });
  it('a JWE that does not decrypt with our key', async () => {
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const stranger = { ...(await exportJWK(publicKey)), alg: 'ECDH-ES+A256KW', kid: 'enc-ec' };
    op.behaviour = { encryptTo: stranger };
    await expectRefused('up-enc', 'ERR_UPSTREAM_DECRYPT');
  });
  it('a plain ID token where encryption is required', async () => {
    op.behaviour = {};
    await expectRefused('up-enc', 'ERR_UPSTREAM_NOT_ENCRYPTED');
  });
  it('acr lower than required', async () => {
    op.behaviour = { acr: 'urn:example:low' };
    await expectRefused('up', 'ERR_UPSTREAM_ACR', 'unmet_authentication_requirements', {
      acr_values: 'urn:kakehashi:loa:high',
    });
  });
  it('an acr we do not know', async () => {
    op.behaviour = { acr: 'urn:other:gold' };
    await expectRefused('up', 'ERR_UPSTREAM_ACR', 'unmet_authentication_requirements');
  });
  it('DPoP nonce demanded forever', async () => {
    op.behaviour = { dpopNonceLoop: true };
    await expectRefused('up-dpop', 'ERR_UPSTREAM_DPOP_NONCE');
  });
  it('a callback whose state belongs to no login of this browser', async () => {
    op.behaviour = {};
    const auth = await rpAuthorization(config, rp);
    const browser = new TestBrowser();
    const atCallback = (u: string) => u.startsWith(`${gw.issuer}/a/up/callback`);
    let page = await browser.follow(auth.url.href);
    page = await browser.submit(page, '/source/up', {}, atCallback);
    const forged = new URL(page.url);
    forged.searchParams.set('state', 'x'.repeat(43));
    page = await browser.follow(forged.href, (u) => u.startsWith(REDIRECT));
    expect(new URL(page.url).searchParams.get('error')).toBe('access_denied');
    expect((await lastRefusal(gw.gateway))?.reason).toBe('ERR_UPSTREAM_STATE');
  });
});
