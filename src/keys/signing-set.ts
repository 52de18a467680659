/**
 * The set of signing keys and its life cycle: one active key per algorithm signs;
 * a rotated-out key stays published (status `retiring`) until every token it signed
 * has expired, then `prune` drops it.
 */
import type { JWK } from 'jose';
import { type PrivateJwk, type SigningAlg, toPublicJwk } from './signing-jwk.js';

export type SigningKeyStatus = 'active' | 'retiring' | 'published';

export interface SigningEntry {
  readonly jwk: PrivateJwk;
  /** `active` signs; `retiring` was rotated out and is published until pruned; `published` is an extra operator-supplied key. */
  readonly status: SigningKeyStatus;
  /** Epoch milliseconds; absent for operator-supplied keys. */
  readonly createdAt?: number;
  /** Epoch milliseconds at which the key stopped signing. */
  readonly retiredAt?: number;
}

export interface SigningKeyInfo {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly status: SigningKeyStatus;
  readonly createdAt?: number;
  readonly retiredAt?: number;
}

const STATUS_RANK: Record<SigningKeyStatus, number> = { active: 0, published: 1, retiring: 2 };

/**
 * Publication order: the active key of `primary` first, the other active key next, then the rest
 * (most recently retired first). oidc-provider signs with the first usable key for an alg, so order matters.
 */
export function orderEntries(entries: readonly SigningEntry[], primary: SigningAlg): SigningEntry[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const rank = STATUS_RANK[a.e.status] - STATUS_RANK[b.e.status];
      if (rank !== 0) return rank;
      if (a.e.status === 'active')
        return (a.e.jwk.alg === primary ? 0 : 1) - (b.e.jwk.alg === primary ? 0 : 1);
      if (a.e.status === 'retiring') return (b.e.retiredAt ?? 0) - (a.e.retiredAt ?? 0);
      return a.i - b.i;
    })
    .map(({ e }) => e);
}

/** Operator-supplied keys: the first key of each alg is active, the others are published only. Duplicates dropped. */
export function entriesFromSupplied(keys: readonly PrivateJwk[]): SigningEntry[] {
  const seen = new Set<string>();
  const activeAlgs = new Set<SigningAlg>();
  const entries: SigningEntry[] = [];
  for (const jwk of keys) {
    if (seen.has(jwk.kid)) continue;
    seen.add(jwk.kid);
    const status: SigningKeyStatus = activeAlgs.has(jwk.alg) ? 'published' : 'active';
    activeAlgs.add(jwk.alg);
    entries.push({ jwk, status });
  }
  return entries;
}

/** A new active key for its alg; the previous active key of that alg becomes `retiring` at `now`. */
export function rotateEntries(
  entries: readonly SigningEntry[],
  next: PrivateJwk,
  now: number,
): SigningEntry[] {
  const rotated = entries.map(
    (e): SigningEntry =>
      e.status === 'active' && e.jwk.alg === next.alg ? { ...e, status: 'retiring', retiredAt: now } : e,
  );
  return [{ jwk: next, status: 'active', createdAt: now }, ...rotated];
}

/** Drop retiring keys whose window (`retiredAt + windowMs`) has passed. */
export function pruneEntries(
  entries: readonly SigningEntry[],
  now: number,
  windowMs: number,
): { kept: SigningEntry[]; dropped: string[] } {
  const kept: SigningEntry[] = [];
  const dropped: string[] = [];
  for (const e of entries) {
    if (e.status === 'retiring' && (e.retiredAt ?? 0) + windowMs <= now) dropped.push(e.jwk.kid);
    else kept.push(e);
  }
  return { kept, dropped };
}

export function privateJwks(entries: readonly SigningEntry[]): JWK[] {
  return entries.map((e) => ({ ...e.jwk }));
}

export function publicJwks(entries: readonly SigningEntry[]): JWK[] {
  return entries.map((e) => toPublicJwk(e.jwk));
}

export function describeEntries(entries: readonly SigningEntry[]): SigningKeyInfo[] {
  return entries.map((e) => ({
    kid: e.jwk.kid,
    alg: e.jwk.alg,
    status: e.status,
    ...(e.createdAt === undefined ? {} : { createdAt: e.createdAt }),
    ...(e.retiredAt === undefined ? {} : { retiredAt: e.retiredAt }),
  }));
}
