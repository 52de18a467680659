import { beforeEach, describe, expect, it } from 'vitest';
import {
  AUDIT_GENESIS_HASH,
  auditHash,
  createAuditLog,
  verifyAuditChain,
} from '../../../src/audit/audit-log.js';
import { canonicalJson } from '../../../src/audit/canonical-json.js';
import type { AuditEventInput } from '../../../src/core/audit-event.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import type { AuditRecord, Store } from '../../../src/storage/store.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

async function chainOf(n: number): Promise<{ store: Store; records: AuditRecord[] }> {
  const store = createMemoryStore();
  const log = createAuditLog(store, { now: () => T0 });
  for (let i = 0; i < n; i++) {
    await log.record({ type: 'login.success', account: `acc-${i}`, client: 'rp-1', source: 'jpki' });
  }
  return { store, records: await store.readAudit() };
}

/** Re-hash records from `from` on, as a forger who controls the storage would. */
function rechain(records: AuditRecord[], from: number): AuditRecord[] {
  const out = records.map((r) => ({ ...r }));
  for (let i = from; i < out.length; i++) {
    const prevHash = i === 0 ? AUDIT_GENESIS_HASH : out[i - 1]!.hash;
    out[i] = { ...out[i]!, seq: i, prevHash, hash: auditHash(prevHash, out[i]!.body) };
  }
  return out;
}

describe('audit log', () => {
  let records: AuditRecord[];
  beforeEach(async () => {
    ({ records } = await chainOf(5));
  });

  it('writes canonical {seq, ts, ...event} bodies chained from the genesis hash', async () => {
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(records[0]!.prevHash).toBe(AUDIT_GENESIS_HASH);
    expect(records[0]!.body).toBe(
      '{"account":"acc-0","client":"rp-1","seq":0,"source":"jpki","ts":"2025-01-02T03:04:05.000Z","type":"login.success"}',
    );
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    expect(records[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyAuditChain(records)).toEqual({ ok: true, count: 5 });
    expect(verifyAuditChain([])).toEqual({ ok: true, count: 0 });
  });

  it('detects a tampered body', () => {
    const forged = records.map((r) => ({ ...r }));
    forged[2]!.body = forged[2]!.body.replace('acc-2', 'acc-9');
    expect(verifyAuditChain(forged)).toEqual({ ok: false, brokenAt: 2, reason: 'hash_mismatch' });
  });

  it('detects a forged hash (random, and recomputed over a changed body)', () => {
    const random = records.map((r) => ({ ...r }));
    random[3]!.hash = 'f'.repeat(64);
    expect(verifyAuditChain(random)).toEqual({ ok: false, brokenAt: 3, reason: 'hash_mismatch' });

    const recomputed = records.map((r) => ({ ...r }));
    recomputed[1]!.body = recomputed[1]!.body.replace('acc-1', 'acc-9');
    recomputed[1]!.hash = auditHash(recomputed[1]!.prevHash, recomputed[1]!.body);
    expect(verifyAuditChain(recomputed)).toEqual({ ok: false, brokenAt: 2, reason: 'prev_hash_mismatch' });
  });

  it('detects a deleted middle record, also when the forger re-chains the rest', () => {
    const deleted = records.filter((r) => r.seq !== 2);
    expect(verifyAuditChain(deleted)).toEqual({ ok: false, brokenAt: 2, reason: 'unexpected_seq' });
    // Renumbered and re-hashed: only the seq inside each body still tells.
    expect(verifyAuditChain(rechain(deleted, 2))).toEqual({ ok: false, brokenAt: 2, reason: 'body_invalid' });
  });

  it('detects reordering', () => {
    const swapped = [records[0]!, records[2]!, records[1]!, records[3]!, records[4]!];
    expect(verifyAuditChain(swapped)).toEqual({ ok: false, brokenAt: 1, reason: 'unexpected_seq' });
  });

  it('detects a prevHash that does not link, and a deleted genesis record', () => {
    const unlinked = records.map((r) => ({ ...r }));
    unlinked[4]!.prevHash = records[2]!.hash;
    unlinked[4]!.hash = auditHash(unlinked[4]!.prevHash, unlinked[4]!.body);
    expect(verifyAuditChain(unlinked)).toEqual({ ok: false, brokenAt: 4, reason: 'prev_hash_mismatch' });
    expect(verifyAuditChain(records.slice(1))).toEqual({ ok: false, brokenAt: 0, reason: 'unexpected_seq' });
  });

  it('verifies a slice given its anchor', () => {
    const from = { seq: 2, prevHash: records[1]!.hash };
    expect(verifyAuditChain(records.slice(2), { from })).toEqual({ ok: true, count: 3 });
    expect(verifyAuditChain(records.slice(3), { from })).toMatchObject({ ok: false, brokenAt: 0 });
  });

  it('rejects a non-canonical body even when hashed correctly', () => {
    const loose = records.map((r) => ({ ...r }));
    const parsed: unknown = JSON.parse(loose[4]!.body);
    loose[4]!.body = JSON.stringify(parsed, null, 1);
    loose[4]!.hash = auditHash(loose[4]!.prevHash, loose[4]!.body);
    expect(verifyAuditChain(loose)).toEqual({ ok: false, brokenAt: 4, reason: 'body_invalid' });
  });

  it('verify() reads the stored chain and reports where the store was tampered with', async () => {
    const { store } = await chainOf(3);
    const log = createAuditLog(store, { now: () => T0 });
    expect(await log.verify()).toEqual({ ok: true, count: 3 });
    // Append a record that skips the hashing rules through the raw store.
    await store.appendAudit((t) => ({ seq: t.seq, prevHash: t.prevHash, hash: 'x'.repeat(64), body: '{}' }));
    expect(await log.verify()).toEqual({ ok: false, brokenAt: 3, reason: 'hash_mismatch' });
  });

  it('rejects events with keys outside the schema (e.g. a name) and writes nothing', async () => {
    const store = createMemoryStore();
    const log = createAuditLog(store, { now: () => T0 });
    const withName = {
      type: 'login.success',
      account: 'acc',
      name: '山田太郎',
    } as unknown as AuditEventInput;
    const err = await log.record(withName).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGatewayError(err) && err.code).toBe('ERR_AUDIT_EVENT_INVALID');
    expect(String((err as Error).message)).not.toContain('山田');
    const badType = { type: 'user.profile', account: 'acc' } as unknown as AuditEventInput;
    await expect(log.record(badType)).rejects.toMatchObject({ code: 'ERR_AUDIT_EVENT_INVALID' });
    expect(await store.readAudit()).toEqual([]);
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively, drops undefined and refuses non-finite numbers', () => {
    expect(canonicalJson({ b: [{ z: 1, a: 'é' }], a: true, u: undefined, n: null })).toBe(
      '{"a":true,"b":[{"a":"é","z":1}],"n":null}',
    );
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
  });
});
