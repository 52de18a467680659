/**
 * A second, independent RP library (oauth4webapi) logs in through the gateway:
 * code + PKCE with private_key_jwt and with client_secret_basic, ID token
 * validated by processAuthorizationCodeResponse, then userinfo.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGateway, privateKeyJwtClient, type TestGateway } from '../helpers/gateway.js';
import { browserLogin } from '../helpers/rp.js';
import { REDIRECT } from './support.js';

const SECRET = 'kakehashi-conformance-secret-0123456789abcdef';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let gw: TestGateway;
let jwtRp: Awaited<ReturnType<typeof privateKeyJwtClient>>;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  jwtRp = await privateKeyJwtClient('o4w-jwt', REDIRECT);
  const basic = {
    client_id: 'o4w-basic',
    client_secret: SECRET,
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  gw = await bootGateway({ clients: [jwtRp.config, basic] });
  const issuer = new URL(gw.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});
afterAll(async () => gw?.close());

async function loginWith(client: oauth.Client, clientAuth: oauth.ClientAuth) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint ?? '');
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    acr_values: 'urn:kakehashi:loa:substantial',
  }).toString();
  const { callbackUrl } = await browserLogin(url.href, REDIRECT);
  // Checks state and RFC 9207 iss (advertised in discovery, so required here).
  const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    REDIRECT,
    verifier,
    insecure,
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: nonce,
    requireIdToken: true,
  });
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (!claims) throw new Error('no ID token');
  const info = await oauth.processUserInfoResponse(
    as,
    client,
    claims.sub,
    await oauth.userInfoRequest(as, client, result.access_token, insecure),
  );
  return { result, claims, info, nonce };
}

describe('oauth4webapi against the gateway', () => {
  it('discovers the gateway and sees code + S256 only', () => {
    expect(as.issuer).toBe(gw.issuer);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('completes code + PKCE with private_key_jwt, validating the ID token and reading userinfo', async () => {
    const client: oauth.Client = { client_id: 'o4w-jwt', id_token_signed_response_alg: 'ES256' };
    const auth = oauth.PrivateKeyJwt({ key: jwtRp.key.privateKey, kid: jwtRp.key.privateJwk.kid });
    const { result, claims, info, nonce } = await loginWith(client, auth);
    expect(result.token_type.toLowerCase()).toBe('bearer');
    expect(claims.iss).toBe(gw.issuer);
    expect(claims.aud).toBe('o4w-jwt');
    expect(claims.nonce).toBe(nonce);
    expect(claims.acr).toBe('urn:kakehashi:loa:substantial');
    expect(info.sub).toBe(claims.sub);
    expect(info.family_name).toBe('架橋');
  });

  it('completes code + PKCE with client_secret_basic', async () => {
    const client: oauth.Client = { client_id: 'o4w-basic', id_token_signed_response_alg: 'ES256' };
    const { claims, info } = await loginWith(client, oauth.ClientSecretBasic(SECRET));
    expect(claims.aud).toBe('o4w-basic');
    expect(info.given_name).toBe('花子');
  });

  it('a wrong client secret is refused with invalid_client', async () => {
    const client: oauth.Client = { client_id: 'o4w-basic', id_token_signed_response_alg: 'ES256' };
    const err = await loginWith(client, oauth.ClientSecretBasic(`${SECRET}-wrong`)).then(
      () => undefined,
      (e: unknown) => e,
    );
    // RFC 6749 §5.2: failed Basic authentication is a 401 with a WWW-Authenticate challenge.
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const e = err as oauth.WWWAuthenticateChallengeError;
    expect(e.status).toBe(401);
    expect(e.cause[0]?.scheme).toBe('basic');
    expect(e.cause[0]?.parameters.error).toBe('invalid_client');
  });
});
