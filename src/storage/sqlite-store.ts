/**
 * Embedded Store on SQLite (better-sqlite3, WAL). The default backend: one file,
 * survives restarts, and several processes may share the file (writes serialise
 * on SQLite's lock; audit appends run under the write lock so they still chain).
 * Writes of one event-loop turn are group-committed in one transaction.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditRecord, AuditTail, Store } from './store.js';
import {
  AUDIT_GENESIS_HASH,
  auditRecordSchema,
  checkBuiltRecord,
  decodeValue,
  encodeValue,
  ttlMs,
} from './store-support.js';

export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  /** Delete expired values and sets now; returns how many rows went. Also runs opportunistically on writes. */
  purgeExpired(): Promise<number>;
}

const PURGE_INTERVAL_MS = 60_000;
/** WAL pages before an automatic checkpoint (SQLite's default is 1,000); about 40 MB at 4 KiB pages. */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** Commit functions of this process's open handles (see the group commit in createSqliteStore). */
const openBatches = new Set<() => void>();

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL, exp INTEGER,
  PRIMARY KEY (ns, k)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_exp ON kv (exp) WHERE exp IS NOT NULL;
CREATE TABLE IF NOT EXISTS set_meta (ns TEXT NOT NULL, k TEXT NOT NULL, exp INTEGER,
  PRIMARY KEY (ns, k)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS set_member (ns TEXT NOT NULL, k TEXT NOT NULL, m TEXT NOT NULL,
  PRIMARY KEY (ns, k, m)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  body TEXT NOT NULL);
`;

interface ValueRow {
  v: string;
  exp: number | null;
}

/** Open (creating if needed) a SQLite store at `path`, or an in-memory one for ':memory:'. */
export function createSqliteStore(path: string): SqliteStore {
  if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  // timeout = busy wait when another process holds the write lock.
  const db = new Database(path, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // A checkpoint copies the WAL back into the database file and fsyncs both, on this thread, inside the COMMIT
  // that crosses the limit: tens of milliseconds with the event loop stalled. The gateway rewrites the same few
  // hundred pages (short-lived records), so a longer WAL makes checkpoints rarer without making them longer.
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.exec(SCHEMA);

  const q = {
    get: db.prepare<[string, string], ValueRow>('SELECT v, exp FROM kv WHERE ns = ? AND k = ?'),
    set: db.prepare<[string, string, string, number | null]>(
      'INSERT INTO kv (ns, k, v, exp) VALUES (?, ?, ?, ?) ON CONFLICT (ns, k) DO UPDATE SET v = excluded.v, exp = excluded.exp',
    ),
    // Inserts, or replaces a row that has already expired; `changes` tells whether this call won.
    setIfAbsent: db.prepare<[string, string, string, number | null, number]>(
      `INSERT INTO kv (ns, k, v, exp) VALUES (?, ?, ?, ?) ON CONFLICT (ns, k) DO UPDATE
       SET v = excluded.v, exp = excluded.exp WHERE kv.exp IS NOT NULL AND kv.exp <= ?`,
    ),
    del: db.prepare<[string, string]>('DELETE FROM kv WHERE ns = ? AND k = ?'),
    delSetMeta: db.prepare<[string, string]>('DELETE FROM set_meta WHERE ns = ? AND k = ?'),
    delSetMembers: db.prepare<[string, string]>('DELETE FROM set_member WHERE ns = ? AND k = ?'),
    // One statement, so exactly one caller (in any process) gets the row.
    take: db.prepare<[string, string], ValueRow>('DELETE FROM kv WHERE ns = ? AND k = ? RETURNING v, exp'),
    setMeta: db.prepare<[string, string], { exp: number | null }>(
      'SELECT exp FROM set_meta WHERE ns = ? AND k = ?',
    ),
    putSetMeta: db.prepare<[string, string, number | null]>(
      'INSERT INTO set_meta (ns, k, exp) VALUES (?, ?, ?) ON CONFLICT (ns, k) DO UPDATE SET exp = excluded.exp',
    ),
    addMember: db.prepare<[string, string, string]>(
      'INSERT OR IGNORE INTO set_member (ns, k, m) VALUES (?, ?, ?)',
    ),
    members: db.prepare<[string, string], { m: string }>(
      'SELECT m FROM set_member WHERE ns = ? AND k = ? ORDER BY m',
    ),
    tail: db.prepare<[], { seq: number; hash: string }>(
      'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
    ),
    insertAudit: db.prepare<[number, string, string, string]>(
      'INSERT INTO audit (seq, prev_hash, hash, body) VALUES (?, ?, ?, ?)',
    ),
    readAudit: db.prepare<[number, number], { seq: number; prevHash: string; hash: string; body: string }>(
      'SELECT seq, prev_hash AS prevHash, hash, body FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?',
    ),
    purgeKv: db.prepare<[number]>('DELETE FROM kv WHERE exp IS NOT NULL AND exp <= ?'),
    purgeSetMembers: db.prepare<[number]>(
      `DELETE FROM set_member WHERE (ns, k) IN
       (SELECT ns, k FROM set_meta WHERE exp IS NOT NULL AND exp <= ?)`,
    ),
    purgeSetMeta: db.prepare<[number]>('DELETE FROM set_meta WHERE exp IS NOT NULL AND exp <= ?'),
  };

  // Group commit. Every write of one event-loop turn runs inside one IMMEDIATE transaction, committed by a
  // setImmediate callback at the end of the turn; each write's promise settles only after that COMMIT (or with
  // its error), so a caller that awaited a write never acts on an uncommitted one. Under load the writes of
  // many concurrent requests share a commit instead of paying one each. The statements stay synchronous and
  // in call order, so reads on this handle see the turn's writes, `take` still hands a row to exactly one
  // caller, and the audit tail is read and extended under the write lock (savepoints inside the batch).
  // Reads on this handle may see a write of the current turn before its COMMIT; should that COMMIT fail (an
  // I/O error), the writer's promise rejects, so the request that made the write fails too.
  let batch: { waiters: (() => void)[]; fails: ((e: unknown) => void)[]; failed?: unknown } | undefined;
  const commit = (): void => {
    const b = batch;
    if (!b) return;
    batch = undefined;
    let error = b.failed;
    if (error === undefined) {
      try {
        if (db.inTransaction) db.exec('COMMIT');
        else error = new Error('SQLite rolled the batch back');
      } catch (e) {
        error = e;
        try {
          if (db.inTransaction) db.exec('ROLLBACK');
        } catch {
          // the COMMIT error is the one to report
        }
      }
    }
    if (error === undefined) for (const w of b.waiters) w();
    else for (const f of b.fails) f(error);
  };
  const write = <T>(fn: () => T): Promise<T> => {
    if (!batch) {
      // Another handle of this process holding the write lock would make BEGIN IMMEDIATE wait on ourselves.
      for (const other of openBatches) if (other !== commit) other();
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (e) {
        return Promise.reject(e);
      }
      batch = { waiters: [], fails: [] };
      setImmediate(commit);
    }
    const b = batch;
    if (b.failed !== undefined) return Promise.reject(b.failed);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      // A failed statement normally undoes only itself; if SQLite rolled the whole transaction back, the
      // batch's earlier writes are gone and every waiter must hear so.
      if (!db.inTransaction) b.failed = e;
      return Promise.reject(e);
    }
    return new Promise<T>((resolve, reject) => {
      b.waiters.push(() => resolve(result));
      b.fails.push(reject);
    });
  };
  openBatches.add(commit);

  /**
   * A write of one encoded value: `run` gets the JSON text, the expiry (ms, or null) and the time. Returns
   * write()'s promise itself (no async wrapper: one promise per write, not three); a bad value or TTL still
   * comes back as a rejection.
   */
  const writeValue = <T>(
    value: unknown,
    ttlSeconds: number | undefined,
    run: (text: string, expiresAt: number | null, now: number) => T,
  ): Promise<T> => {
    let ms: number | undefined;
    let text: string;
    try {
      ms = ttlMs(ttlSeconds);
      text = encodeValue(value);
    } catch (e) {
      return Promise.reject(e);
    }
    return write(() => {
      const now = Date.now();
      return run(text, ms === undefined ? null : now + ms, now);
    });
  };

  const live = (row: ValueRow | undefined, now: number): row is ValueRow =>
    row !== undefined && (row.exp === null || row.exp > now);

  const purge = db.transaction((now: number): number => {
    const a = q.purgeKv.run(now).changes;
    const b = q.purgeSetMembers.run(now).changes;
    return a + b + q.purgeSetMeta.run(now).changes;
  });

  let lastPurge = Date.now();
  const maybePurge = (now: number): void => {
    if (now - lastPurge < PURGE_INTERVAL_MS) return;
    lastPurge = now;
    purge.immediate(now);
  };

  const deleteSet = (ns: string, key: string): void => {
    q.delSetMembers.run(ns, key);
    q.delSetMeta.run(ns, key);
  };

  const deleteValueAndSet = db.transaction((ns: string, key: string) => {
    q.del.run(ns, key);
    deleteSet(ns, key);
  });

  const addToSet = db.transaction((ns: string, key: string, member: string, ms: number | undefined) => {
    const now = Date.now();
    const meta = q.setMeta.get(ns, key);
    const expired = meta !== undefined && meta.exp !== null && meta.exp <= now;
    if (expired) deleteSet(ns, key);
    let exp: number | null = ms === undefined ? null : now + ms;
    // "At least ttlSeconds": keep a longer existing expiry; a set without expiry stays without one.
    if (meta !== undefined && !expired && exp !== null)
      exp = meta.exp === null ? null : Math.max(meta.exp, exp);
    q.putSetMeta.run(ns, key, exp);
    q.addMember.run(ns, key, member);
  });

  const appendAudit = db.transaction((build: (prev: AuditTail) => AuditRecord): AuditRecord => {
    const last = q.tail.get();
    const tail: AuditTail = last
      ? { seq: last.seq + 1, prevHash: last.hash }
      : { seq: 0, prevHash: AUDIT_GENESIS_HASH };
    const record = checkBuiltRecord(tail, build(tail));
    q.insertAudit.run(record.seq, record.prevHash, record.hash, record.body);
    return record;
  });

  const store: SqliteStore = {
    kind: 'sqlite',
    async get<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
      const row = q.get.get(namespace, key);
      return live(row, Date.now()) ? decodeValue<T>(row.v) : undefined;
    },
    set(namespace, key, value, ttlSeconds) {
      return writeValue(value, ttlSeconds, (text, expiresAt, now) => {
        q.set.run(namespace, key, text, expiresAt);
        maybePurge(now);
      });
    },
    setIfAbsent(namespace, key, value, ttlSeconds) {
      return writeValue(value, ttlSeconds, (text, expiresAt, now) => {
        const won = q.setIfAbsent.run(namespace, key, text, expiresAt, now);
        maybePurge(now);
        return won.changes === 1;
      });
    },
    delete(namespace, key) {
      return write(() => {
        deleteValueAndSet.immediate(namespace, key);
      });
    },
    take<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
      return write(() => {
        const row = q.take.get(namespace, key);
        return live(row, Date.now()) ? decodeValue<T>(row.v) : undefined;
      });
    },
    addToSet(namespace, key, member, ttlSeconds) {
      let ms: number | undefined;
      try {
        ms = ttlMs(ttlSeconds);
      } catch (e) {
        return Promise.reject(e);
      }
      return write(() => {
        addToSet.immediate(namespace, key, member, ms);
        maybePurge(Date.now());
      });
    },
    async members(namespace, key) {
      const meta = q.setMeta.get(namespace, key);
      if (meta === undefined || (meta.exp !== null && meta.exp <= Date.now())) return [];
      return q.members.all(namespace, key).map((r) => r.m);
    },
    appendAudit(build) {
      return write(() => appendAudit.immediate(build));
    },
    async readAudit(fromSeq = 0, limit = -1) {
      return q.readAudit.all(fromSeq, limit).map((r) => auditRecordSchema.parse(r));
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      commit();
      openBatches.delete(commit);
      if (db.open) db.close();
    },
    async purgeExpired() {
      return write(() => {
        lastPurge = Date.now();
        return purge.immediate(lastPurge);
      });
    },
  };
  return store;
}
