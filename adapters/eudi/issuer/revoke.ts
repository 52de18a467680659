/**
 * Offline revocation for the CLI (`kakehashi credential revoke <id>`): flips the credential's bit in the
 * status list it was issued in (`/status/<n>`), in the issuer instance's records in the shared store; the
 * running issuer serves the new list on the next status list request. Credential ids are in the
 * `credential.issued` audit events.
 */
import type { AdapterStore } from '../../../src/core/adapter.js';
import type { Store } from '../../../src/storage/store.js';
import { issuerOptionsSchema } from './options.js';
import { createStatusList } from './status-list.js';

/** The adapter store view of an instance (same namespace as the gateway gives it: `a:<name>`). */
export function instanceStore(store: Store, instance: string): AdapterStore {
  const ns = `a:${instance}`;
  return {
    get: (k) => store.get(ns, k),
    set: (k, v, ttl) => store.set(ns, k, v, ttl),
    setIfAbsent: (k, v, ttl) => store.setIfAbsent(ns, k, v, ttl),
    take: (k) => store.take(ns, k),
    delete: (k) => store.delete(ns, k),
  };
}

/** Revoke in the status list of the `eudi-issuer` instance configured as `entry`; false when unknown. */
export async function revokeCredential(
  store: Store,
  entry: { readonly name: string; readonly options?: unknown },
  credentialId: string,
): Promise<boolean> {
  const o = issuerOptionsSchema.parse(entry.options ?? {});
  const list = createStatusList({
    store: instanceStore(store, entry.name),
    size: o.statusListSize,
    baseUri: '',
    ttlSeconds: o.statusListTtlSeconds,
    now: Date.now,
  });
  return list.revoke(credentialId);
}
