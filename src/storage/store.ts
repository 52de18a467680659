/**
 * The one storage interface behind oidc-provider's adapter and the gateway's
 * own state (challenges, consent records, sealed identities, audit events).
 *
 * Values are JSON-serialisable (`undefined` is refused with a TypeError) and
 * come back as fresh copies. `ttlSeconds` (> 0, may be fractional) makes a
 * record expire; a record without TTL lives until deleted. Expired records are
 * never returned. Namespaces are opaque strings (any characters).
 *
 * Implementations: SQLite (embedded default, survives restarts), Redis (shared
 * by several gateway instances) and memory (unit tests). All pass
 * test/unit/storage/store-contract.ts.
 */
export interface Store {
  readonly kind: 'sqlite' | 'redis' | 'memory';
  get<T = unknown>(namespace: string, key: string): Promise<T | undefined>;
  set(namespace: string, key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  /** Set only if absent; true when this call created the record (used for replay caches). */
  setIfAbsent(namespace: string, key: string, value: unknown, ttlSeconds?: number): Promise<boolean>;
  /** Remove the value *and* the set stored under namespace/key (values and sets are separate spaces). */
  delete(namespace: string, key: string): Promise<void>;
  /** Atomically read and delete: exactly one concurrent caller gets the value (single-use challenges). */
  take<T = unknown>(namespace: string, key: string): Promise<T | undefined>;
  /**
   * Add a member to a set (e.g. grantId -> token ids); the set's TTL is extended to at least ttlSeconds.
   * Without ttlSeconds the set no longer expires. A longer existing TTL is kept.
   */
  addToSet(namespace: string, key: string, member: string, ttlSeconds?: number): Promise<void>;
  /** Members of a set, sorted; [] when the set is absent or expired. */
  members(namespace: string, key: string): Promise<string[]>;
  /**
   * Append to the audit log atomically with the hash of the previous entry.
   * `build(prevHash, seq)` returns the entry to store; it runs inside the store's
   * atomic section so concurrent appends from several gateways still chain.
   * `build` must be synchronous and pure: it may run more than once (Redis retries)
   * and its record must carry exactly the tail's seq and prevHash, else the append is refused.
   */
  appendAudit(build: (prev: AuditTail) => AuditRecord): Promise<AuditRecord>;
  /** Audit records in order, from `fromSeq` (inclusive, default 0), at most `limit` (default: all). */
  readAudit(fromSeq?: number, limit?: number): Promise<AuditRecord[]>;
  /** Health check: resolves when the backing engine answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditTail {
  /** Sequence number of the next record (0 for the first). */
  seq: number;
  /** Hash of the previous record, or the genesis value for the first. */
  prevHash: string;
}

export interface AuditRecord {
  seq: number;
  prevHash: string;
  hash: string;
  /** JSON text of the event as hashed (kept verbatim so verification re-hashes exactly these bytes). */
  body: string;
}
