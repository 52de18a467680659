import { randomBytes } from 'node:crypto';
import { base64url, CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import { createSealedStore, sealKeyId } from '../../../src/storage/sealed-store.js';
import type { Store } from '../../../src/storage/store.js';

const person = { familyName: '山田', givenName: '太郎', birthdate: '1980-04-01', address: '東京都千代田区' };
const key = new Uint8Array(randomBytes(32));

async function rawOf(store: Store, ns: string, k: string): Promise<string> {
  const raw = await store.get(ns, k);
  if (typeof raw !== 'string') throw new Error('expected a compact JWE string');
  return raw;
}

/** Replace one base64url character in segment `index` of a compact JWE. */
function flip(jwe: string, index: number): string {
  const parts = jwe.split('.');
  const seg = parts[index]!;
  parts[index] = (seg[0] === 'A' ? 'B' : 'A') + seg.slice(1);
  return parts.join('.');
}

describe('sealed store', () => {
  let store: Store;
  beforeEach(() => {
    store = createMemoryStore();
  });

  it('round-trips values through put/get/take/delete', async () => {
    const sealed = createSealedStore(store, key);
    await sealed.put('identity', 'i1', person, 60);
    expect(await sealed.get('identity', 'i1')).toEqual(person);
    expect(await sealed.take('identity', 'i1')).toEqual(person);
    expect(await sealed.get('identity', 'i1')).toBeUndefined();
    await sealed.put('identity', 'i2', person, 60);
    await sealed.delete('identity', 'i2');
    expect(await sealed.get('identity', 'i2')).toBeUndefined();
  });

  it('stores a dir/A256GCM compact JWE with none of the plaintext, even decoded', async () => {
    await createSealedStore(store, key).put('identity', 'i1', person, 60);
    const raw = await rawOf(store, 'identity', 'i1');
    expect(decodeProtectedHeader(raw)).toMatchObject({
      alg: 'dir',
      enc: 'A256GCM',
      kid: sealKeyId(key),
      kh_ns: 'identity',
      kh_key: 'i1',
    });
    const decoded = raw.split('.').map((s) => new TextDecoder().decode(base64url.decode(s)));
    for (const text of [raw, ...decoded]) {
      for (const secret of ['山田', '太郎', '1980-04-01', '千代田', 'familyName'])
        expect(text).not.toContain(secret);
    }
  });

  it('writes a standard JWE: jose opens what it seals, and it opens what jose seals', async () => {
    const sealed = createSealedStore(store, key);
    await sealed.put('identity', 'i1', person, 60);
    const raw = await rawOf(store, 'identity', 'i1');
    const { plaintext, protectedHeader } = await compactDecrypt(raw, key);
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual(person);
    expect(protectedHeader).toMatchObject({ kh_ns: 'identity', kh_key: 'i1' });
    // A record sealed by jose (as this store did before) opens through a fresh store (no remembered plaintext).
    const byJose = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(person)))
      .setProtectedHeader({
        alg: 'dir',
        enc: 'A256GCM',
        kid: sealKeyId(key),
        kh_ns: 'identity',
        kh_key: 'i2',
      })
      .encrypt(key);
    await store.set('identity', 'i2', byJose, 60);
    expect(await createSealedStore(store, key).get('identity', 'i2')).toEqual(person);
    // Two seals of one value never share an IV or ciphertext.
    await sealed.put('identity', 'i3', person, 60);
    const again = await rawOf(store, 'identity', 'i3');
    expect(again.split('.')[2]).not.toBe(raw.split('.')[2]);
    expect(again.split('.')[3]).not.toBe(raw.split('.')[3]);
  });

  it('refuses a tampered ciphertext, tag or header', async () => {
    const sealed = createSealedStore(store, key);
    await sealed.put('identity', 'i1', person, 60);
    const raw = await rawOf(store, 'identity', 'i1');
    for (const segment of [3, 4, 2]) {
      await store.set('identity', 'i1', flip(raw, segment), 60);
      await expect(sealed.get('identity', 'i1')).rejects.toMatchObject({ code: 'ERR_SEALED_TAMPERED' });
    }
    await store.set('identity', 'i1', { not: 'a jwe' }, 60);
    await expect(sealed.get('identity', 'i1')).rejects.toMatchObject({ code: 'ERR_SEALED_TAMPERED' });
  });

  it('refuses a record moved to another key or namespace', async () => {
    const sealed = createSealedStore(store, key);
    await sealed.put('identity', 'victim', person, 60);
    const raw = await rawOf(store, 'identity', 'victim');
    await store.set('identity', 'attacker', raw, 60);
    await store.set('consent', 'victim', raw, 60);
    await expect(sealed.get('identity', 'attacker')).rejects.toMatchObject({ code: 'ERR_SEALED_MISBOUND' });
    await expect(sealed.take('consent', 'victim')).rejects.toMatchObject({ code: 'ERR_SEALED_MISBOUND' });
  });

  it('rewriting the binding header to the new location breaks authentication', async () => {
    const sealed = createSealedStore(store, key);
    await sealed.put('identity', 'victim', person, 60);
    const [, ...rest] = (await rawOf(store, 'identity', 'victim')).split('.');
    const header = { alg: 'dir', enc: 'A256GCM', kid: sealKeyId(key), kh_ns: 'identity', kh_key: 'attacker' };
    const rebound = [base64url.encode(JSON.stringify(header)), ...rest].join('.');
    await store.set('identity', 'attacker', rebound, 60);
    await expect(sealed.get('identity', 'attacker')).rejects.toMatchObject({ code: 'ERR_SEALED_TAMPERED' });
  });

  it('opens records sealed under a previous key and refuses unknown or wrong keys', async () => {
    await createSealedStore(store, key, { keyId: 'k1' }).put('identity', 'old', person, 60);
    const next = new Uint8Array(randomBytes(32));
    const rotated = createSealedStore(store, next, { keyId: 'k2', previousKeys: [{ keyId: 'k1', key }] });
    expect(await rotated.get('identity', 'old')).toEqual(person);
    await rotated.put('identity', 'new', person, 60);
    expect(decodeProtectedHeader(await rawOf(store, 'identity', 'new')).kid).toBe('k2');

    await expect(
      createSealedStore(store, next, { keyId: 'k2' }).get('identity', 'old'),
    ).rejects.toMatchObject({
      code: 'ERR_SEALED_UNKNOWN_KEY',
    });
    const wrong = createSealedStore(store, new Uint8Array(randomBytes(32)), { keyId: 'k1' });
    await expect(wrong.get('identity', 'old')).rejects.toMatchObject({ code: 'ERR_SEALED_TAMPERED' });
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => createSealedStore(store, new Uint8Array(16))).toThrow(RangeError);
  });
});
