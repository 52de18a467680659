/**
 * The plain audit event check (the hot path of `createAuditLog().record`) against the zod schema it stands in
 * for: it must never accept an event the schema refuses, and an accepted event must give the record the schema
 * path would have given.
 */
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import { auditEventInputSchema, isAuditEventInput } from '../../../src/core/audit-event.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import { checkBuiltRecord } from '../../../src/storage/store-support.js';

const VALID: unknown[] = [
  { type: 'login.success', account: 'acc', client: 'rp', source: 'demo', interaction: 'uid' },
  {
    type: 'consent.granted',
    account: 'a',
    client: 'c',
    interaction: 'i',
    attributes: ['familyName', 'address'],
  },
  { type: 'login.refused', reason: 'ERR_X', client: undefined },
  { type: 'config.loaded', detail: { sources: 1, store: 'sqlite', dev: true, n: -0 } },
  { type: 'card.revoked', detail: {} },
  { type: 'token.issued', attributes: [] },
  { type: 'key.rotated', account: 'x'.repeat(128), client: 'y'.repeat(256), reason: 'z'.repeat(128) },
  { type: 'credential.issued', attributes: Array.from({ length: 64 }, (_, i) => `a${i}`.padEnd(64, 'x')) },
  { type: 'credential.revoked', detail: { s: 's'.repeat(256) } },
  Object.assign(Object.create(null), { type: 'login.success' }),
];

const INVALID: unknown[] = [
  null,
  undefined,
  'login.success',
  [],
  [{ type: 'login.success' }],
  {},
  { type: 'login.unknown' },
  { type: 'toString' },
  { type: 1 },
  { type: undefined },
  { type: 'login.success', extra: 1 },
  { type: 'login.success', toString: 'x' },
  { type: 'login.success', constructor: 'x' },
  { type: 'login.success', account: 'x'.repeat(129) },
  { type: 'login.success', client: 'y'.repeat(257) },
  { type: 'login.success', source: 's'.repeat(129) },
  { type: 'login.success', interaction: 'i'.repeat(129) },
  { type: 'login.success', reason: 'r'.repeat(129) },
  { type: 'login.success', account: 42 },
  { type: 'login.success', account: null },
  { type: 'consent.granted', attributes: 'familyName' },
  { type: 'consent.granted', attributes: [1] },
  { type: 'consent.granted', attributes: ['x'.repeat(65)] },
  { type: 'consent.granted', attributes: Array.from({ length: 65 }, () => 'a') },
  // biome-ignore lint/suspicious/noSparseArray: a hole is not a string
  { type: 'consent.granted', attributes: ['a', , 'b'] },
  { type: 'config.loaded', detail: [] },
  { type: 'config.loaded', detail: null },
  { type: 'config.loaded', detail: { n: Number.NaN } },
  { type: 'config.loaded', detail: { n: Number.POSITIVE_INFINITY } },
  { type: 'config.loaded', detail: { s: 's'.repeat(257) } },
  { type: 'config.loaded', detail: { o: {} } },
  { type: 'config.loaded', detail: { u: undefined } },
  { type: 'config.loaded', detail: { a: [1] } },
  { type: 'config.loaded', detail: new Map([['a', 1]]) },
  { type: 'config.loaded', detail: new Date(0) },
  new (class Event {
    type = 'login.success';
  })(),
  { type: 'login.success', [Symbol('x')]: 1 },
];

describe('isAuditEventInput', () => {
  it('accepts the valid events, as the schema does', () => {
    for (const e of VALID) {
      expect(auditEventInputSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
      expect(isAuditEventInput(e), JSON.stringify(e)).toBe(true);
    }
  });

  it('refuses every invalid event (the schema refuses them too, but for the non-plain objects)', () => {
    for (const [i, e] of INVALID.entries()) expect(isAuditEventInput(e), `INVALID[${i}]`).toBe(false);
    const plainOnly = INVALID.filter((e) => auditEventInputSchema.safeParse(e).success);
    // Where the schema is laxer (class instances, Map or Date as detail), the plain check defers to it.
    for (const e of plainOnly) expect(typeof e === 'object' && e !== null).toBe(true);
  });

  it('agrees with the schema on random mutations of valid events', () => {
    const values: unknown[] = [
      undefined,
      null,
      0,
      1.5,
      Number.NaN,
      '',
      'x'.repeat(64),
      'x'.repeat(65),
      'x'.repeat(129),
      'x'.repeat(257),
      [],
      ['a'],
      [1],
      {},
      { k: 1 },
      { k: {} },
      true,
      'login.success',
    ];
    const keys = [
      'type',
      'account',
      'client',
      'source',
      'interaction',
      'reason',
      'attributes',
      'detail',
      'other',
    ];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 3_000; i++) {
      const e: Record<string, unknown> = { ...(VALID[rnd(VALID.length - 1)] as object) };
      for (let j = rnd(3) + 1; j > 0; j--) e[keys[rnd(keys.length)]!] = values[rnd(values.length)];
      if (isAuditEventInput(e))
        expect(auditEventInputSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
    }
  });
});

describe('audit record through the plain check', () => {
  it('stores the same body as the schema path would, detached from the caller', async () => {
    const store = createMemoryStore();
    const log = createAuditLog(store, { now: () => 0 });
    const attributes = ['familyName'];
    const detail: Record<string, string | number | boolean> = { n: 1 };
    const event = { type: 'consent.granted' as const, account: 'a', attributes, detail, client: undefined };
    const record = await log.record(event);
    attributes.push('address');
    detail.n = 2;
    const parsed = auditEventInputSchema.parse({ ...event, attributes: ['familyName'], detail: { n: 1 } });
    const [stored] = await store.readAudit();
    expect(stored).toEqual(record);
    expect(JSON.parse(record.body)).toEqual({
      ...JSON.parse(JSON.stringify(parsed)),
      seq: 0,
      ts: new Date(0).toISOString(),
    });
  });

  it('still refuses a malformed event, naming only the path', async () => {
    const log = createAuditLog(createMemoryStore(), { now: () => 0 });
    const err = await log
      .record({ type: 'login.success', account: 'x'.repeat(500) } as never)
      .catch((e: unknown) => e);
    expect(isGatewayError(err) && err.code).toBe('ERR_AUDIT_EVENT_INVALID');
    expect((err as Error).message).toContain('account');
    expect((err as Error).message).not.toContain('xxxx');
  });
});

describe('checkBuiltRecord', () => {
  const tail = { seq: 3, prevHash: 'p' };
  it('returns a copy with only the record fields', () => {
    const built = { seq: 3, prevHash: 'p', hash: 'h', body: '{}', extra: 1 };
    expect(checkBuiltRecord(tail, built)).toEqual({ seq: 3, prevHash: 'p', hash: 'h', body: '{}' });
  });
  it('refuses malformed records and records that do not continue the tail', () => {
    for (const bad of [
      null,
      { seq: '3', prevHash: 'p', hash: 'h', body: '{}' },
      { seq: 3.5, prevHash: 'p', hash: 'h', body: '{}' },
      { seq: -1, prevHash: 'p', hash: 'h', body: '{}' },
      { seq: 3, prevHash: 'p', hash: 1, body: '{}' },
      { seq: 3, prevHash: 'p', hash: 'h' },
      { seq: 4, prevHash: 'p', hash: 'h', body: '{}' },
      { seq: 3, prevHash: 'q', hash: 'h', body: '{}' },
    ])
      expect(() => checkBuiltRecord(tail, bad as never), JSON.stringify(bad)).toThrow();
  });
});
