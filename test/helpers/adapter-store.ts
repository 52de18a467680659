/** An AdapterStore over the real in-memory Store (same contract as SQLite and Redis), in one namespace. */
import type { AdapterStore } from '../../src/core/adapter.js';
import { createMemoryStore } from '../../src/storage/memory-store.js';

export function memoryAdapterStore(namespace: string, now?: () => number): AdapterStore {
  const s = createMemoryStore(now ? { now } : {});
  return {
    get: (k) => s.get(namespace, k),
    set: (k, v, ttl) => s.set(namespace, k, v, ttl),
    setIfAbsent: (k, v, ttl) => s.setIfAbsent(namespace, k, v, ttl),
    take: (k) => s.take(namespace, k),
    delete: (k) => s.delete(namespace, k),
  };
}
