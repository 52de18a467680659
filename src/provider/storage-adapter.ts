/**
 * oidc-provider storage adapter on the gateway's Store (SQLite or Redis).
 *
 * Semantics follow oidc-provider 9's own memory adapter
 * (node_modules/oidc-provider/lib/adapters/memory_adapter.js): records live
 * for `expiresIn` seconds; Session records are indexed by `uid`, records with
 * a `userCode` (DeviceCode) by user code, and grant-bound tokens are listed
 * under their `grantId` so `revokeByGrantId` can remove them all.
 *
 * An index entry is only a pointer: `findByUid`/`findByUserCode` return the
 * record it points at only if that record still carries the uid or user code
 * looked up. So an upsert never reads the previous record to drop a stale entry
 * (one read less per Session save); a stale entry is refused and expires.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Store } from '../storage/store.js';

/** Models whose records carry a grantId and are revoked with their grant. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * Models that can own a secondary index entry (Session by uid, DeviceCode by user code). Only their destroys
 * look at the record to drop its index entries; every other model skips that read.
 */
const INDEXED = new Set(['Session', 'DeviceCode']);

const NS_SESSION_UID = 'oidc:index:sessionUid';
const NS_USER_CODE = 'oidc:index:userCode';
const NS_GRANT = 'oidc:index:grant';
const modelNamespace = (model: string): string => `oidc:${model}`;

/** What is stored per record: the payload plus its absolute expiry, so `consume` can keep the TTL. */
interface Stored {
  payload: Record<string, unknown>;
  /** Epoch ms, or null when the record does not expire. */
  exp: number | null;
}

/**
 * The shape check of a stored record (on every read, so a plain check rather than a schema library): the
 * store hands back a fresh JSON copy of what `upsert` wrote; anything else is a corrupted record.
 */
function asStored(raw: unknown): Stored {
  const r = raw as Partial<Stored> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.payload !== 'object' ||
    r.payload === null ||
    Array.isArray(r.payload) ||
    !(r.exp === null || (typeof r.exp === 'number' && Number.isFinite(r.exp)))
  ) {
    throw new TypeError('malformed oidc-provider record in the store');
  }
  return r as Stored;
}

export interface ProviderAdapterOptions {
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
}

/**
 * An oidc-provider `adapter` class (pass it as `new Provider(issuer, { adapter })`);
 * every instance serves one model name and shares `store`.
 */
export function createProviderAdapter(
  store: Store,
  options: ProviderAdapterOptions = {},
): new (
  name: string,
) => Adapter {
  const now = options.now ?? Date.now;

  const read = async (model: string, id: string): Promise<Stored | undefined> => {
    const raw = await store.get(modelNamespace(model), id);
    if (raw === undefined) return undefined;
    return asStored(raw);
  };

  /** Drop the uid/userCode index entries that still point at this record. */
  const removeSecondaryIndexes = async (id: string, payload: Record<string, unknown>): Promise<void> => {
    const { uid, userCode } = payload;
    if (typeof uid === 'string' && (await store.get(NS_SESSION_UID, uid)) === id) {
      await store.delete(NS_SESSION_UID, uid);
    }
    if (typeof userCode === 'string' && (await store.get(NS_USER_CODE, userCode)) === id) {
      await store.delete(NS_USER_CODE, userCode);
    }
  };

  return class StoreAdapter implements Adapter {
    readonly model: string;

    constructor(name: string) {
      this.model = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      // oidc-provider may compute a zero or negative lifetime at the edge of expiry; keep such a
      // record briefly rather than fail (the provider checks `exp` itself).
      const ttl = typeof expiresIn === 'number' ? Math.max(1, expiresIn) : undefined;
      // No read of the previous record: an index entry it left behind (a changed uid or user code) is refused by
      // findByUid/findByUserCode, which check the record they reach, and expires on its own.
      // The index entries and the record are written side by side, in one event-loop turn: the SQLite store
      // commits them in one transaction (one COMMIT instead of one per write). Index entries are pointers
      // checked on lookup. Should the grant-set write fail while the record's succeeds, upsert still rejects, so
      // oidc-provider never hands out that token or code: a record no revokeByGrantId would find stays unknown.
      const writes: Promise<unknown>[] = [];
      if (this.model === 'Session' && typeof payload.uid === 'string') {
        writes.push(store.set(NS_SESSION_UID, payload.uid, id, ttl));
      }
      if (GRANTABLE.has(this.model) && typeof payload.grantId === 'string') {
        writes.push(store.addToSet(NS_GRANT, payload.grantId, `${this.model}:${id}`, ttl));
      }
      if (typeof payload.userCode === 'string') {
        writes.push(store.set(NS_USER_CODE, payload.userCode, id, ttl));
      }
      // The store copies the value (JSON), so the payload object itself can be handed over.
      const stored: Stored = { payload, exp: ttl === undefined ? null : now() + ttl * 1000 };
      writes.push(store.set(modelNamespace(this.model), id, stored, ttl));
      await Promise.all(writes);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      // The payload is what upsert stored for this model; oidc-provider validates it on load.
      return (await read(this.model, id))?.payload as AdapterPayload | undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await store.get(NS_SESSION_UID, uid);
      if (typeof id !== 'string') return undefined;
      const payload = await this.find(id);
      // A stale entry (the record's uid changed, or the id now holds another record) must not resolve.
      return payload?.uid === uid ? payload : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await store.get(NS_USER_CODE, userCode);
      if (typeof id !== 'string') return undefined;
      const payload = await this.find(id);
      return payload?.userCode === userCode ? payload : undefined;
    }

    async consume(id: string): Promise<void> {
      const stored = await read(this.model, id);
      if (stored === undefined) return;
      const remainingMs = stored.exp === null ? undefined : stored.exp - now();
      if (remainingMs !== undefined && remainingMs <= 0) return;
      const consumed = Math.floor(now() / 1000);
      const next: Stored = { payload: { ...stored.payload, consumed }, exp: stored.exp };
      await store.set(
        modelNamespace(this.model),
        id,
        next,
        remainingMs === undefined ? undefined : remainingMs / 1000,
      );
    }

    async destroy(id: string): Promise<void> {
      const stored = INDEXED.has(this.model) ? await read(this.model, id) : undefined;
      await store.delete(modelNamespace(this.model), id);
      // The grant set keeps a stale member; revokeByGrantId tolerates records already gone.
      if (stored) await removeSecondaryIndexes(id, stored.payload);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const members = await store.members(NS_GRANT, grantId);
      await Promise.all(
        members.map(async (member) => {
          const sep = member.indexOf(':');
          const model = member.slice(0, sep);
          const id = member.slice(sep + 1);
          const stored = await store.take(modelNamespace(model), id);
          if (stored !== undefined) await removeSecondaryIndexes(id, asStored(stored).payload);
        }),
      );
      await store.delete(NS_GRANT, grantId);
    }
  };
}
