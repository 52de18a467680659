/**
 * The Store contract (src/storage/store.ts), run against every implementation.
 * `factory` returns a fresh, empty store for each test; the suite closes it.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord, AuditTail, Store } from '../../../src/storage/store.js';
import { AUDIT_GENESIS_HASH } from '../../../src/storage/store-support.js';

export interface StoreContractOptions {
  /** When set, the suite is skipped and this reason printed. */
  skipReason?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A minimal chained record builder (the real one is src/audit/audit-log.ts). */
function chained(label: string): (tail: AuditTail) => AuditRecord {
  return (tail) => {
    const body = JSON.stringify({ seq: tail.seq, label });
    const hash = createHash('sha256').update(`${tail.prevHash}\n${body}`).digest('hex');
    return { seq: tail.seq, prevHash: tail.prevHash, hash, body };
  };
}

export function describeStoreContract(
  name: string,
  factory: () => Store | Promise<Store>,
  options: StoreContractOptions = {},
): void {
  if (options.skipReason) console.warn(`[store-contract] skipping ${name}: ${options.skipReason}`);

  describe.skipIf(Boolean(options.skipReason))(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('gets, sets and overwrites JSON values; namespaces are separate', async () => {
      expect(await store.get('ns', 'a')).toBeUndefined();
      await store.set('ns', 'a', { n: 1, list: [true, null, 'x'] });
      expect(await store.get('ns', 'a')).toEqual({ n: 1, list: [true, null, 'x'] });
      await store.set('ns', 'a', 42);
      expect(await store.get('ns', 'a')).toBe(42);
      expect(await store.get('other', 'a')).toBeUndefined();
      // A ':' in a namespace must not alias another namespace/key pair.
      await store.set('x:y', 'z', 'first');
      expect(await store.get('x', 'y:z')).toBeUndefined();
      await store.delete('ns', 'a');
      expect(await store.get('ns', 'a')).toBeUndefined();
    });

    it('round-trips unicode values and keys', async () => {
      const value = { name: '山田 太郎', note: 'Größe 🧾', rtl: 'שלום' };
      await store.set('unicode', 'キー🔑', value);
      expect(await store.get('unicode', 'キー🔑')).toEqual(value);
      expect(await store.take('unicode', 'キー🔑')).toEqual(value);
    });

    it('refuses values JSON cannot represent and non-positive TTLs', async () => {
      await expect(store.set('ns', 'u', undefined)).rejects.toThrow(TypeError);
      await expect(store.set('ns', 'u', 1, 0)).rejects.toThrow(RangeError);
    });

    it('expires values, sets and setIfAbsent claims after their TTL', async () => {
      await store.set('ttl', 'short', 'v', 1);
      await store.set('ttl', 'long', 'v', 60);
      await store.set('ttl', 'forever', 'v');
      expect(await store.setIfAbsent('ttl', 'claim', 1, 1)).toBe(true);
      await store.addToSet('ttl', 'set', 'm1', 1);
      await store.addToSet('ttl', 'longset', 'm1', 1);
      await store.addToSet('ttl', 'longset', 'm2', 60); // extends the TTL
      await store.addToSet('ttl', 'keptset', 'm1', 60);
      await store.addToSet('ttl', 'keptset', 'm2', 1); // must not shorten it
      expect(await store.get('ttl', 'short')).toBe('v');
      await sleep(1_200);
      expect(await store.get('ttl', 'short')).toBeUndefined();
      expect(await store.take('ttl', 'short')).toBeUndefined();
      expect(await store.get('ttl', 'long')).toBe('v');
      expect(await store.get('ttl', 'forever')).toBe('v');
      expect(await store.setIfAbsent('ttl', 'claim', 2, 60)).toBe(true);
      expect(await store.get('ttl', 'claim')).toBe(2);
      expect(await store.members('ttl', 'set')).toEqual([]);
      expect(await store.members('ttl', 'longset')).toEqual(['m1', 'm2']);
      expect(await store.members('ttl', 'keptset')).toEqual(['m1', 'm2']);
    });

    it('setIfAbsent: exactly one of 20 concurrent callers wins', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.setIfAbsent('replay', 'jti-1', { by: i }, 60)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.get('replay', 'jti-1')).toEqual({ by: winner });
      expect(await store.setIfAbsent('replay', 'jti-1', 'again')).toBe(false);
    });

    it('take: exactly one of 20 concurrent callers gets the value, then it is gone', async () => {
      await store.set('challenge', 'c1', { nonce: 'n' }, 60);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.take('challenge', 'c1')));
      expect(results.filter((r) => r !== undefined)).toEqual([{ nonce: 'n' }]);
      expect(await store.get('challenge', 'c1')).toBeUndefined();
    });

    it('sets: add, dedupe, list, delete', async () => {
      expect(await store.members('grant', 'g1')).toEqual([]);
      await Promise.all(['b', 'a', 'b', 'c'].map((m) => store.addToSet('grant', 'g1', m, 60)));
      await store.addToSet('grant', 'g2', 'z');
      expect(await store.members('grant', 'g1')).toEqual(['a', 'b', 'c']);
      expect(await store.members('grant', 'g2')).toEqual(['z']);
      await store.delete('grant', 'g1');
      expect(await store.members('grant', 'g1')).toEqual([]);
    });

    it('audit: 50 concurrent appends chain contiguously from the genesis hash', async () => {
      const written = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.appendAudit(chained(`e${i}`))),
      );
      expect(written.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i),
      );
      const records = await store.readAudit();
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      let prev = AUDIT_GENESIS_HASH;
      for (const r of records) {
        expect(r.prevHash).toBe(prev);
        expect(r.hash).toBe(createHash('sha256').update(`${r.prevHash}\n${r.body}`).digest('hex'));
        prev = r.hash;
      }
      expect(new Set(records.map((r) => JSON.parse(r.body).label)).size).toBe(50);
      const page = await store.readAudit(10, 5);
      expect(page.map((r) => r.seq)).toEqual([10, 11, 12, 13, 14]);
      expect(page).toEqual(records.slice(10, 15));
    });

    it('audit: a builder that does not continue the tail is refused and nothing is written', async () => {
      await store.appendAudit(chained('first'));
      await expect(
        store.appendAudit((tail) => ({ ...chained('fork')(tail), seq: 0, prevHash: AUDIT_GENESIS_HASH })),
      ).rejects.toThrow(/does not continue the tail/);
      expect((await store.readAudit()).map((r) => r.seq)).toEqual([0]);
    });

    it('ping resolves', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
