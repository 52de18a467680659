/**
 * The relying party's side of an authorization code flow with openid-client: the authorization request
 * (PKCE S256, state, optionally a nonce) and, once the browser is back at the redirect URI, the code exchange
 * (checking state and nonce) and the userinfo request.
 */
import * as oidc from 'openid-client';

export interface CodeFlow {
  /** Where the RP sends the browser. */
  readonly url: URL;
  /** Redeems the code of `callbackUrl` and fetches the userinfo with the access token. */
  redeem(callbackUrl: URL): Promise<{
    claims: oidc.IDToken;
    info: oidc.UserInfoResponse;
  }>;
}

export async function codeFlow(
  config: oidc.Configuration,
  redirectUri: string,
  params: Record<string, string>,
  options: { nonce?: boolean } = {},
): Promise<CodeFlow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = options.nonce ? oidc.randomNonce() : undefined;
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(nonce && { nonce }),
    ...params,
  });
  return {
    url,
    redeem: async (callbackUrl) => {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        ...(nonce && { expectedNonce: nonce }),
      });
      const claims = tokens.claims()!;
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      return { claims, info };
    },
  };
}
