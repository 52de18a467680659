/**
 * Canonical level of assurance and its crosswalk to protocol vocabularies.
 *
 * The canonical scale is the eIDAS one (low < substantial < high); every
 * source maps its own vocabulary onto it and every target maps it back out.
 * See docs/schemes/*.md for the per-scheme tables and their caveats.
 */
import { z } from 'zod';

export const LOA_LEVELS = ['low', 'substantial', 'high'] as const;
export const loaSchema = z.enum(LOA_LEVELS);
export type Loa = z.infer<typeof loaSchema>;

/** `acr` values published by the gateway's OIDC provider, one per canonical level. */
export const ACR_BY_LOA = {
  low: 'urn:kakehashi:loa:low',
  substantial: 'urn:kakehashi:loa:substantial',
  high: 'urn:kakehashi:loa:high',
} as const satisfies Record<Loa, string>;

export const ACR_VALUES: readonly string[] = Object.values(ACR_BY_LOA);

export function loaRank(loa: Loa): number {
  return LOA_LEVELS.indexOf(loa);
}

/** True when `actual` is at least `required`. */
export function loaSatisfies(actual: Loa, required: Loa): boolean {
  return loaRank(actual) >= loaRank(required);
}

export function acrForLoa(loa: Loa): string {
  return ACR_BY_LOA[loa];
}

/** Canonical level for one of our `acr` values, or undefined for a value we do not publish. */
export function loaForAcr(acr: string): Loa | undefined {
  return LOA_LEVELS.find((l) => ACR_BY_LOA[l] === acr);
}
