/**
 * Security events for the append-only, hash-chained audit log.
 * Ids are pseudonymous (account ids, client ids, interaction uids); never names, dates or addresses.
 */
import { z } from 'zod';

export const AUDIT_EVENT_TYPES = [
  'login.success',
  'login.refused',
  'consent.granted',
  'consent.denied',
  'token.issued',
  'key.rotated',
  'config.loaded',
  'credential.issued',
  'credential.revoked',
  'card.revoked',
] as const;

export const auditEventInputSchema = z
  .object({
    type: z.enum(AUDIT_EVENT_TYPES),
    /** Pseudonymous account id (HMAC of the source subject), never the source subject itself. */
    account: z.string().max(128).optional(),
    client: z.string().max(256).optional(),
    source: z.string().max(128).optional(),
    interaction: z.string().max(128).optional(),
    /** Stable error code for refusals, e.g. ERR_JPKI_REVOKED. */
    reason: z.string().max(128).optional(),
    /** Attribute *names* released on consent. */
    attributes: z.array(z.string().max(64)).max(64).optional(),
    detail: z.record(z.string(), z.union([z.string().max(256), z.number(), z.boolean()])).optional(),
  })
  .strict();
export type AuditEventInput = z.infer<typeof auditEventInputSchema>;

const EVENT_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
/** Longest accepted length of each optional string field (as in the schema). */
const STRING_FIELDS: Readonly<Record<string, number>> = {
  account: 128,
  client: 256,
  source: 128,
  interaction: 128,
  reason: 128,
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(v).length === 0;
};

/**
 * The schema's check without the schema library, for the hot path (two audit events per login): true only for
 * events `auditEventInputSchema` accepts unchanged. It may refuse more (then the schema decides and names the
 * fault), never less; test/unit/audit checks both against each other.
 */
export function isAuditEventInput(event: unknown): event is AuditEventInput {
  if (!isPlainObject(event)) return false;
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (key === 'type') {
      if (typeof value !== 'string' || !EVENT_TYPES.has(value)) return false;
    } else if (Object.hasOwn(STRING_FIELDS, key)) {
      if (value !== undefined && (typeof value !== 'string' || value.length > STRING_FIELDS[key]!))
        return false;
    } else if (key === 'attributes') {
      if (value === undefined) continue;
      if (!Array.isArray(value) || value.length > 64) return false;
      for (let i = 0; i < value.length; i++) {
        const a: unknown = value[i];
        if (typeof a !== 'string' || a.length > 64) return false;
      }
    } else if (key === 'detail') {
      if (value === undefined) continue;
      if (!isPlainObject(value)) return false;
      for (const k of Object.keys(value)) {
        const v = value[k];
        if (
          typeof v === 'string'
            ? v.length > 256
            : typeof v === 'number'
              ? !Number.isFinite(v)
              : typeof v !== 'boolean'
        )
          return false;
      }
    } else {
      return false;
    }
  }
  return typeof event.type === 'string';
}
