/**
 * RequestedAuthnContext of a plain SAML AuthnRequest -> canonical level (docs/schemes/saml.md "Level of
 * assurance"). Accepted class refs: our `urn:kakehashi:loa:<level>` (the hub's acr values, also what we
 * assert), SAML `unspecified` (= low), and `PasswordProtectedTransport` only with Comparison="minimum" (= low:
 * every source of the gateway is at least a single-factor login over TLS; asserting that class under `exact`
 * would misstate the method, so it is refused there). Anything else is NoAuthnContext.
 */
import { acrForLoa, LOA_LEVELS, type Loa, loaForAcr, loaRank } from '../../src/core/loa.js';

const UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

export type Comparison = 'exact' | 'minimum' | 'maximum' | 'better';

/** What the login must meet, and the check on the level the hub delivered. */
export interface LoaRequirement {
  /** Level asked from the hub (acr_values). */
  readonly ask: Loa;
  accepts(delivered: Loa): boolean;
}

/** Undefined = no acceptable reading (NoAuthnContext). `floor` is the SP's configured minimum. */
export function loaRequirement(
  classRefs: readonly string[] | undefined,
  comparison: Comparison,
  floor: Loa = 'low',
): LoaRequirement | undefined {
  const atLeastFloor = (l: Loa) => loaRank(l) >= loaRank(floor);
  if (!classRefs) return { ask: floor, accepts: atLeastFloor };
  const levels: Loa[] = [];
  for (const ref of classRefs) {
    const l = ref === UNSPECIFIED || (ref === PPT && comparison === 'minimum') ? 'low' : loaForAcr(ref);
    if (!l) return undefined;
    levels.push(l);
  }
  if (levels.length === 0) return undefined;
  const ranks = levels.map(loaRank);
  const lo = Math.min(...ranks);
  const hi = Math.max(...ranks);
  const byRank = (r: number) => LOA_LEVELS.find((l) => loaRank(l) === r);
  let ask: Loa | undefined;
  let ok: (l: Loa) => boolean;
  switch (comparison) {
    case 'minimum':
      ask = byRank(lo);
      ok = (l) => loaRank(l) >= lo;
      break;
    case 'exact':
      ask = byRank(lo);
      ok = (l) => ranks.includes(loaRank(l));
      break;
    case 'better':
      ask = byRank(hi + 1);
      ok = (l) => loaRank(l) > hi;
      break;
    case 'maximum':
      ask = 'low';
      ok = (l) => loaRank(l) <= hi;
      break;
  }
  if (!ask) return undefined;
  const asked = loaRank(ask) >= loaRank(floor) ? ask : floor;
  if (!ok(asked)) return undefined;
  return { ask: asked, accepts: (l) => ok(l) && atLeastFloor(l) };
}

/** The AuthnContextClassRef we assert for a delivered level. */
export const samlLoaUri = (l: Loa): string => acrForLoa(l);
