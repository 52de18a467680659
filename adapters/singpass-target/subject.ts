/**
 * Singpass-style subjects for a Japanese identity. There is no NRIC, so there
 * is no `s=` part: the subject is `u=<UUID>` (legacy NDI OIDC form) or the bare
 * UUID (FAPI form), the UUID derived deterministically from the hub's pairwise
 * `sub` (already per client/sector and keyed), so it is pairwise too and does
 * not reveal the account id.
 */
import { createHash } from 'node:crypto';

/** A version-8 (RFC 9562 custom) UUID from SHA-256 of the pairwise subject. */
export function pairwiseUuid(pairwiseSub: string): string {
  const b = createHash('sha256').update(`kakehashi:singpass-u\0${pairwiseSub}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function singpassSubject(pairwiseSub: string, format: 'u=' | 'uuid'): string {
  const uuid = pairwiseUuid(pairwiseSub);
  return format === 'u=' ? `u=${uuid}` : uuid;
}
