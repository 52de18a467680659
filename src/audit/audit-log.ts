/**
 * Append-only, hash-chained audit log over the Store.
 *
 * Each record's body is the canonical JSON of `{seq, ts, ...event}` and
 * `hash = SHA-256hex(prevHash + "\n" + body)`, the first prevHash being 64
 * zeros. Changing, removing or reordering any record breaks every later link;
 * truncating the tail is only detectable against an externally kept
 * (seq, hash) anchor, so operators should export the latest hash periodically.
 */
import { createHash } from 'node:crypto';
import { type AuditEventInput, auditEventInputSchema, isAuditEventInput } from '../core/audit-event.js';
import { GatewayError } from '../core/errors.js';
import type { AuditRecord, AuditTail, Store } from '../storage/store.js';
import { AUDIT_GENESIS_HASH } from '../storage/store-support.js';
import { canonicalJson } from './canonical-json.js';

export { AUDIT_GENESIS_HASH };

export interface AuditLog {
  /** Validate and append one event; rejects with GatewayError ERR_AUDIT_EVENT_INVALID on a malformed event. */
  record(event: AuditEventInput): Promise<AuditRecord>;
  /** Read the whole chain from the store (in pages) and verify it from the genesis record. */
  verify(): Promise<AuditChainResult>;
}

export interface AuditLogOptions {
  /** Milliseconds since the epoch. */
  now: () => number;
}

export type AuditChainResult = { ok: true; count: number } | { ok: false; brokenAt: number; reason: string };

/** Why verification failed (the `reason` of a broken result). */
export const AUDIT_BREAK_REASONS = {
  seq: 'unexpected_seq',
  prevHash: 'prev_hash_mismatch',
  hash: 'hash_mismatch',
  body: 'body_invalid',
} as const;

const READ_PAGE = 1_000;

/** A copy of a checked event, as the schema would hand back: later changes by the caller do not reach the record. */
function copyEvent(event: AuditEventInput): AuditEventInput {
  const copy = { ...event };
  if (event.attributes) copy.attributes = [...event.attributes];
  if (event.detail) copy.detail = { ...event.detail };
  return copy;
}

export function auditHash(prevHash: string, body: string): string {
  return createHash('sha256').update(`${prevHash}\n${body}`, 'utf8').digest('hex');
}

export function createAuditLog(store: Store, options: AuditLogOptions): AuditLog {
  return {
    async record(event) {
      // The plain check accepts only what the schema accepts; anything else goes to the schema for its verdict.
      const parsed = isAuditEventInput(event)
        ? { success: true as const, data: copyEvent(event) }
        : auditEventInputSchema.safeParse(event);
      if (!parsed.success) {
        // The message names only the offending paths, never the values (they might be personal data).
        const paths = parsed.error.issues.map((i) => i.path.join('.') || i.code).join(', ');
        throw new GatewayError('ERR_AUDIT_EVENT_INVALID', `invalid audit event (${paths})`, {
          oauth: 'server_error',
          status: 500,
          cause: parsed.error,
        });
      }
      const ts = new Date(options.now()).toISOString();
      return store.appendAudit((tail: AuditTail) => {
        const body = canonicalJson({ ...parsed.data, seq: tail.seq, ts });
        return { seq: tail.seq, prevHash: tail.prevHash, hash: auditHash(tail.prevHash, body), body };
      });
    },
    async verify() {
      let from: AuditTail = { seq: 0, prevHash: AUDIT_GENESIS_HASH };
      let count = 0;
      for (;;) {
        const page = await store.readAudit(from.seq, READ_PAGE);
        const result = verifyAuditChain(page, { from });
        if (!result.ok) return { ok: false, brokenAt: result.brokenAt + count, reason: result.reason };
        count += result.count;
        const last = page.at(-1);
        if (page.length < READ_PAGE || last === undefined) return { ok: true, count };
        from = { seq: last.seq + 1, prevHash: last.hash };
      }
    },
  };
}

/**
 * Verify a run of audit records. By default the run must start at the genesis
 * record (seq 0); pass `from` (the seq and prevHash the first record must carry)
 * to verify a later slice. `brokenAt` is the index in `records` of the first
 * record that fails.
 */
export function verifyAuditChain(
  records: readonly AuditRecord[],
  options: { from?: AuditTail } = {},
): AuditChainResult {
  let expected: AuditTail = options.from ?? { seq: 0, prevHash: AUDIT_GENESIS_HASH };
  for (const [i, r] of records.entries()) {
    if (r.seq !== expected.seq) return { ok: false, brokenAt: i, reason: AUDIT_BREAK_REASONS.seq };
    if (r.prevHash !== expected.prevHash)
      return { ok: false, brokenAt: i, reason: AUDIT_BREAK_REASONS.prevHash };
    if (r.hash !== auditHash(r.prevHash, r.body))
      return { ok: false, brokenAt: i, reason: AUDIT_BREAK_REASONS.hash };
    if (!bodyMatches(r)) return { ok: false, brokenAt: i, reason: AUDIT_BREAK_REASONS.body };
    expected = { seq: r.seq + 1, prevHash: r.hash };
  }
  return { ok: true, count: records.length };
}

/** The body must be canonical JSON naming the record's own seq (so an outer seq cannot be relabelled). */
function bodyMatches(r: AuditRecord): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || !('seq' in parsed) || parsed.seq !== r.seq)
    return false;
  return canonicalJson(parsed) === r.body;
}
