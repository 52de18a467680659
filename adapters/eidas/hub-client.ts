/**
 * The proxy service as an internal relying party of the hub (docs/adapters.md): authorization code + PKCE
 * with private_key_jwt, one OAuth client per destination country so the hub's pairwise `sub` is scoped per
 * country. openid-client 6 does the OIDC work.
 */
import type { JWK } from 'jose';
import { importJWK } from 'jose';
import * as oidc from 'openid-client';
import type { Loa } from '../../src/core/loa.js';
import { acrForLoa, loaForAcr } from '../../src/core/loa.js';

/** Claims our attribute set can come from (scope-released standard claims; consent applies). */
const SCOPE = 'openid profile address';

export interface HubLogin {
  readonly url: string;
  readonly codeVerifier: string;
  readonly state: string;
  readonly nonce: string;
}

export interface HubResult {
  readonly sub: string;
  readonly loa: Loa;
  readonly authTime: number;
  readonly claims: Record<string, unknown>;
  /** The hub's ID token (kept only as id_token_hint for RP-initiated logout at the hub). */
  readonly idToken?: string;
}

/** Per-login choices of a bridge (defaults: the eIDAS ones). */
export interface HubBeginOptions {
  readonly scope?: string;
  readonly prompt?: string;
}

export class HubError extends Error {
  readonly oauthError: string;
  constructor(oauthError: string) {
    super(`hub returned ${oauthError}`);
    this.oauthError = oauthError;
    this.name = 'HubError';
  }
}

/**
 * Hub client metadata of a bridge's internal client: private_key_jwt with the bridge's key, the bridge's
 * callback, a pairwise `sub` in `sector`, and only `allowedClaims`.
 */
export function internalClientMetadata(c: {
  clientId: string;
  name: string;
  callbackUrl: string;
  publicJwk: JWK;
  sector: string;
  allowedClaims: readonly string[];
  postLogoutRedirectUris?: readonly string[];
}) {
  return {
    client_id: c.clientId,
    client_name: c.name.slice(0, 255),
    redirect_uris: [c.callbackUrl],
    ...(c.postLogoutRedirectUris && { post_logout_redirect_uris: [...c.postLogoutRedirectUris] }),
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [c.publicJwk as Record<string, unknown>] },
    subject_type: 'pairwise',
    sector_identifier: c.sector,
    allowed_claims: [...c.allowedClaims],
  };
}

export function createHubClient(issuer: string, redirectUri: string, privateJwk: JWK) {
  const configs = new Map<string, Promise<oidc.Configuration>>();
  const config = (clientId: string) => {
    let c = configs.get(clientId);
    if (!c) {
      c = (async () => {
        const key = (await importJWK(privateJwk, privateJwk.alg ?? 'ES256')) as CryptoKey;
        return oidc.discovery(
          new URL(issuer),
          clientId,
          { token_endpoint_auth_method: 'private_key_jwt' },
          oidc.PrivateKeyJwt({ key, kid: privateJwk.kid }),
          issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
        );
      })();
      c.catch(() => configs.delete(clientId));
      configs.set(clientId, c);
    }
    return c;
  };

  return {
    async begin(clientId: string, minimum: Loa, opts: HubBeginOptions = {}): Promise<HubLogin> {
      const cfg = await config(clientId);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(cfg, {
        redirect_uri: redirectUri,
        scope: opts.scope ?? SCOPE,
        acr_values: acrForLoa(minimum),
        claims: JSON.stringify({ id_token: { acr: { essential: true, value: acrForLoa(minimum) } } }),
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        prompt: opts.prompt ?? 'login consent',
      });
      return { url: url.href, codeVerifier, state, nonce };
    },

    /** Exchange the code; throws HubError when the hub returned an OAuth error. */
    async complete(clientId: string, callbackUrl: URL, login: HubLogin): Promise<HubResult> {
      const err = callbackUrl.searchParams.get('error');
      if (err) throw new HubError(err);
      const cfg = await config(clientId);
      const tokens = await oidc.authorizationCodeGrant(cfg, callbackUrl, {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      const id = tokens.claims();
      if (!id) throw new HubError('invalid_grant');
      const loa = typeof id.acr === 'string' ? loaForAcr(id.acr) : undefined;
      if (!loa) throw new HubError('unmet_authentication_requirements');
      const claims = await oidc.fetchUserInfo(cfg, tokens.access_token, id.sub);
      return {
        sub: id.sub,
        loa,
        authTime: typeof id.auth_time === 'number' ? id.auth_time : Math.floor(Date.now() / 1000),
        claims: { ...claims },
        ...(tokens.id_token && { idToken: tokens.id_token }),
      };
    },
  };
}
export type HubClient = ReturnType<typeof createHubClient>;
