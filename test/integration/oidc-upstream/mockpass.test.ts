/**
 * End to end against @opengovsg/mockpass (Singpass v2, NDI OIDC): a Japanese
 * relying party (openid-client) logs in through Kakehashi, which logs in at
 * mockpass with private_key_jwt and decrypts its JWE ID token. The relying
 * party gets a pairwise subject seeded by the Singpass UUID only; the NRIC
 * never leaves the upstream response.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGateway, freePort, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { discover } from '../../helpers/rp.js';
import { auditEvents } from './support/audit.js';
import { type EncKey, makeEncKey } from './support/keys.js';
import { rpAuthorization, upstreamLogin } from './support/login.js';
import { type Mockpass, startMockpass } from './support/mockpass.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const UUID_A = 'a9865837-7bd7-46ac-bef4-42a76a946424'; // mockpass' first profile (S8979373D)
let gw: TestGateway;
let mp: Mockpass;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;
let enc: EncKey;
let config: oidc.Configuration;

beforeAll(async () => {
  enc = await makeEncKey('ECDH-ES+A256KW', 'kakehashi-enc');
  rp = await privateKeyJwtClient('rp-jp', REDIRECT);
  const port = await freePort();
  mp = await startMockpass(`http://127.0.0.1:${port}/a/sg/jwks.json`);
  gw = await bootGateway({
    port,
    clients: [rp.config],
    config: {
      sources: [
        {
          adapter: 'oidc-upstream',
          name: 'sg',
          options: {
            profile: 'singpass',
            issuer: mp.issuer,
            clientId: 'kakehashi-sg-client',
            // mockpass' v2 flow is the pre-FAPI NDI OIDC one: no PAR endpoint, Bearer tokens.
            par: false,
            dpop: false,
            decryptionKeyFiles: [enc.file],
            allowInsecureRequests: true,
          },
        },
      ],
    },
  });
  config = await discover(gw.issuer, rp);
});
afterAll(async () => {
  await gw?.close();
  await mp?.close();
});

/** Logs in at mockpass as (nric, uuid) through its custom-profile route; returns the RP's ID token claims. */
async function loginAs(nric: string, uuid: string) {
  const auth = await rpAuthorization(config, rp);
  const rewriteUpstream = (u: string) => {
    if (!u.startsWith(`${mp.issuer}/authorize?`)) return undefined;
    const q = new URL(u).searchParams;
    const custom = new URL(`${mp.issuer}/authorize/custom-profile`);
    custom.search = new URLSearchParams({
      nric,
      uuid,
      redirectURI: q.get('redirect_uri') ?? '',
      state: q.get('state') ?? '',
      nonce: q.get('nonce') ?? '',
    }).toString();
    return custom.href;
  };
  const callbackUrl = await upstreamLogin(auth.url.href, REDIRECT, 'sg', { rewriteUpstream });
  expect(callbackUrl.searchParams.get('error')).toBeNull();
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: auth.verifier,
    expectedState: auth.state,
    expectedNonce: auth.nonce,
  });
  const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  return { claims: tokens.claims()!, info, raw: JSON.stringify([tokens, info]) };
}

describe('Singpass v2 via mockpass', () => {
  it('logs in with mockpass defaults and releases only a pairwise subject', async () => {
    const auth = await rpAuthorization(config, rp, { acr_values: 'urn:kakehashi:loa:low' });
    const callbackUrl = await upstreamLogin(auth.url.href, REDIRECT, 'sg');
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: auth.verifier,
      expectedState: auth.state,
      expectedNonce: auth.nonce,
    });
    const claims = tokens.claims()!;
    // mockpass' tokens carry no acr and amr ["pwd"]: our mapping makes that low.
    expect(claims.acr).toBe('urn:kakehashi:loa:low');
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(tokens)).not.toMatch(/S8979373D|a9865837/);
  });

  it('seeds the subject with the u= UUID only: same UUID, same pairwise sub; the NRIC changes nothing', async () => {
    const a = await loginAs('S8979373D', UUID_A);
    const b = await loginAs('S8116474F', UUID_A);
    const c = await loginAs('S8979373D', 'f4b70aea-d639-4b79-b8d9-8ace5875f6b1');
    expect(a.claims.sub).toBe(b.claims.sub);
    expect(c.claims.sub).not.toBe(a.claims.sub);
    for (const r of [a, b, c]) expect(r.raw).not.toMatch(/S8979373D|S8116474F|s=|u=/);
  });

  it('accepts the foreign-account form (s=,fid=,coi=,u=) and keeps no foreign identifier', async () => {
    const r = await loginAs('Y4581892I', 'acf8edda-bfdf-45fc-b140-a6ec6955d857');
    expect(r.claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.raw).not.toMatch(/Y4581892I|G730Z-H5P96/);
  });

  it('puts no Singpass identifier into the audit log', async () => {
    const log = JSON.stringify(await auditEvents(gw.gateway));
    expect(log).toContain('login.success');
    expect(log).not.toMatch(/S8979373D|S8116474F|Y4581892I|G730Z|a9865837|acf8edda/);
  });
});
