/**
 * One full OpenID Connect login as a confidential RP would do it: authorization
 * request (PKCE S256, state, nonce) -> the provider's pages -> code -> token
 * (private_key_jwt) with ID token validation -> UserInfo.
 */
import { type JWK, importJWK } from 'jose';
import * as oidc from 'openid-client';
import { UserAgent } from '../http-client.js';

export interface OidcLoginSpec {
  kind: 'oidc-login';
  issuer: string;
  clientId: string;
  redirectUri: string;
  privateJwk: JWK;
  scope: string;
  /** A claim UserInfo must return (a check that the flow really completed). */
  expectClaim: string;
}

export async function oidcLoginWorkload(spec: OidcLoginSpec): Promise<() => Promise<void>> {
  const key = (await importJWK(spec.privateJwk, 'ES256')) as CryptoKey;
  const config = await oidc.discovery(
    new URL(spec.issuer),
    spec.clientId,
    { token_endpoint_auth_method: 'private_key_jwt' },
    oidc.PrivateKeyJwt({ key, kid: spec.privateJwk.kid }),
    { execute: [oidc.allowInsecureRequests] },
  );
  return async function login() {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: spec.redirectUri,
      scope: spec.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const callback = await new UserAgent().browseTo(url.href, spec.redirectUri);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const sub = tokens.claims()?.sub;
    if (!sub) throw new Error('no ID token');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    if (info[spec.expectClaim] === undefined) throw new Error(`userinfo lacks ${spec.expectClaim}`);
  };
}
