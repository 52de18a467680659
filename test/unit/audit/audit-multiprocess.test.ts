/**
 * Several processes appending to one audit log (a shared SQLite file, a shared
 * Redis) must produce one contiguous chain: no gaps, no forks.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditLog, verifyAuditChain } from '../../../src/audit/audit-log.js';
import { createRedisStore } from '../../../src/storage/redis-store.js';
import { createSqliteStore } from '../../../src/storage/sqlite-store.js';
import type { Store } from '../../../src/storage/store.js';
import { REDIS_URL, randomPrefix, redisSkipReason } from '../storage/redis-probe.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./fixtures/append-child.ts', import.meta.url));
const PER_PROCESS = 60;
const dir = mkdtempSync(join(tmpdir(), 'kakehashi-audit-mp-'));
const skipReason = await redisSkipReason();
if (skipReason) console.warn(`[audit-multiprocess] skipping redis: ${skipReason}`);
const prefix = randomPrefix('audit-mp');

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (skipReason) return;
  const cleaner = createRedisStore(REDIS_URL, { keyPrefix: prefix });
  await cleaner.deleteAllKeys();
  await cleaner.close();
});

async function appendFromTwoProcesses(backend: string, target: string, store: Store): Promise<void> {
  // A common start time well after both children have loaded, so their appends overlap.
  const startAt = String(Date.now() + 1_500);
  const args = (label: string) => [
    '--import',
    'tsx',
    child,
    backend,
    target,
    prefix,
    String(PER_PROCESS),
    label,
    startAt,
  ];
  const log = createAuditLog(store, { now: Date.now });
  const main = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, Number(startAt) - Date.now()));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => log.record({ type: 'token.issued', client: `main-${i}` })),
    );
  };
  await Promise.all([run(process.execPath, args('p1')), run(process.execPath, args('p2')), main()]);
  const records = await store.readAudit();
  expect(records).toHaveLength(2 * PER_PROCESS + 10);
  expect(verifyAuditChain(records)).toEqual({ ok: true, count: 2 * PER_PROCESS + 10 });
  const clients = records.map((r) => JSON.parse(r.body).client as string);
  expect(clients.filter((c) => c.startsWith('p1-'))).toHaveLength(PER_PROCESS);
  expect(clients.filter((c) => c.startsWith('p2-'))).toHaveLength(PER_PROCESS);
}

describe('audit log across processes', () => {
  it('sqlite: two child processes and this one chain into one log', async () => {
    const path = join(dir, 'audit.db');
    const store = createSqliteStore(path);
    await appendFromTwoProcesses('sqlite', path, store);
    await store.close();
  });

  it.skipIf(Boolean(skipReason))('redis: two child processes and this one chain into one log', async () => {
    const store = createRedisStore(REDIS_URL, { keyPrefix: prefix });
    await appendFromTwoProcesses('redis', REDIS_URL, store);
    await store.close();
  });
});
