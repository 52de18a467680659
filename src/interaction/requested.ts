/** What an authorization request asks for: person attributes and the minimum level of assurance. */
import type { PersonAttribute } from '../core/identity.js';
import { type Loa, loaForAcr, loaRank } from '../core/loa.js';
import { attributeForClaim, SCOPE_CLAIMS } from '../provider/claims.js';

interface ClaimsParam {
  id_token?: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
}

function parseClaimsParam(raw: unknown): ClaimsParam {
  if (typeof raw === 'string') {
    try {
      const v: unknown = JSON.parse(raw);
      return typeof v === 'object' && v !== null ? (v as ClaimsParam) : {};
    } catch {
      return {};
    }
  }
  return typeof raw === 'object' && raw !== null ? (raw as ClaimsParam) : {};
}

/** Claim names requested through scopes and the claims parameter (including inside verified_claims). */
export function requestedClaimNames(params: Record<string, unknown>): string[] {
  const names = new Set<string>();
  const scope = typeof params.scope === 'string' ? params.scope.split(' ') : [];
  for (const s of scope)
    for (const c of (SCOPE_CLAIMS as Record<string, readonly string[]>)[s] ?? []) names.add(c);
  const claims = parseClaimsParam(params.claims);
  for (const part of [claims.id_token, claims.userinfo]) {
    for (const [name, value] of Object.entries(part ?? {})) {
      if (name === 'verified_claims') {
        const list = Array.isArray(value) ? value : [value];
        for (const v of list) {
          const inner = (v as { claims?: Record<string, unknown> } | null)?.claims;
          for (const k of Object.keys(inner ?? {})) names.add(k);
        }
      }
      names.add(name);
    }
  }
  return [...names];
}

export function requestedAttributes(
  claimNames: readonly string[],
  allowed?: readonly string[],
): PersonAttribute[] {
  const out = new Set<PersonAttribute>();
  for (const c of claimNames) {
    if (allowed && !allowed.includes(c) && !allowed.includes(c.split('#')[0]!)) continue;
    const a = attributeForClaim(c);
    if (a) out.add(a);
  }
  return [...out];
}

const minimum = (levels: readonly (Loa | undefined)[]): Loa | undefined =>
  levels
    .filter((l): l is Loa => l !== undefined)
    .reduce<Loa | undefined>((m, l) => (m === undefined || loaRank(l) < loaRank(m) ? l : m), undefined);

/**
 * The minimum LoA from acr_values and an essential `acr` claim request (the stricter wins).
 * `vocabulary` adds a target's own acr values (e.g. Singpass) to ours.
 */
export function requiredLoa(
  params: Record<string, unknown>,
  vocabulary?: Readonly<Record<Loa, string>>,
): Loa | undefined {
  const toLoa = (v: string): Loa | undefined =>
    loaForAcr(v) ?? (vocabulary && (Object.keys(vocabulary) as Loa[]).find((l) => vocabulary[l] === v));
  // acr_values is a preference list: any listed level satisfies it, so the minimum counts.
  const fromValues = minimum(
    (typeof params.acr_values === 'string' ? params.acr_values.split(' ') : []).map(toLoa),
  );
  const claims = parseClaimsParam(params.claims);
  const acr = (claims.id_token?.acr ?? undefined) as
    | { essential?: boolean; value?: string; values?: string[] }
    | undefined;
  let fromClaim: Loa | undefined;
  if (acr?.essential) {
    fromClaim = minimum([acr.value, ...(acr.values ?? [])].map((v) => (v ? toLoa(v) : undefined)));
  }
  if (fromValues && fromClaim) return loaRank(fromValues) > loaRank(fromClaim) ? fromValues : fromClaim;
  return fromValues ?? fromClaim;
}
