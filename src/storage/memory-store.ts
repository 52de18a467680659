/**
 * In-process Store for unit tests of other modules. Same contract as the SQLite
 * and Redis stores (values are copied through JSON, TTLs enforced on read), but
 * nothing survives the process and nothing is shared between processes.
 */
import type { AuditRecord, Store } from './store.js';
import { AUDIT_GENESIS_HASH, checkBuiltRecord, decodeValue, encodeValue, ttlMs } from './store-support.js';

export interface MemoryStore extends Store {
  readonly kind: 'memory';
}

interface Entry<V> {
  value: V;
  /** Epoch ms, or null for no expiry. */
  exp: number | null;
}

export interface MemoryStoreOptions {
  /** Clock in epoch ms (defaults to Date.now); lets tests expire records without waiting. */
  now?: () => number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now;
  const values = new Map<string, Entry<string>>();
  const sets = new Map<string, Entry<Set<string>>>();
  const audit: AuditRecord[] = [];
  let closed = false;

  const id = (namespace: string, key: string): string => `${encodeURIComponent(namespace)}:${key}`;
  const expiry = (ttlSeconds: number | undefined): number | null => {
    const ms = ttlMs(ttlSeconds);
    return ms === undefined ? null : now() + ms;
  };
  const live = <V>(map: Map<string, Entry<V>>, k: string): Entry<V> | undefined => {
    const e = map.get(k);
    if (e === undefined) return undefined;
    if (e.exp !== null && e.exp <= now()) {
      map.delete(k);
      return undefined;
    }
    return e;
  };
  const open = (): void => {
    if (closed) throw new Error('memory store is closed');
  };

  return {
    kind: 'memory',
    async get<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
      open();
      const e = live(values, id(namespace, key));
      return e ? decodeValue<T>(e.value) : undefined;
    },
    async set(namespace, key, value, ttlSeconds) {
      open();
      values.set(id(namespace, key), { value: encodeValue(value), exp: expiry(ttlSeconds) });
    },
    async setIfAbsent(namespace, key, value, ttlSeconds) {
      open();
      const k = id(namespace, key);
      if (live(values, k)) return false;
      values.set(k, { value: encodeValue(value), exp: expiry(ttlSeconds) });
      return true;
    },
    async delete(namespace, key) {
      open();
      values.delete(id(namespace, key));
      sets.delete(id(namespace, key));
    },
    async take<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
      open();
      const k = id(namespace, key);
      const e = live(values, k);
      values.delete(k);
      return e ? decodeValue<T>(e.value) : undefined;
    },
    async addToSet(namespace, key, member, ttlSeconds) {
      open();
      const k = id(namespace, key);
      const exp = expiry(ttlSeconds);
      const e = live(sets, k);
      if (e === undefined) {
        sets.set(k, { value: new Set([member]), exp });
        return;
      }
      e.value.add(member);
      e.exp = exp === null || e.exp === null ? null : Math.max(e.exp, exp);
    },
    async members(namespace, key) {
      open();
      const e = live(sets, id(namespace, key));
      return e ? [...e.value].sort() : [];
    },
    async appendAudit(build) {
      open();
      const last = audit.at(-1);
      const tail = last
        ? { seq: last.seq + 1, prevHash: last.hash }
        : { seq: 0, prevHash: AUDIT_GENESIS_HASH };
      const record = checkBuiltRecord(tail, build(tail));
      audit.push(record);
      return { ...record };
    },
    async readAudit(fromSeq = 0, limit?: number) {
      open();
      const from = audit.filter((r) => r.seq >= fromSeq);
      return (limit === undefined ? from : from.slice(0, limit)).map((r) => ({ ...r }));
    },
    async ping() {
      open();
    },
    async close() {
      closed = true;
    },
  };
}
