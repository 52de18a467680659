/**
 * CSRF tokens for the interaction forms: an HMAC of the interaction uid under a
 * key of the gateway. The interaction itself is bound to the browser by
 * oidc-provider's interaction cookie, so a forged form needs both.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function csrfToken(key: Uint8Array, uid: string): string {
  return createHmac('sha256', key).update(`csrf\0${uid}`).digest('base64url');
}

export function checkCsrf(key: Uint8Array, uid: string, token: unknown): boolean {
  if (typeof token !== 'string') return false;
  const expected = Buffer.from(csrfToken(key, uid));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
