/**
 * One full OpenID Connect login as a confidential RP would do it: authorization
 * request (PKCE S256, state, nonce) -> the provider's pages -> code -> token
 * (private_key_jwt) with ID token validation -> UserInfo. How the user gets
 * through the provider's pages is a parameter (`browse`): forms by default,
 * a card client for JPKI (jpki-login.ts).
 */
import { importJWK, type JWK } from 'jose';
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
  /** Extra authorization request parameters (e.g. acr_values). */
  params?: Record<string, string>;
}

/** Takes the user from the authorization URL to the redirect back to the RP; returns that callback URL. */
export type Browse = (ua: UserAgent, authorizationUrl: string, redirectUri: string) => Promise<URL>;

const browseForms: Browse = (ua, url, redirectUri) => ua.browseTo(url, redirectUri);

export async function oidcLoginWorkload(
  spec: Omit<OidcLoginSpec, 'kind'>,
  browse: Browse = browseForms,
): Promise<() => Promise<void>> {
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
      ...spec.params,
    });
    const callback = await browse(new UserAgent(), url.href, spec.redirectUri);
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
