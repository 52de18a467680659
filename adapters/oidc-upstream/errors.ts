/**
 * Upstream failures as GatewayErrors. Every failure of an upstream login ends
 * with `ctx.interactions.fail` carrying one of these codes: the relying party
 * gets the OAuth error, the audit log gets the code (`login.refused`).
 * Messages are fixed strings: nothing from the upstream's body is echoed.
 */
import * as oidc from 'openid-client';
import { GatewayError, type GatewayErrorOptions, isGatewayError } from '../../src/core/errors.js';

export const UPSTREAM_ERRORS = {
  ERR_UPSTREAM_DISCOVERY: ['the identity provider is unavailable (metadata)', 'temporarily_unavailable'],
  ERR_UPSTREAM_UNAVAILABLE: ['the identity provider could not be reached', 'temporarily_unavailable'],
  ERR_UPSTREAM_PAR: ['the identity provider refused the authorization request', 'access_denied'],
  ERR_UPSTREAM_STATE: ['the sign-in response does not belong to this login', 'access_denied'],
  ERR_UPSTREAM_DENIED: ['the sign-in at the identity provider was cancelled or refused', 'access_denied'],
  ERR_UPSTREAM_AUTHORIZATION: ['the identity provider returned an error', 'access_denied'],
  ERR_UPSTREAM_TOKEN: ['the identity provider refused the token request', 'access_denied'],
  ERR_UPSTREAM_DPOP_NONCE: ['the identity provider kept refusing the DPoP proof nonce', 'access_denied'],
  ERR_UPSTREAM_SIGNATURE: ['the ID token signature is invalid', 'access_denied'],
  ERR_UPSTREAM_ISSUER: ['the ID token was issued by an unexpected issuer', 'access_denied'],
  ERR_UPSTREAM_AUDIENCE: ['the ID token was issued for another client', 'access_denied'],
  ERR_UPSTREAM_NONCE: ['the ID token does not match this login (nonce)', 'access_denied'],
  ERR_UPSTREAM_EXPIRED: ['the ID token has expired or is not yet valid', 'access_denied'],
  ERR_UPSTREAM_DECRYPT: ['the encrypted ID token could not be decrypted', 'access_denied'],
  ERR_UPSTREAM_NOT_ENCRYPTED: ['the identity provider sent an unencrypted ID token', 'access_denied'],
  ERR_UPSTREAM_ACR: [
    'the identity provider authenticated at a lower level than required',
    'unmet_authentication_requirements',
  ],
  ERR_UPSTREAM_USERINFO: ['the identity provider refused the userinfo request', 'access_denied'],
  ERR_UPSTREAM_RESPONSE: ['the identity provider sent an invalid response', 'access_denied'],
} as const satisfies Record<string, readonly [string, GatewayErrorOptions['oauth']]>;

export type UpstreamErrorCode = keyof typeof UPSTREAM_ERRORS | 'ERR_UPSTREAM_CLAIMS';

export function upstreamError(code: keyof typeof UPSTREAM_ERRORS, cause?: unknown): GatewayError {
  const [message, oauth] = UPSTREAM_ERRORS[code];
  return new GatewayError(code, message, { oauth, cause });
}

/** Which step failed, for errors that depend on it (a refused request at the PAR vs the token endpoint). */
export type UpstreamStep = 'discovery' | 'authorize' | 'callback' | 'token' | 'userinfo';

function claimOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { claim?: unknown; cause?: { claim?: unknown } } }).cause;
  const claim = cause?.claim ?? cause?.cause?.claim;
  return typeof claim === 'string' ? claim : undefined;
}

function messageOf(err: unknown): string {
  const m = (err as { message?: unknown }).message;
  return typeof m === 'string' ? m : '';
}

function isDPoPNonceError(err: unknown): boolean {
  if (err instanceof oidc.ResponseBodyError) return err.error === 'use_dpop_nonce';
  if (err instanceof oidc.WWWAuthenticateChallengeError)
    return err.cause.some((c) => c.scheme === 'dpop' && c.parameters.error === 'use_dpop_nonce');
  return false;
}

/** Translate anything openid-client (oauth4webapi, jose) throws into one of our codes. */
export function toUpstreamError(err: unknown, step: UpstreamStep): GatewayError {
  if (isGatewayError(err)) return err;
  if (step === 'discovery') return upstreamError('ERR_UPSTREAM_DISCOVERY', err);
  if (isDPoPNonceError(err)) return upstreamError('ERR_UPSTREAM_DPOP_NONCE', err);
  if (err instanceof oidc.AuthorizationResponseError) {
    return upstreamError(
      err.error === 'access_denied' ? 'ERR_UPSTREAM_DENIED' : 'ERR_UPSTREAM_AUTHORIZATION',
      err,
    );
  }
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.WWWAuthenticateChallengeError) {
    if (step === 'authorize') return upstreamError('ERR_UPSTREAM_PAR', err);
    if (step === 'userinfo') return upstreamError('ERR_UPSTREAM_USERINFO', err);
    return upstreamError('ERR_UPSTREAM_TOKEN', err);
  }
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'OAUTH_DECRYPTION_FAILED':
      return upstreamError('ERR_UPSTREAM_DECRYPT', err);
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      return upstreamError('ERR_UPSTREAM_EXPIRED', err);
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED': {
      const claim = claimOf(err);
      if (claim === 'iss') return upstreamError('ERR_UPSTREAM_ISSUER', err);
      if (claim === 'aud' || claim === 'azp') return upstreamError('ERR_UPSTREAM_AUDIENCE', err);
      if (claim === 'nonce') return upstreamError('ERR_UPSTREAM_NONCE', err);
      return upstreamError('ERR_UPSTREAM_RESPONSE', err);
    }
    case 'OAUTH_INVALID_RESPONSE':
      if (/signature verification failed/i.test(messageOf((err as { cause?: unknown }).cause ?? err)))
        return upstreamError('ERR_UPSTREAM_SIGNATURE', err);
      return upstreamError('ERR_UPSTREAM_RESPONSE', err);
    case 'OAUTH_JWT_USERINFO_EXPECTED':
      return upstreamError('ERR_UPSTREAM_USERINFO', err);
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
    case 'OAUTH_RESPONSE_IS_NOT_JSON':
    case 'OAUTH_PARSE_ERROR':
    case 'OAUTH_KEY_SELECTION_FAILED':
      return upstreamError('ERR_UPSTREAM_RESPONSE', err);
    default:
      break;
  }
  // fetch() rejects with a TypeError when the upstream cannot be reached; aborts on timeout.
  if (err instanceof TypeError || (err as { name?: unknown }).name === 'TimeoutError')
    return upstreamError('ERR_UPSTREAM_UNAVAILABLE', err);
  return upstreamError('ERR_UPSTREAM_RESPONSE', err);
}
