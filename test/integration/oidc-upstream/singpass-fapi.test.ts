/**
 * The Singpass profile's FAPI 2.0 flow (PAR + DPoP + PKCE + private_key_jwt,
 * JWE ID token) against a Singpass-FAPI-like test OP built from oidc-provider's
 * FAPI 2.0 profile (the registry's mockpass predates Singpass' FAPI endpoints).
 * The OP requires PAR and DPoP-bound tokens, so a successful login proves both.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGateway, freePort, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { discover } from '../../helpers/rp.js';
import { auditEvents, lastRefusal } from './support/audit.js';
import { type EncKey, makeEncKey } from './support/keys.js';
import { rpAuthorization, upstreamLogin } from './support/login.js';
import { startTestOp, type TestOp } from './support/test-op.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const SG_UUID = '0c400961-eb00-425a-8df4-6656b0b9245a';
const NRIC = 'S9812381D';
let gw: TestGateway;
let op: TestOp;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;
let enc: EncKey;
let config: oidc.Configuration;

/** Myinfo-style person data (v3 wrapping: `source: "1"` = government-verified). */
const PERSON = {
  name: { value: 'TAN XIAO HUI', source: '1' },
  dob: { value: '1988-10-06', source: '1' },
  sex: { code: 'F', desc: 'FEMALE', source: '1' },
  nationality: { code: 'SG', desc: 'SINGAPORE CITIZEN', source: '1' },
  regadd: {
    type: 'SG',
    country: { code: 'SG', desc: 'SINGAPORE' },
    block: { value: '102' },
    street: { value: 'BEDOK NORTH AVENUE 4' },
    floor: { value: '09' },
    unit: { value: '128' },
    building: { value: 'PEARL GARDEN' },
    postal: { value: '460102' },
    source: '1',
  },
  sub_attributes: {
    account_type: 'standard',
    identity_number: NRIC,
    identity_coi: 'SG',
    name: 'TAN XIAO HUI',
  },
};

const opClient = (clientId: string, source: string, encAlg: 'A256CBC-HS512' | 'A256GCM', gwBase: string) => ({
  client_id: clientId,
  redirect_uris: [`${gwBase}/a/${source}/callback`],
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'ES256',
  jwks_uri: `${gwBase}/a/${source}/jwks.json`,
  id_token_signed_response_alg: 'ES256',
  id_token_encrypted_response_alg: 'ECDH-ES+A256KW',
  id_token_encrypted_response_enc: encAlg,
  dpop_bound_access_tokens: true,
  require_pushed_authorization_requests: true,
});

const source = (name: string, clientId: string, issuer: string) => ({
  adapter: 'oidc-upstream',
  name,
  options: {
    profile: 'singpass',
    issuer,
    clientId,
    scope: 'openid user.identity name dob sex nationality regadd',
    userinfo: true,
    decryptionKeyFiles: [enc.file],
    allowInsecureRequests: true,
    authorizationParams: { authentication_context_type: 'APP_AUTHENTICATION_DEFAULT' },
  },
});

beforeAll(async () => {
  enc = await makeEncKey('ECDH-ES+A256KW', 'kakehashi-enc');
  rp = await privateKeyJwtClient('rp-jp', REDIRECT);
  const port = await freePort();
  const gwBase = `http://127.0.0.1:${port}`;
  op = await startTestOp({
    fapi: true,
    path: '/fapi',
    clients: [
      opClient('kakehashi-sg-cbc', 'sg', 'A256CBC-HS512', gwBase),
      opClient('kakehashi-sg-gcm', 'sg-gcm', 'A256GCM', gwBase),
    ],
    acrValues: [
      'urn:singpass:authentication:loa:1',
      'urn:singpass:authentication:loa:2',
      'urn:singpass:authentication:loa:3',
    ],
    login: { accountId: SG_UUID, acr: 'urn:singpass:authentication:loa:3', amr: ['pwd', 'fv'] },
    account: PERSON,
    claims: {
      'user.identity': ['sub_attributes'],
      name: ['name'],
      dob: ['dob'],
      sex: ['sex'],
      nationality: ['nationality'],
      regadd: ['regadd'],
    },
  });
  gw = await bootGateway({
    port,
    clients: [rp.config],
    config: {
      sources: [source('sg', 'kakehashi-sg-cbc', op.issuer), source('sg-gcm', 'kakehashi-sg-gcm', op.issuer)],
    },
  });
  config = await discover(gw.issuer, rp);
});
afterAll(async () => {
  await gw?.close();
  await op?.close();
});

describe('Singpass FAPI 2.0 profile against an oidc-provider FAPI 2.0 OP', () => {
  it.each([
    ['sg', 'A256CBC-HS512'],
    ['sg-gcm', 'A256GCM'],
  ])('logs in through %s (JWE %s), maps Myinfo data, never keeps the NRIC', async (name) => {
    op.login.acr = 'urn:singpass:authentication:loa:3';
    const auth = await rpAuthorization(config, rp, {
      scope: 'openid profile address',
      acr_values: 'urn:kakehashi:loa:high',
    });
    const callbackUrl = await upstreamLogin(auth.url.href, REDIRECT, name);
    expect(callbackUrl.searchParams.get('error')).toBeNull();
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: auth.verifier,
      expectedState: auth.state,
      expectedNonce: auth.nonce,
    });
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('urn:kakehashi:loa:high');
    expect(claims.amr).toEqual(['pwd', 'face', 'mfa']);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.name).toBe('TAN XIAO HUI');
    expect(info.birthdate).toBe('1988-10-06');
    expect(info.gender).toBe('female');
    expect(info.nationalities).toEqual(['SG']);
    expect((info.address as { formatted: string }).formatted).toBe(
      '102 BEDOK NORTH AVENUE 4, #09-128, PEARL GARDEN, Singapore 460102',
    );
    const everything = JSON.stringify([tokens, info, await auditEvents(gw.gateway)]);
    expect(everything).not.toContain(NRIC);
    expect(everything).not.toContain(SG_UUID);
  });

  it('asks upstream for loa:3 when the RP needs high, and refuses a loa:2 answer', async () => {
    op.login.acr = 'urn:singpass:authentication:loa:2';
    const auth = await rpAuthorization(config, rp, { acr_values: 'urn:kakehashi:loa:high' });
    const callbackUrl = await upstreamLogin(auth.url.href, REDIRECT, 'sg');
    expect(callbackUrl.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect((await lastRefusal(gw.gateway))?.reason).toBe('ERR_UPSTREAM_ACR');
  });
});
