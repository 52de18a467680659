/**
 * FAPI 2.0 Security Profile (Final) conformance for a `profile: 'fapi2'` client,
 * reproduced from the OIDF fapi2-security-profile-final test plan; tests carry
 * the OIDF module names. Client assertions, DPoP proofs and request objects are
 * forged with jose (fapi2-support.ts); each family has an unforged control.
 */
import { generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../src/config/load-config.js';
import { TestBrowser } from '../helpers/browser.js';
import { bootGateway, makeClientKey, privateKeyJwtClient, type TestGateway } from '../helpers/gateway.js';
import { browserLogin } from '../helpers/rp.js';
import {
  clientAssertion,
  type DpopKey,
  dpopKey,
  dpopProof,
  fapiExchange,
  fapiLogin,
  rawPar,
  requestObject,
  type SigningKey,
  unsignedJwt,
} from './fapi2-support.js';
import {
  authUrl,
  claimsOf,
  login,
  oauthError,
  REDIRECT,
  type RpConfig,
  rawParams,
  responseParams,
  rpConfig,
} from './support.js';

type Client = Awaited<ReturnType<typeof privateKeyJwtClient>>;
let gw: TestGateway;
let a: Client;
let b: Client;
let ca: RpConfig;
let cb: RpConfig;
let cPlain: RpConfig;
let keyA: SigningKey;
let keyB: SigningKey;
let rsaA: SigningKey;

beforeAll(async () => {
  a = await privateKeyJwtClient('rp-fapi', REDIRECT, { profile: 'fapi2' });
  // A registered RSA key too, so RS256 refusals are about the algorithm, not an unknown key.
  const rsa = await makeClientKey('RS256');
  a.config.jwks = { keys: [a.key.publicJwk, rsa.publicJwk] };
  b = await privateKeyJwtClient('rp-fapi-2', REDIRECT, { profile: 'fapi2' });
  const plain = await privateKeyJwtClient('rp-plain', REDIRECT);
  // A long default code TTL, so the FAPI client's 60 s cap is visible.
  gw = await bootGateway({
    clients: [a.config, b.config, plain.config],
    config: { ttl: { authorizationCode: 300 } },
  });
  [ca, cb, cPlain] = await Promise.all([
    rpConfig(gw.issuer, a),
    rpConfig(gw.issuer, b),
    rpConfig(gw.issuer, plain),
  ]);
  keyA = { privateKey: a.key.privateKey, kid: a.key.privateJwk.kid, alg: 'ES256' };
  keyB = { privateKey: b.key.privateKey, kid: b.key.privateJwk.kid, alg: 'ES256' };
  rsaA = { privateKey: rsa.privateKey, kid: rsa.privateJwk.kid, alg: 'RS256' };
});
afterAll(async () => gw?.close());

const meta = () => ca.serverMetadata();
const parUrl = () => meta().pushed_authorization_request_endpoint ?? '';
const assertion = (over: Record<string, unknown> = {}, drop: string[] = []) =>
  clientAssertion(keyA, 'rp-fapi', gw.issuer, over, drop);
const parParams = (extra: Record<string, string | undefined> = {}) => {
  const { client_id: _, ...p } = rawParams('rp-fapi', extra);
  return p;
};

async function newDpop(alg = 'ES256') {
  const pair = await oidc.randomDPoPKeyPair(alg);
  return { pair, key: await dpopKey(pair, alg), handle: (c: RpConfig) => oidc.getDPoPHandle(c, pair) };
}

describe('fapi2-security-profile-final-discovery-end-point-verification', () => {
  it('advertises PAR, S256, private_key_jwt, DPoP and iss in responses', () => {
    const m = meta();
    expect(m.pushed_authorization_request_endpoint).toBe(`${gw.issuer}/request`);
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(m.response_types_supported).toEqual(['code']);
    expect(m.authorization_response_iss_parameter_supported).toBe(true);
    expect(m.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
    expect(m.dpop_signing_alg_values_supported).not.toContain('none');
  });
});

describe('fapi2-security-profile-final-happy-flow (ensure-dpop-auth-code-binding-success)', () => {
  it('PAR + DPoP + PKCE + private_key_jwt yields DPoP-bound tokens and an ES256 ID token', async () => {
    const d = await newDpop();
    const l = await fapiLogin(ca, d.handle(ca));
    expect(l.requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(responseParams(l.callbackUrl).get('iss')).toBe(gw.issuer);
    const tokens = await fapiExchange(ca, l, d.handle(ca));
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const [header] = (tokens.id_token ?? '').split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString()).alg).toBe('ES256');
    const info = await oidc.fetchUserInfo(
      ca,
      tokens.access_token,
      claimsOf(tokens.id_token ?? '').sub as string,
      {
        DPoP: d.handle(ca),
      },
    );
    expect(info.sub).toBeTruthy();
  });
});

describe('fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails', () => {
  it('refuses a front-channel request without PAR', async () => {
    const page = await new TestBrowser().follow(authUrl(ca, rawParams('rp-fapi')), (u) =>
      u.startsWith(REDIRECT),
    );
    const p = responseParams(new URL(page.url));
    expect(p.get('error')).toBe('invalid_request');
    expect(p.get('error_description')).toMatch(/Pushed Authorization Request must be used/);
    expect(p.get('code')).toBeNull();
  });
});

describe('request_uri handling', () => {
  async function pushed(): Promise<string> {
    const res = await rawPar(ca, 'rp-fapi', await assertion(), parParams());
    expect(res.status).toBe(201);
    return String(res.body.request_uri);
  }
  const open = (browser: TestBrowser, requestUri: string, clientId = 'rp-fapi') =>
    browser.follow(authUrl(ca, { client_id: clientId, request_uri: requestUri }), (u) =>
      u.startsWith(REDIRECT),
    );

  it('fapi2-security-profile-final-par-ensure-reused-request-uri-prior-to-auth-completion-succeeds, then -par-attempt-reuse-request_uri fails', async () => {
    const uri = await pushed();
    const first = await open(new TestBrowser(), uri);
    expect(first.url).toMatch(/\/interaction\//);
    const done = await browserLogin(authUrl(ca, { client_id: 'rp-fapi', request_uri: uri }), REDIRECT);
    expect(responseParams(done.callbackUrl).get('code')).toBeTruthy();
    const reused = await open(new TestBrowser(), uri);
    expect(reused.status).toBe(400);
    expect(reused.body).toContain('invalid_request_uri');
  });

  it('fapi2-security-profile-final-par-attempt-to-use-expired-request_uri (a never-issued one)', async () => {
    // PAR TTL is 60 s; rather than wait, use a well-formed request_uri the gateway never issued:
    // oidc-provider refuses both with the same lookup ("invalid, expired, or was already used").
    const page = await open(new TestBrowser(), 'urn:ietf:params:oauth:request_uri:never-issued-0123456789');
    expect(page.status).toBe(400);
    expect(page.body).toContain('invalid_request_uri');
    const foreign = await open(new TestBrowser(), 'https://rp.example/request.jwt');
    expect(foreign.body).toContain('request_uri_not_supported');
  });

  it('fapi2-security-profile-final-par-attempt-to-use-request_uri-for-different-client', async () => {
    const uri = await pushed();
    const page = await open(new TestBrowser(), uri, 'rp-fapi-2');
    // Shown on the OP (no redirect: the pushed request names another client).
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.body).toContain('invalid_request_object');
    expect(page.body).toContain('client_id must equal');
  });
});

describe('PAR request checks', () => {
  it('control: a correct PAR request is accepted', async () => {
    const res = await rawPar(ca, 'rp-fapi', await assertion(), parParams());
    expect(res.status).toBe(201);
    expect(res.body.expires_in).toBeLessThanOrEqual(60);
  });

  it('fapi2-security-profile-final-par-ensure-pkce-required', async () => {
    const res = await rawPar(
      ca,
      'rp-fapi',
      await assertion(),
      parParams({ code_challenge: undefined, code_challenge_method: undefined }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('fapi2-security-profile-final-par-plain-pkce-rejected', async () => {
    const res = await rawPar(ca, 'rp-fapi', await assertion(), parParams({ code_challenge_method: 'plain' }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(String(res.body.error_description)).toMatch(/code_challenge_method/);
  });

  it('fapi2-security-profile-final-ensure-response-type-token-fails', async () => {
    const res = await rawPar(ca, 'rp-fapi', await assertion(), parParams({ response_type: 'token' }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unsupported_response_type');
  });

  it('fapi2-security-profile-final-par-authorization-request-containing-request_uri-form-param', async () => {
    const res = await rawPar(
      ca,
      'rp-fapi',
      await assertion(),
      parParams({ request_uri: 'urn:ietf:params:oauth:request_uri:x' }),
    );
    expect(res.status).toBe(400);
    // Accepted by the OIDF module (invalid_request, invalid_request_object or request_uri_not_supported).
    expect(res.body.error).toBe('request_uri_not_supported');
  });

  it('fapi2-security-profile-final-par-attempt-invalid-http-method', async () => {
    // The OIDF module sends PUT and accepts any HTTP error.
    const res = await fetch(parUrl(), { method: 'PUT', body: new URLSearchParams(parParams()) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).not.toContain('request_uri');
  });

  // RFC 9126 §2.3: a non-POST request to the PAR endpoint gets 405 (oidc-provider has no route for it;
  // the gateway answers it in src/app.ts).
  it('RFC 9126 §2.3: non-POST at the PAR endpoint -> 405 Method Not Allowed', async () => {
    const res = await fetch(parUrl(), { method: 'PUT', body: new URLSearchParams(parParams()) });
    expect(res.status).toBe(405);
  });
});

describe('client authentication (private_key_jwt) at the PAR endpoint', () => {
  it.each<[string, () => Promise<string>]>([
    [
      'fapi2-security-profile-final-ensure-client-assertion-with-wrong-aud-fails',
      () => assertion({ aud: 'https://other.example' }),
    ],
    [
      'fapi2-security-profile-final-par-test-token-endpoint-url-as-audience-fails',
      () => assertion({ aud: meta().token_endpoint }),
    ],
    [
      'fapi2-security-profile-final-par-test-par-endpoint-url-as-audience-fails',
      () => assertion({ aud: parUrl() }),
    ],
    [
      'fapi2-security-profile-final-par-test-array-as-audience-fails',
      () => assertion({ aud: [gw.issuer, 'https://other.example'] }),
    ],
    [
      'fapi2-security-profile-final-ensure-client-assertion-with-exp-is-5-minutes-in-past-fails',
      () => assertion({ iat: Math.floor(Date.now() / 1000) - 360, exp: Math.floor(Date.now() / 1000) - 300 }),
    ],
    ['fapi2-security-profile-final-ensure-client-assertion-with-no-sub-fails', () => assertion({}, ['sub'])],
    [
      'fapi2-security-profile-final-par-ensure-jwt-client-assertions-nbf-over-60-seconds-in-the-future-fails',
      () => assertion({ nbf: Math.floor(Date.now() / 1000) + 70, exp: Math.floor(Date.now() / 1000) + 130 }),
    ],
    [
      'fapi2-security-profile-final-ensure-signed-client-assertion-with-RS256-fails',
      () => clientAssertion(rsaA, 'rp-fapi', gw.issuer),
    ],
    [
      'client assertion signed with alg none fails',
      async () =>
        unsignedJwt(
          {},
          {
            iss: 'rp-fapi',
            sub: 'rp-fapi',
            aud: gw.issuer,
            jti: crypto.randomUUID(),
            iat: Math.floor(Date.now() / 1000),
            exp: Math.floor(Date.now() / 1000) + 60,
          },
        ),
    ],
    [
      'client assertion signed by another client key fails',
      () => clientAssertion(keyB, 'rp-fapi', gw.issuer),
    ],
  ])('%s', async (_name, make) => {
    const res = await rawPar(ca, 'rp-fapi', await make(), parParams());
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('fapi2-security-profile-final-par-ensure-jwt-client-assertions-nbf-8-seconds-in-the-future-is-accepted', async () => {
    const t = Math.floor(Date.now() / 1000);
    const res = await rawPar(
      ca,
      'rp-fapi',
      await assertion({ iat: t + 8, nbf: t + 8, exp: t + 68 }),
      parParams(),
    );
    expect(res.status).toBe(201);
  });
});

describe('request objects at the PAR endpoint (JAR)', () => {
  const ro = (over: Record<string, unknown> = {}, drop: string[] = [], key = keyA) =>
    requestObject(key, 'rp-fapi', gw.issuer, parParams(), over, drop);
  const t = () => Math.floor(Date.now() / 1000);

  it.each<[string, () => Promise<string>]>([
    [
      'fapi2-security-profile-final-ensure-request-object-with-multiple-aud-succeeds',
      () => ro({ aud: [gw.issuer, 'https://other.example'] }),
    ],
    [
      'fapi2-security-profile-final-ensure-request-object-with-nbf-8-seconds-in-the-future-is-accepted',
      () => ro({ nbf: t() + 8, exp: t() + 68 }),
    ],
  ])('%s', async (_name, make) => {
    const res = await rawPar(ca, 'rp-fapi', await assertion(), { request: await make() });
    expect(res.status).toBe(201);
  });

  it.each<[string, () => Promise<string>]>([
    ['fapi2-security-profile-final-ensure-request-object-without-exp-fails', () => ro({}, ['exp'])],
    ['fapi2-security-profile-final-ensure-request-object-without-nbf-fails', () => ro({}, ['nbf'])],
    [
      'fapi2-security-profile-final-ensure-expired-request-object-fails',
      () => ro({ nbf: t() - 120, exp: t() - 60 }),
    ],
    [
      'fapi2-security-profile-final-ensure-request-object-with-bad-aud-fails',
      () => ro({ aud: 'https://other.example' }),
    ],
    [
      'fapi2-security-profile-final-ensure-request-object-with-exp-over-60-fails',
      () => ro({ nbf: t(), exp: t() + 3601 }),
    ],
    [
      'fapi2-security-profile-final-ensure-request-object-with-nbf-over-60-fails',
      () => ro({ nbf: t() - 3601, exp: t() + 60 }),
    ],
    [
      'fapi2-security-profile-final-ensure-request-object-signature-algorithm-is-not-none',
      async () =>
        unsignedJwt(
          { typ: 'oauth-authz-req+jwt' },
          { ...parParams(), iss: 'rp-fapi', aud: gw.issuer, client_id: 'rp-fapi', nbf: t(), exp: t() + 60 },
        ),
    ],
    [
      'fapi2-security-profile-final-ensure-request-object-with-invalid-signature-fails',
      async () => {
        const [h, p, s] = (await ro()).split('.');
        return `${h}.${p}.${s?.startsWith('A') ? `B${s.slice(1)}` : `A${s?.slice(1)}`}`;
      },
    ],
    ['fapi2-security-profile-final-ensure-matching-key-in-authorization-request', () => ro({}, [], keyB)],
    [
      'fapi2-security-profile-final-par-authorization-request-containing-request_uri',
      () => ro({ request_uri: 'urn:ietf:params:oauth:request_uri:x' }),
    ],
  ])('%s', async (_name, make) => {
    const res = await rawPar(ca, 'rp-fapi', await assertion(), { request: await make() });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request_object');
  });
});

describe('FAPI 2.0 SP §5.4.1: no RS256 (RSASSA-PKCS1-v1_5) for FAPI clients', () => {
  // The FAPI client registers an RS256 key too: request objects are pinned to ES256 for fapi2 clients
  // (toClientMetadata) and RS256 is not offered for DPoP at all.
  it('fapi2-security-profile-final-ensure-signed-request-object-with-RS256-fails', async () => {
    const ro = await requestObject(rsaA, 'rp-fapi', gw.issuer, parParams());
    const res = await rawPar(ca, 'rp-fapi', await assertion(), { request: ro });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request_object');
  });

  it('refuses an RS256 DPoP proof from a FAPI client at the PAR endpoint', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const key = await dpopKey({ privateKey, publicKey }, 'RS256');
    const res = await rawPar(ca, 'rp-fapi', await assertion(), parParams(), {
      dpop: await dpopProof(key, 'POST', parUrl()),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_dpop_proof');
  });

  it('refuses a fapi2 client configured with an RS256 ID token', () => {
    const raw = {
      issuer: 'http://127.0.0.1:1',
      devMode: true,
      clients: [{ ...a.config, id_token_signed_response_alg: 'RS256' }],
    };
    expect(() => loadConfigObject(raw, {})).toThrow(/id_token_signed_response_alg/);
  });

  it('control: the same checks pass with ES256 (so the failures above are about RS256 only)', async () => {
    const ro = await requestObject(keyA, 'rp-fapi', gw.issuer, parParams());
    const d = await newDpop();
    const res = await rawPar(
      ca,
      'rp-fapi',
      await assertion(),
      { request: ro },
      {
        dpop: await dpopProof(d.key, 'POST', parUrl()),
      },
    );
    expect(res.status).toBe(201);
    const raw = {
      issuer: 'http://127.0.0.1:1',
      devMode: true,
      clients: [{ ...a.config, id_token_signed_response_alg: 'ES256' }],
    };
    expect(() => loadConfigObject(raw, {})).not.toThrow();
  });
});

describe('token endpoint', () => {
  it('fapi2-security-profile-final-ensure-holder-of-key-required: no DPoP proof, no token (the code stays usable)', async () => {
    const d = await newDpop();
    const l = await fapiLogin(ca, undefined); // no DPoP at PAR, so only dpop_bound_access_tokens applies
    const bare = await oauthError(fapiExchange(ca, l, undefined));
    expect(bare.error).toBe('invalid_grant');
    const tokens = await fapiExchange(ca, l, d.handle(ca));
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
  });

  it('fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-proof-jkt', async () => {
    const d1 = await newDpop();
    const d2 = await newDpop();
    const l = await fapiLogin(ca, d1.handle(ca));
    const res = await oauthError(fapiExchange(ca, l, d2.handle(ca)));
    expect(res.error).toBe('invalid_grant');
    // oidc-provider hides the detail ("grant request is invalid"); the happy flow is the control.
  });

  it('fapi2-security-profile-final-ensure-pkce-code-verifier-required and -incorrect-pkce-code-verifier-rejected', async () => {
    const d = await newDpop();
    const l = await fapiLogin(ca, d.handle(ca));
    const missing = await oauthError(
      oidc.authorizationCodeGrant(ca, l.callbackUrl, { expectedState: l.state }, undefined, {
        DPoP: d.handle(ca),
      }),
    );
    expect(missing.error).toBe('invalid_grant');
    const wrong = await oauthError(fapiExchange(ca, l, d.handle(ca), oidc.randomPKCECodeVerifier()));
    expect(wrong.error).toBe('invalid_grant');
  });

  it('fapi2-security-profile-final-ensure-authorization-code-is-bound-to-client', async () => {
    const d = await newDpop();
    const l = await fapiLogin(ca, d.handle(ca));
    const res = await oauthError(fapiExchange(cb, l, oidc.getDPoPHandle(cb, d.pair)));
    expect(res.error).toBe('invalid_grant');
    // The code was still good for its own client.
    expect((await fapiExchange(ca, l, d.handle(ca))).access_token).toBeTruthy();
  });

  it('fapi2-security-profile-final-ensure-client-assertion-with-exp-is-5-minutes-in-past-fails (at the token endpoint)', async () => {
    const d = await newDpop();
    const l = await fapiLogin(ca, d.handle(ca));
    const t = Math.floor(Date.now() / 1000);
    const tokenUrl = meta().token_endpoint ?? '';
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await dpopProof(d.key, 'POST', tokenUrl),
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: responseParams(l.callbackUrl).get('code') ?? '',
        redirect_uri: REDIRECT,
        code_verifier: l.verifier,
        client_id: 'rp-fapi',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion({ iat: t - 360, exp: t - 300 }),
      }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error?: string }).error).toBe('invalid_client');
    // Control: the same code with a fresh assertion works (nothing else was wrong).
    expect((await fapiExchange(ca, l, d.handle(ca))).access_token).toBeTruthy();
  });

  it('fapi2-security-profile-final-ensure-token-endpoint-fails-with-expired-auth-code: codes live <= 60 s', async () => {
    // Waiting 60 s is too slow for the suite; read the code's lifetime from the store instead
    // (oidc-provider's opaque code value is its storage id). The plain client shows the configured 300 s.
    const lifetime = async (code: string | null) => {
      const rec = await gw.gateway.store.get<{ payload: { iat: number; exp: number } }>(
        'oidc:AuthorizationCode',
        code ?? '',
      );
      expect(rec).toBeDefined();
      return (rec?.payload.exp ?? 0) - (rec?.payload.iat ?? 0);
    };
    const d = await newDpop();
    const l = await fapiLogin(ca, d.handle(ca));
    expect(await lifetime(responseParams(l.callbackUrl).get('code'))).toBe(60);
    const p = await login(cPlain);
    expect(await lifetime(responseParams(p.callbackUrl).get('code'))).toBe(300);
  });
});

describe('fapi2-security-profile-final-dpop-negative-tests (at userinfo)', () => {
  let at: string;
  let k1: DpopKey;
  let other: DpopKey;
  let ui: string;

  beforeAll(async () => {
    const d = await newDpop();
    const l = await fapiLogin(ca, d.handle(ca));
    at = (await fapiExchange(ca, l, d.handle(ca))).access_token;
    k1 = d.key;
    other = (await newDpop()).key;
    ui = meta().userinfo_endpoint ?? '';
  });

  async function call(proof: string | undefined, scheme = 'DPoP', method = 'GET') {
    const res = await fetch(ui, {
      method,
      headers: { authorization: `${scheme} ${at}`, ...(proof && { dpop: proof }) },
    });
    return { status: res.status, www: res.headers.get('www-authenticate') ?? '' };
  }

  it('control: a hand-built proof for GET userinfo with the bound key and ath is accepted', async () => {
    expect((await call(await dpopProof(k1, 'GET', ui, { accessToken: at }))).status).toBe(200);
  });

  it.each<[string, () => Promise<string>]>([
    ['wrong htm', () => dpopProof(k1, 'POST', ui, { accessToken: at })],
    ['wrong htu', () => dpopProof(k1, 'GET', `${gw.issuer}/elsewhere`, { accessToken: at })],
    ['wrong ath', () => dpopProof(k1, 'GET', ui, { accessToken: `${at}x` })],
    ['missing ath', () => dpopProof(k1, 'GET', ui)],
    [
      'stale iat',
      () =>
        dpopProof(k1, 'GET', ui, { accessToken: at, override: { iat: Math.floor(Date.now() / 1000) - 600 } }),
    ],
    [
      'alg none',
      async () =>
        unsignedJwt(
          { typ: 'dpop+jwt', jwk: k1.publicJwk },
          { htm: 'GET', htu: ui, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) },
        ),
    ],
  ])('%s -> 401 invalid_dpop_proof', async (_name, make) => {
    const r = await call(await make());
    expect(r.status).toBe(401);
    expect(r.www).toMatch(/^DPoP /);
    expect(r.www).toMatch(/error="invalid_dpop_proof"/);
  });

  it('a proof signed by another key than the token is bound to -> 401 invalid_token', async () => {
    const r = await call(await dpopProof(other, 'GET', ui, { accessToken: at }));
    expect(r.status).toBe(401);
    expect(r.www).toMatch(/error="invalid_token"/);
  });

  it('a replayed proof -> 401 (oidc-provider reports replays at resource endpoints as invalid_token)', async () => {
    const proof = await dpopProof(k1, 'GET', ui, { accessToken: at });
    expect((await call(proof)).status).toBe(200);
    const r = await call(proof);
    expect(r.status).toBe(401);
    expect(r.www).toMatch(/error="invalid_token"/);
    // The token itself is fine: a fresh proof still works, so the refusal was the replay.
    expect((await call(await dpopProof(k1, 'GET', ui, { accessToken: at }))).status).toBe(200);
  });

  it('the DPoP-bound token as a Bearer token -> 401 invalid_token; with no proof -> 400 invalid_request', async () => {
    const bearer = await call(undefined, 'Bearer');
    expect(bearer.status).toBe(401);
    expect(bearer.www).toMatch(/error="invalid_token"/);
    // oidc-provider treats a missing DPoP header as a malformed request (RFC 6750 §3.1 invalid_request).
    const bare = await call(undefined);
    expect(bare.status).toBe(400);
    expect(bare.www).toMatch(/^DPoP .*error="invalid_request"/);
  });
});
