/**
 * The Digital Agency authentication app profile against a stand-in OP built from
 * oidc-provider and configured like the public service (code + PKCE S256,
 * state and nonce, private_key_jwt, ES256 ID tokens, scopes
 * `openid name address birthdate gender`, acr `aal3`). The real endpoints are
 * configuration. Also covers signed and encrypted userinfo responses.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGateway, freePort, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { discover } from '../../helpers/rp.js';
import { lastRefusal } from './support/audit.js';
import { type EncKey, makeEncKey } from './support/keys.js';
import { rpAuthorization, upstreamLogin } from './support/login.js';
import { startTestOp, type TestOp } from './support/test-op.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
let gw: TestGateway;
let op: TestOp;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;
let enc: EncKey;
let config: oidc.Configuration;

const opClient = (clientId: string, source: string, gwBase: string, extra: Record<string, unknown>) => ({
  client_id: clientId,
  redirect_uris: [`${gwBase}/a/${source}/callback`],
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'ES256',
  jwks_uri: `${gwBase}/a/${source}/jwks.json`,
  id_token_signed_response_alg: 'ES256',
  ...extra,
});

beforeAll(async () => {
  enc = await makeEncKey('ECDH-ES+A256KW', 'kakehashi-enc');
  rp = await privateKeyJwtClient('rp-jp', REDIRECT);
  const port = await freePort();
  const gwBase = `http://127.0.0.1:${port}`;
  op = await startTestOp({
    fapi: false,
    clients: [
      opClient('kakehashi-da', 'da', gwBase, { userinfo_signed_response_alg: 'ES256' }),
      opClient('kakehashi-generic', 'generic', gwBase, {
        userinfo_signed_response_alg: 'ES256',
        userinfo_encrypted_response_alg: 'ECDH-ES+A256KW',
        userinfo_encrypted_response_enc: 'A256GCM',
      }),
    ],
    acrValues: ['aal3', 'aal2'],
    login: { accountId: 'da-subject-0001', acr: 'aal3', amr: ['hwk', 'pin'] },
    account: {
      name: '架橋 花子',
      birthdate: '1990-04-01',
      gender: 'female',
      address: { formatted: '東京都千代田区霞が関一丁目1番1号' },
    },
    claims: { name: ['name'], address: ['address'], birthdate: ['birthdate'], gender: ['gender'] },
  });
  const common = { issuer: op.issuer, allowInsecureRequests: true };
  gw = await bootGateway({
    port,
    clients: [rp.config],
    config: {
      sources: [
        {
          adapter: 'oidc-upstream',
          name: 'da',
          options: {
            ...common,
            profile: 'digital-agency',
            clientId: 'kakehashi-da',
            userinfoSignedResponseAlg: 'ES256',
          },
        },
        {
          adapter: 'oidc-upstream',
          name: 'generic',
          options: {
            ...common,
            clientId: 'kakehashi-generic',
            scope: 'openid name birthdate',
            acrMap: { aal3: 'high' },
            // oidc-provider puts acr into the ID token only when it was asked for.
            authorizationParams: { acr_values: 'aal3' },
            maxLoa: 'high',
            decryptionKeyFiles: [enc.file],
            userinfoSignedResponseAlg: 'ES256',
          },
        },
      ],
    },
  });
  config = await discover(gw.issuer, rp);
});
afterAll(async () => {
  await gw?.close();
  await op?.close();
});

async function loginThrough(source: string, params: Record<string, string>) {
  const auth = await rpAuthorization(config, rp, params);
  const callbackUrl = await upstreamLogin(auth.url.href, REDIRECT, source);
  expect(callbackUrl.searchParams.get('error')).toBeNull();
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: auth.verifier,
    expectedState: auth.state,
    expectedNonce: auth.nonce,
  });
  const claims = tokens.claims()!;
  return { claims, info: await oidc.fetchUserInfo(config, tokens.access_token, claims.sub) };
}

describe('Digital Agency authentication app profile (stand-in OP)', () => {
  it('logs in at aal3 with signed userinfo; the RP gets LoA high and verified JPKI claims', async () => {
    op.login.acr = 'aal3';
    const { claims, info } = await loginThrough('da', {
      scope: 'openid profile address verified_claims',
      acr_values: 'urn:kakehashi:loa:high',
    });
    expect(claims.acr).toBe('urn:kakehashi:loa:high');
    expect(claims.amr).toEqual(['hwk', 'pin']);
    expect(info.name).toBe('架橋 花子');
    expect(info.birthdate).toBe('1990-04-01');
    expect(info.gender).toBe('female');
    const vc = info.verified_claims as {
      verification: Record<string, unknown>;
      claims: Record<string, unknown>;
    };
    expect(vc.verification.trust_framework).toBe('jp_jpki');
    expect(vc.verification.assurance_level).toBe('high');
    expect(vc.claims.birthdate).toBe('1990-04-01');
  });

  it('refuses aal2 when the RP needs high', async () => {
    op.login.acr = 'aal2';
    const auth = await rpAuthorization(config, rp, { acr_values: 'urn:kakehashi:loa:high' });
    const callbackUrl = await upstreamLogin(auth.url.href, REDIRECT, 'da');
    expect(callbackUrl.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect((await lastRefusal(gw.gateway))?.reason).toBe('ERR_UPSTREAM_ACR');
  });

  it('decrypts an encrypted (signed, then encrypted) userinfo response (generic profile)', async () => {
    op.login.acr = 'aal3';
    const { info } = await loginThrough('generic', { scope: 'openid profile' });
    expect(info.name).toBe('架橋 花子');
    expect(info.birthdate).toBe('1990-04-01');
  });
});
