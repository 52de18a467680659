import { afterAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/storage/redis-store.js';
import { REDIS_URL, randomPrefix, redisSkipReason } from './redis-probe.js';
import { describeStoreContract } from './store-contract.js';

const skipReason = await redisSkipReason();
const filePrefix = randomPrefix('redis-store');
let n = 0;

afterAll(async () => {
  if (skipReason) return;
  const cleaner = createRedisStore(REDIS_URL, { keyPrefix: filePrefix });
  await cleaner.deleteAllKeys();
  await cleaner.close();
});

describeStoreContract('redis', () => createRedisStore(REDIS_URL, { keyPrefix: `${filePrefix}${n++}:` }), {
  skipReason,
});

describe.skipIf(Boolean(skipReason))('redis store', () => {
  it('two connections appending concurrently still chain (WATCH/MULTI retry)', async () => {
    const prefix = `${filePrefix}peers:`;
    const a = createRedisStore(REDIS_URL, { keyPrefix: prefix });
    const b = createRedisStore(REDIS_URL, { keyPrefix: prefix });
    const build = (label: string) => (t: { seq: number; prevHash: string }) => ({
      seq: t.seq,
      prevHash: t.prevHash,
      hash: `${label}-${t.seq}`,
      body: label,
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).appendAudit(build(i % 2 ? 'a' : 'b'))),
    );
    const records = await a.readAudit();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
    await Promise.all([a.close(), b.close()]);
  });

  it('deleteAllKeys removes only keys under its prefix', async () => {
    const mine = createRedisStore(REDIS_URL, { keyPrefix: `${filePrefix}del[1]:` });
    const other = createRedisStore(REDIS_URL, { keyPrefix: `${filePrefix}del1:` });
    await mine.set('ns', 'k', 1);
    await other.set('ns', 'k', 2);
    expect(await mine.deleteAllKeys()).toBe(1);
    expect(await mine.get('ns', 'k')).toBeUndefined();
    expect(await other.get('ns', 'k')).toBe(2);
    await Promise.all([mine.close(), other.close()]);
  });
});
