/**
 * Store on Redis (ioredis), shared by several gateway instances. Native TTLs
 * (SET PX / NX), GETDEL for single-use reads, a Lua script for sets whose TTL
 * only grows, and an audit log in a sorted set (score = seq) appended with
 * optimistic concurrency: WATCH the tail key, MULTI/EXEC, retry when another
 * appender won. Requires Redis >= 6.2 (GETDEL).
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { AuditRecord, AuditTail, Store } from './store.js';
import {
  AUDIT_GENESIS_HASH,
  auditRecordSchema,
  checkBuiltRecord,
  decodeValue,
  encodeValue,
  ttlMs,
} from './store-support.js';

export interface RedisStoreOptions {
  /** Prefix of every key this store touches (default `kakehashi:`); tests use a random one each. */
  keyPrefix?: string;
  /** Connection errors (ioredis reconnects by itself; commands meanwhile reject). Default: ioredis prints them. */
  onError?: (error: Error) => void;
}

export interface RedisStore extends Store {
  readonly kind: 'redis';
  readonly keyPrefix: string;
  /** Delete every key under this store's prefix (SCAN + UNLINK). For tests and `reset` tooling. */
  deleteAllKeys(): Promise<number>;
}

const MAX_APPEND_ATTEMPTS = 100;

// KEYS[1] = set; ARGV[1] = member, ARGV[2] = ttl in ms or '' for none.
// The TTL only grows: an existing longer TTL is kept, a set without TTL keeps none.
const ADD_TO_SET_LUA = `
local existed = redis.call('EXISTS', KEYS[1])
local pttl = redis.call('PTTL', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  redis.call('PERSIST', KEYS[1])
else
  local ttl = tonumber(ARGV[2])
  if existed == 0 or (pttl >= 0 and pttl < ttl) then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return 1
`;

const tailSchema = z.object({ seq: z.number().int().nonnegative(), prevHash: z.string() });

export function createRedisStore(url: string, options: RedisStoreOptions = {}): RedisStore {
  const prefix = options.keyPrefix ?? 'kakehashi:';
  const client = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
  // WATCH is per connection: appends get their own connection and run one at a time in this process.
  if (options.onError) client.on('error', options.onError);
  let auditClient: Redis | undefined;
  let appendQueue: Promise<unknown> = Promise.resolve();

  const ns = (namespace: string): string => encodeURIComponent(namespace);
  const kvKey = (namespace: string, key: string): string => `${prefix}kv:${ns(namespace)}:${key}`;
  const setKey = (namespace: string, key: string): string => `${prefix}set:${ns(namespace)}:${key}`;
  const auditLogKey = `${prefix}audit:log`;
  const auditTailKey = `${prefix}audit:tail`;

  const appendOnce = async (
    conn: Redis,
    build: (prev: AuditTail) => AuditRecord,
  ): Promise<AuditRecord | null> => {
    await conn.watch(auditTailKey);
    try {
      const raw = await conn.get(auditTailKey);
      const tail: AuditTail =
        raw === null ? { seq: 0, prevHash: AUDIT_GENESIS_HASH } : tailSchema.parse(JSON.parse(raw));
      const record = checkBuiltRecord(tail, build(tail));
      const next: AuditTail = { seq: record.seq + 1, prevHash: record.hash };
      const result = await conn
        .multi()
        .set(auditTailKey, JSON.stringify(next))
        .zadd(auditLogKey, record.seq, JSON.stringify(record))
        .exec();
      // null = the tail changed since WATCH: another appender won, build again on the new tail.
      return result === null ? null : record;
    } catch (e) {
      await conn.unwatch();
      throw e;
    }
  };

  const appendAudit = async (build: (prev: AuditTail) => AuditRecord): Promise<AuditRecord> => {
    if (auditClient === undefined) {
      auditClient = client.duplicate();
      if (options.onError) auditClient.on('error', options.onError);
    }
    const conn = auditClient;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const record = await appendOnce(conn, build);
      if (record !== null) return record;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * (attempt + 1))));
    }
    throw new Error('audit append: too much contention on the audit tail');
  };

  return {
    kind: 'redis',
    keyPrefix: prefix,
    async get<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
      const raw = await client.get(kvKey(namespace, key));
      return raw === null ? undefined : decodeValue<T>(raw);
    },
    async set(namespace, key, value, ttlSeconds) {
      const ms = ttlMs(ttlSeconds);
      const k = kvKey(namespace, key);
      const text = encodeValue(value);
      if (ms === undefined) await client.set(k, text);
      else await client.set(k, text, 'PX', ms);
    },
    async setIfAbsent(namespace, key, value, ttlSeconds) {
      const ms = ttlMs(ttlSeconds);
      const k = kvKey(namespace, key);
      const text = encodeValue(value);
      const ok =
        ms === undefined ? await client.set(k, text, 'NX') : await client.set(k, text, 'PX', ms, 'NX');
      return ok === 'OK';
    },
    async delete(namespace, key) {
      await client.del(kvKey(namespace, key), setKey(namespace, key));
    },
    async take<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
      const raw = await client.getdel(kvKey(namespace, key));
      return raw === null ? undefined : decodeValue<T>(raw);
    },
    async addToSet(namespace, key, member, ttlSeconds) {
      const ms = ttlMs(ttlSeconds);
      await client.eval(
        ADD_TO_SET_LUA,
        1,
        setKey(namespace, key),
        member,
        ms === undefined ? '' : String(ms),
      );
    },
    async members(namespace, key) {
      return (await client.smembers(setKey(namespace, key))).sort();
    },
    appendAudit(build) {
      const run = appendQueue.then(() => appendAudit(build));
      appendQueue = run.catch(() => undefined);
      return run;
    },
    async readAudit(fromSeq = 0, limit?: number) {
      const raw =
        limit === undefined
          ? await client.zrangebyscore(auditLogKey, fromSeq, '+inf')
          : await client.zrangebyscore(auditLogKey, fromSeq, '+inf', 'LIMIT', 0, limit);
      return raw.map((r) => auditRecordSchema.parse(JSON.parse(r)));
    },
    async ping() {
      await client.ping();
    },
    async close() {
      await appendQueue;
      await Promise.all([client.quit(), auditClient?.quit()]);
    },
    async deleteAllKeys() {
      let cursor = '0';
      let count = 0;
      // Escape glob characters so a prefix like `t[1]:` matches only itself.
      const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) count += await client.unlink(...keys);
      } while (cursor !== '0');
      return count;
    },
  };
}
