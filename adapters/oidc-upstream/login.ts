/**
 * One upstream login: `begin` builds the authorization request (PKCE S256,
 * state, nonce, optional PAR and DPoP) and parks its secrets; `complete`
 * exchanges the code and runs every check (state, iss, aud, nonce, signature,
 * expiry via openid-client; encryption, acr and amr here) before the profile
 * maps the claims.
 */
import { exportJWK, importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { AdapterContext, InteractionRef } from '../../src/core/adapter.js';
import { type CanonicalIdentity, parseCanonicalIdentity } from '../../src/core/identity.js';
import { LOA_LEVELS, type Loa, loaSatisfies, loaSchema } from '../../src/core/loa.js';
import { toUpstreamError, upstreamError } from './errors.js';
import { amrOf } from './profiles/common.js';
import type { UpstreamProfile } from './profiles/types.js';

export interface LoginSettings {
  readonly scope: string;
  readonly par: boolean;
  readonly dpop: boolean;
  readonly userinfo: boolean;
  readonly requireEncryptedIdToken: boolean;
  readonly acrMap: Readonly<Record<string, Loa>>;
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly redirectUri: string;
  readonly issuer: string;
}

/** What the source parks between the redirect and the callback (sealed: it holds a DPoP private key). */
const pendingSchema = z.object({
  uid: z.string(),
  verifier: z.string(),
  nonce: z.string(),
  requiredLoa: loaSchema.optional(),
  dpopJwk: z.record(z.string(), z.unknown()).optional(),
});
type Pending = z.infer<typeof pendingSchema>;

export const PENDING_NAMESPACE = 'login';
const PENDING_TTL_SECONDS = 600;

/** The lowest upstream acr meeting `required` (undefined when nothing is required or nothing fits). */
export function acrValuesFor(
  acrMap: Readonly<Record<string, Loa>>,
  required: Loa | undefined,
): string | undefined {
  if (!required) return undefined;
  for (const level of LOA_LEVELS.slice(LOA_LEVELS.indexOf(required))) {
    const hit = Object.entries(acrMap).find(([, l]) => l === level);
    if (hit) return hit[0];
  }
  return undefined;
}

async function dpopHandle(config: oidc.Configuration, jwk: Record<string, unknown>) {
  const { d: _d, ...pub } = jwk;
  const privateKey = (await importJWK(jwk as JWK, 'ES256')) as CryptoKey;
  const publicKey = (await importJWK(pub as JWK, 'ES256', { extractable: true })) as CryptoKey;
  return oidc.getDPoPHandle(config, { privateKey, publicKey });
}

/** Starts the upstream login; returns the URL to send the browser to. */
export async function beginLogin(
  ctx: AdapterContext,
  config: oidc.Configuration,
  s: LoginSettings,
  interaction: InteractionRef,
): Promise<URL> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const params: Record<string, string> = {
    ...s.authorizationParams,
    redirect_uri: s.redirectUri,
    scope: s.scope,
    response_type: 'code',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  };
  const acr = acrValuesFor(s.acrMap, interaction.requiredLoa);
  if (interaction.requiredLoa && !acr) throw upstreamError('ERR_UPSTREAM_ACR');
  if (acr) params.acr_values = acr;
  const pending: Pending = {
    uid: interaction.uid,
    verifier,
    nonce,
    ...(interaction.requiredLoa && { requiredLoa: interaction.requiredLoa }),
  };
  let dpop: oidc.DPoPHandle | undefined;
  if (s.dpop) {
    const pair = await oidc.randomDPoPKeyPair('ES256', { extractable: true });
    pending.dpopJwk = { ...(await exportJWK(pair.privateKey)) };
    dpop = oidc.getDPoPHandle(config, pair);
  }
  await ctx.sealed.put(PENDING_NAMESPACE, state, pending, PENDING_TTL_SECONDS);
  if (!s.par) return oidc.buildAuthorizationUrl(config, params);
  return oidc.buildAuthorizationUrlWithPAR(config, params, dpop ? { DPoP: dpop } : undefined);
}

/** Takes the parked login for `state`; only the browser that started it may complete it. */
export async function takePending(
  ctx: AdapterContext,
  state: string | undefined,
  uid: string,
): Promise<Pending> {
  const raw = state ? await ctx.sealed.take(PENDING_NAMESPACE, state) : undefined;
  const pending = pendingSchema.safeParse(raw);
  if (!pending.success || pending.data.uid !== uid) throw upstreamError('ERR_UPSTREAM_STATE');
  return pending.data;
}

/** Code exchange and all checks; returns the canonical identity for `finish`. */
export async function completeLogin(
  ctx: AdapterContext,
  config: oidc.Configuration,
  s: LoginSettings,
  profile: UpstreamProfile,
  pending: Pending,
  callbackUrl: URL,
  state: string,
): Promise<CanonicalIdentity> {
  const dpop = pending.dpopJwk ? await dpopHandle(config, pending.dpopJwk) : undefined;
  const tokens = await oidc
    .authorizationCodeGrant(
      config,
      callbackUrl,
      {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      },
      undefined,
      dpop ? { DPoP: dpop } : undefined,
    )
    .catch((e: unknown) => {
      throw toUpstreamError(e, 'token');
    });
  // openid-client decrypts a JWE ID token transparently; a profile that requires encryption refuses a bare JWS.
  if (s.requireEncryptedIdToken && tokens.id_token?.split('.').length !== 5)
    throw upstreamError('ERR_UPSTREAM_NOT_ENCRYPTED');
  const claims = tokens.claims();
  if (!claims) throw upstreamError('ERR_UPSTREAM_RESPONSE');
  if (dpop && tokens.token_type.toLowerCase() !== 'dpop') throw upstreamError('ERR_UPSTREAM_TOKEN');

  const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
  const amr = amrOf(claims);
  const loa = acr === undefined ? profile.loaWithoutAcr?.(amr) : s.acrMap[acr];
  if (!loa) throw upstreamError('ERR_UPSTREAM_ACR');
  if (pending.requiredLoa && !loaSatisfies(loa, pending.requiredLoa)) throw upstreamError('ERR_UPSTREAM_ACR');

  let userinfo: Record<string, unknown> | undefined;
  if (s.userinfo) {
    try {
      userinfo = await oidc.fetchUserInfo(
        config,
        tokens.access_token,
        claims.sub,
        dpop ? { DPoP: dpop } : undefined,
      );
    } catch (e) {
      throw toUpstreamError(e, 'userinfo');
    }
  }
  const now = Math.floor(ctx.now() / 1000);
  return parseCanonicalIdentity(
    profile.toIdentity({
      idToken: claims,
      ...(userinfo && { userinfo }),
      loa,
      amr: profile.mapAmr(amr),
      authTime: typeof claims.auth_time === 'number' ? claims.auth_time : claims.iat,
      now,
      instanceId: ctx.instanceId,
      issuer: s.issuer,
    }),
  );
}
