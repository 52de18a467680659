import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../../src/storage/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'kakehashi-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeStoreContract('sqlite (file)', () => createSqliteStore(join(dir, `contract-${n++}`, 'store.db')));
describeStoreContract('sqlite (:memory:)', () => createSqliteStore(':memory:'));

describe('sqlite store', () => {
  it('survives a restart: write, close, reopen, read', async () => {
    const path = join(dir, 'restart', 'nested', 'store.db');
    const first = createSqliteStore(path);
    await first.set('ns', 'k', { kept: '山田' });
    await first.addToSet('grant', 'g', 'm');
    await first.appendAudit((t) => ({ seq: t.seq, prevHash: t.prevHash, hash: 'h0', body: '{}' }));
    await first.close();

    const second = createSqliteStore(path);
    expect(await second.get('ns', 'k')).toEqual({ kept: '山田' });
    expect(await second.members('grant', 'g')).toEqual(['m']);
    const next = await second.appendAudit((t) => ({
      seq: t.seq,
      prevHash: t.prevHash,
      hash: 'h1',
      body: '{}',
    }));
    expect(next).toMatchObject({ seq: 1, prevHash: 'h0' });
    await second.close();
  });

  it('two handles on one file see each other and take once', async () => {
    const path = join(dir, 'shared', 'store.db');
    const a = createSqliteStore(path);
    const b = createSqliteStore(path);
    await a.set('ns', 'k', 'v', 60);
    const [x, y] = await Promise.all([a.take('ns', 'k'), b.take('ns', 'k')]);
    expect([x, y].filter((v) => v !== undefined)).toEqual(['v']);
    await Promise.all([a.close(), b.close()]);
  });

  it('group-commits the writes of one turn; each write settles after its commit', async () => {
    const path = join(dir, 'batch', 'store.db');
    const a = createSqliteStore(path);
    const b = createSqliteStore(path);
    // Writes on both handles in the same turn: the second handle must not wait on the first's open batch.
    const writes = [
      a.set('ns', 'k1', 1),
      a.addToSet('set', 's', 'm1'),
      b.set('ns', 'k2', 2),
      a.appendAudit((t) => ({ seq: t.seq, prevHash: t.prevHash, hash: 'h0', body: '{}' })),
      b.appendAudit((t) => ({ seq: t.seq, prevHash: t.prevHash, hash: 'h1', body: '{}' })),
    ];
    // Within the turn, a handle reads its own writes.
    expect(await a.get('ns', 'k1')).toBe(1);
    await Promise.all(writes);
    expect(await b.get('ns', 'k1')).toBe(1);
    expect(await a.get('ns', 'k2')).toBe(2);
    expect(await b.members('set', 's')).toEqual(['m1']);
    expect((await a.readAudit()).map((r) => [r.seq, r.prevHash])).toEqual([
      [0, '0'.repeat(64)],
      [1, 'h0'],
    ]);
    // A refused write rejects alone; the batch it ran in still commits the others.
    const ok = a.set('ns', 'k3', 3);
    const bad = a.appendAudit((t) => ({ seq: t.seq + 5, prevHash: t.prevHash, hash: 'x', body: '{}' }));
    await expect(bad).rejects.toThrow(/does not continue the tail/);
    await ok;
    expect(await b.get('ns', 'k3')).toBe(3);
    await Promise.all([a.close(), b.close()]);
  });

  it('purgeExpired removes expired rows only', async () => {
    const store = createSqliteStore(':memory:');
    await store.set('ns', 'gone', 1, 1);
    await store.addToSet('ns', 'gone-set', 'm', 1);
    await store.set('ns', 'kept', 1, 60);
    await new Promise((r) => setTimeout(r, 1_200));
    // one kv row + one set member + one set meta row
    expect(await store.purgeExpired()).toBe(3);
    expect(await store.get('ns', 'kept')).toBe(1);
    await store.close();
  });
});
