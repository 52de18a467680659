/**
 * SealedStore: values carrying personal attributes, encrypted at rest.
 *
 * Each value is a compact JWE (RFC 7516) with `alg: dir`, `enc: A256GCM`
 * under the gateway's 32-byte seal key. The protected header (authenticated
 * as AES-GCM additional data) names the namespace and key the value was
 * sealed for; opening checks them, so a ciphertext copied to another record
 * fails even though it decrypts. `kid` selects among current and previous
 * keys, so the seal key can rotate while older records stay readable.
 */
import { createHash, webcrypto } from 'node:crypto';
import { base64url, CompactEncrypt, compactDecrypt } from 'jose';
import type { SealedStore } from '../core/adapter.js';
import { GatewayError } from '../core/errors.js';
import type { Store } from './store.js';
import { encodeValue } from './store-support.js';

export interface SealKey {
  keyId: string;
  key: Uint8Array;
}

export interface SealedStoreOptions {
  /** `kid` of `key` (default: derived from a hash of the key). */
  keyId?: string;
  /** Retired keys that may still open older records; never used to seal. */
  previousKeys?: SealKey[];
}

/** Protected-header parameters binding a ciphertext to its record. */
const NS_HEADER = 'kh_ns';
const KEY_HEADER = 'kh_key';

const decoder = new TextDecoder();

/** A stable, non-secret id for a seal key. */
export function sealKeyId(key: Uint8Array): string {
  const digest = createHash('sha256').update('kakehashi seal key id\0').update(key).digest();
  return base64url.encode(digest.subarray(0, 9));
}

function sealedError(code: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError(code, message, { oauth: 'server_error', status: 500, cause });
}

const OPENED_MAX = 256;

export function createSealedStore(
  store: Store,
  key: Uint8Array,
  options: SealedStoreOptions = {},
): SealedStore {
  const current: SealKey = { keyId: options.keyId ?? sealKeyId(key), key };
  const keys = new Map<string, Uint8Array>();
  for (const k of [current, ...(options.previousKeys ?? [])]) {
    if (k.key.byteLength !== 32) throw new RangeError(`seal key ${k.keyId} must be 32 bytes`);
    if (keys.has(k.keyId)) throw new RangeError(`duplicate seal key id ${k.keyId}`);
    keys.set(k.keyId, k.key);
  }

  // jose does the JWE; the AES-256-GCM keys are imported into WebCrypto once (lazily), not per record.
  const cryptoKeys = new Map<string, Promise<CryptoKey>>();
  const cryptoKey = (keyId: string, raw: Uint8Array): Promise<CryptoKey> => {
    let k = cryptoKeys.get(keyId);
    if (!k) {
      k = webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ]) as Promise<CryptoKey>;
      cryptoKeys.set(keyId, k);
    }
    return k;
  };
  const encoder = new TextEncoder();
  const seal = async (namespace: string, recordKey: string, plaintext: string): Promise<string> =>
    new CompactEncrypt(encoder.encode(plaintext))
      .setProtectedHeader({
        alg: 'dir',
        enc: 'A256GCM',
        kid: current.keyId,
        [NS_HEADER]: namespace,
        [KEY_HEADER]: recordKey,
      })
      .encrypt(await cryptoKey(current.keyId, current.key));

  // Recently opened records, keyed by their exact ciphertext: a login reads the same sealed identity at the
  // authorization resume, the token and the userinfo request. Only what the store still returns can hit, so
  // expiry and deletion in the store apply unchanged; plaintext stays in memory only, bounded in count.
  const opened = new Map<string, { namespace: string; recordKey: string; plaintext: string }>();
  const remember = (stored: string, entry: { namespace: string; recordKey: string; plaintext: string }) => {
    if (opened.size >= OPENED_MAX) opened.delete(opened.keys().next().value as string);
    opened.set(stored, entry);
  };

  const open = async <T>(namespace: string, recordKey: string, stored: unknown): Promise<T | undefined> => {
    if (stored === undefined) return undefined;
    if (typeof stored !== 'string') throw sealedError('ERR_SEALED_TAMPERED', 'sealed record is malformed');
    const hit = opened.get(stored);
    if (hit) {
      if (hit.namespace !== namespace || hit.recordKey !== recordKey) {
        throw sealedError('ERR_SEALED_MISBOUND', 'sealed record belongs to another record');
      }
      return JSON.parse(hit.plaintext) as T;
    }
    let result: Awaited<ReturnType<typeof compactDecrypt>>;
    try {
      result = await compactDecrypt(
        stored,
        (header) => {
          const k = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
          if (k === undefined)
            throw sealedError('ERR_SEALED_UNKNOWN_KEY', 'sealed record uses an unknown key');
          return cryptoKey(header.kid as string, k);
        },
        { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] },
      );
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      throw sealedError('ERR_SEALED_TAMPERED', 'sealed record failed to decrypt', e);
    }
    const header = result.protectedHeader;
    if (header[NS_HEADER] !== namespace || header[KEY_HEADER] !== recordKey) {
      throw sealedError('ERR_SEALED_MISBOUND', 'sealed record belongs to another record');
    }
    const plaintext = decoder.decode(result.plaintext);
    remember(stored, { namespace, recordKey, plaintext });
    return JSON.parse(plaintext) as T;
  };

  return {
    async put(namespace, recordKey, value, ttlSeconds) {
      const plaintext = encodeValue(value);
      const sealedValue = await seal(namespace, recordKey, plaintext);
      await store.set(namespace, recordKey, sealedValue, ttlSeconds);
      remember(sealedValue, { namespace, recordKey, plaintext });
    },
    async get<T = unknown>(namespace: string, recordKey: string): Promise<T | undefined> {
      return open<T>(namespace, recordKey, await store.get(namespace, recordKey));
    },
    async take<T = unknown>(namespace: string, recordKey: string): Promise<T | undefined> {
      return open<T>(namespace, recordKey, await store.take(namespace, recordKey));
    },
    async delete(namespace, recordKey) {
      await store.delete(namespace, recordKey);
    },
  };
}
