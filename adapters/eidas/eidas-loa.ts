/**
 * eIDAS level-of-assurance URIs and their order for `Comparison="minimum"`.
 *
 * Order (Sweden Connect `EidasLoaEnum`, schemes.md §2.3): NotNotified-low < low < NotNotified-substantial
 * < substantial < NotNotified-high < high. The legacy `http://eidas.europa.eu/LoA/NotNotified/<level>` spelling
 * is accepted on input. Japan's schemes are not notified under eIDAS, so by default we assert NotNotified URIs.
 */
import type { Loa } from '../../src/core/loa.js';
import { LOA_LEVELS, loaRank } from '../../src/core/loa.js';

export interface EidasLoa {
  readonly level: Loa;
  readonly notified: boolean;
}

const NOTIFIED = 'http://eidas.europa.eu/LoA/';
const NOT_NOTIFIED = 'http://eidas.europa.eu/NotNotified/LoA/';
const LEGACY_NOT_NOTIFIED = 'http://eidas.europa.eu/LoA/NotNotified/';

export function eidasLoaUri(loa: EidasLoa): string {
  return `${loa.notified ? NOTIFIED : NOT_NOTIFIED}${loa.level}`;
}

export function parseEidasLoa(uri: string): EidasLoa | undefined {
  for (const [prefix, notified] of [
    [LEGACY_NOT_NOTIFIED, false],
    [NOT_NOTIFIED, false],
    [NOTIFIED, true],
  ] as const) {
    if (!uri.startsWith(prefix)) continue;
    const level = LOA_LEVELS.find((l) => l === uri.slice(prefix.length));
    return level ? { level, notified } : undefined;
  }
  return undefined;
}

/** Position on the combined scale (1..6). */
export function eidasLoaRank(loa: EidasLoa): number {
  return loaRank(loa.level) * 2 + (loa.notified ? 2 : 1);
}

export function eidasLoaSatisfies(actual: EidasLoa, minimum: EidasLoa): boolean {
  return eidasLoaRank(actual) >= eidasLoaRank(minimum);
}

/**
 * The lowest canonical level that, asserted with `notified`, meets the minimum; undefined when none does
 * (e.g. notified `high` requested from a NotNotified issuer).
 */
export function canonicalLoaFor(minimum: EidasLoa, notified: boolean): Loa | undefined {
  return LOA_LEVELS.find((level) => eidasLoaSatisfies({ level, notified }, minimum));
}

/** All six URIs (metadata `http://eidas.europa.eu/LoA` entity attribute values). */
export function eidasLoaUris(notified: boolean): string[] {
  return LOA_LEVELS.map((level) => eidasLoaUri({ level, notified }));
}
