/**
 * Helpers shared by the Store implementations: argument checks, JSON encoding,
 * and the audit-tail rules every backend enforces identically.
 */
import { z } from 'zod';
import type { AuditRecord, AuditTail } from './store.js';

/** prevHash of the first audit record (64 hex zeros). */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** Boundary schema for audit records read back from a backend. */
export const auditRecordSchema = z.object({
  seq: z.number().int().nonnegative(),
  prevHash: z.string(),
  hash: z.string(),
  body: z.string(),
});

/** TTL in milliseconds, or undefined for "no expiry". Throws on nonsense TTLs (a programming error). */
export function ttlMs(ttlSeconds: number | undefined): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive finite number, got ${ttlSeconds}`);
  }
  return Math.max(1, Math.round(ttlSeconds * 1000));
}

/** JSON text of a value; refuses values JSON cannot represent (undefined, functions, symbols). */
export function encodeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw new TypeError('store values must be JSON-serialisable');
  return text;
}

export function decodeValue<T>(text: string): T {
  // The store round-trips what encodeValue wrote; callers own the type they ask for (Store.get<T>).
  return JSON.parse(text) as T;
}

/** The record `build` returned must continue the tail it was given, or the chain would fork. */
export function checkBuiltRecord(tail: AuditTail, record: AuditRecord): AuditRecord {
  // What auditRecordSchema checks, in plain code (this runs on every append); the copy drops any other field.
  const r = record as Partial<Record<keyof AuditRecord, unknown>> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    !Number.isSafeInteger(r.seq) ||
    (r.seq as number) < 0 ||
    typeof r.prevHash !== 'string' ||
    typeof r.hash !== 'string' ||
    typeof r.body !== 'string'
  ) {
    return checkBuiltRecord(tail, auditRecordSchema.parse(record));
  }
  const parsed: AuditRecord = { seq: r.seq as number, prevHash: r.prevHash, hash: r.hash, body: r.body };
  if (parsed.seq !== tail.seq || parsed.prevHash !== tail.prevHash) {
    throw new Error(`audit record does not continue the tail (seq ${tail.seq})`);
  }
  return parsed;
}
