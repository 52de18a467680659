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
