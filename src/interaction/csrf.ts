/**
 * CSRF tokens for the interaction forms: an HMAC of the interaction uid under a
 * key of the gateway. The interaction itself is bound to the browser by
 * oidc-provider's interaction cookie, so a forged form needs both.
 *
 * The keys are derived from the cookie keys (deriveCsrfKey), so every instance of
 * a deployment accepts the forms of every other; the first key signs, all verify
 * (a form rendered just before a cookie-key rotation still posts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function csrfToken(keys: readonly Uint8Array[], uid: string): string {
  const [key] = keys;
  if (key === undefined) throw new Error('no CSRF key');
  return hmac(key, uid);
}

export function checkCsrf(keys: readonly Uint8Array[], uid: string, token: unknown): boolean {
  if (typeof token !== 'string') return false;
  const given = Buffer.from(token);
  let ok = false;
  for (const key of keys) {
    const expected = Buffer.from(hmac(key, uid));
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

function hmac(key: Uint8Array, uid: string): string {
  return createHmac('sha256', key).update(`csrf\0${uid}`).digest('base64url');
}
