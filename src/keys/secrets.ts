/**
 * Symmetric secrets: the seal key (AES-256-GCM key of the SealedStore), cookie signing
 * keys (oidc-provider `cookies.keys`) and the pepper for HMAC pseudonymous ids.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { KeyParseError } from './signing-jwk.js';

export interface SealKey {
  /** Short id stored with each sealed value so the right key is picked on open. Derived from the key (one-way). */
  readonly keyId: string;
  readonly key: Uint8Array;
}

export const SEAL_KEY_BYTES = 32;
export const MIN_PEPPER_BYTES = 32;
export const MIN_COOKIE_KEY_CHARS = 32;

function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function decodeB64u(value: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new KeyParseError(`${what} is not base64url`);
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

export function sealKeyFromBytes(key: Uint8Array): SealKey {
  const keyId = createHash('sha256')
    .update('kakehashi seal key id\0')
    .update(key)
    .digest('base64url')
    .slice(0, 16);
  return { keyId, key };
}

/** Seal keys from text: base64url 32-byte keys separated by commas or newlines; the first is current, the rest previous. */
export function parseSealKeys(text: string): SealKey[] {
  const items = splitList(text);
  if (items.length === 0) throw new KeyParseError('no seal key');
  return items.map((item, i) => {
    const key = decodeB64u(item, `seal key #${i + 1}`);
    if (key.length !== SEAL_KEY_BYTES) {
      throw new KeyParseError(`seal key #${i + 1} must be ${SEAL_KEY_BYTES} bytes, got ${key.length}`);
    }
    return sealKeyFromBytes(key);
  });
}

/** Cookie keys from text, separated by commas or newlines; the first signs, all verify. */
export function parseCookieKeys(text: string): string[] {
  const keys = splitList(text);
  if (keys.length === 0) throw new KeyParseError('no cookie key');
  keys.forEach((k, i) => {
    if (k.length < MIN_COOKIE_KEY_CHARS) {
      throw new KeyParseError(`cookie key #${i + 1} must be at least ${MIN_COOKIE_KEY_CHARS} characters`);
    }
  });
  return keys;
}

/** The pepper: base64url of at least 32 bytes. */
export function parsePepper(text: string): Uint8Array {
  const pepper = decodeB64u(text.trim(), 'pepper');
  if (pepper.length < MIN_PEPPER_BYTES)
    throw new KeyParseError(`pepper must be at least ${MIN_PEPPER_BYTES} bytes`);
  return pepper;
}

/**
 * A secret derived from the seal key (HKDF-SHA256, RFC 5869) for deployments that supply
 * no separate cookie keys or pepper: all instances sharing the seal key derive the same value.
 */
export function deriveFromSealKey(seal: SealKey, label: 'cookie' | 'pepper'): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', seal.key, new Uint8Array(0), `kakehashi ${label} v1`, 32));
}

/**
 * The interaction forms' CSRF key for one cookie key (HKDF-SHA256 with its own label): every instance that shares
 * the cookie keys accepts a form another instance rendered, and rotating the cookie keys rotates it too.
 */
export function deriveCsrfKey(cookieKey: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', cookieKey, new Uint8Array(0), 'kakehashi csrf v1', 32));
}
