/**
 * Canonical identity -> Myinfo-like person data (items shaped as in Myinfo v3:
 * `{ value }` or `{ code, desc }`, with `source` "1" for attributes the source
 * verified, "2" otherwise, and `{ unavailable: true }` where we cannot fill an
 * item the RP asked for). `uinfin` is never produced: a Japanese identity has no
 * NRIC/FIN and we never derive one.
 */
import type { CanonicalIdentity, PersonAttribute, ScriptedName } from '../../src/core/identity.js';
import type { Loa } from '../../src/core/loa.js';
import { kanaToLatin } from './romaji.js';

export type NameScript = 'Latn' | 'Jpan';

const pick = (names: readonly ScriptedName[] | undefined, script: ScriptedName['script']) =>
  names?.find((n) => n.script === script)?.value;

/**
 * The person's full name in `script`. Latin: the source's Latin name, else the kana reading in
 * passport Hepburn; family name first, upper case (as Myinfo prints names). Undefined when
 * neither exists (kanji alone are never romanised).
 */
export function fullName(identity: CanonicalIdentity, script: NameScript): string | undefined {
  const p = identity.person;
  if (script === 'Jpan') {
    const full = pick(p.fullName, 'Jpan');
    if (full) return full;
    const parts = [pick(p.familyName, 'Jpan'), pick(p.givenName, 'Jpan')].filter(Boolean);
    return parts.length ? parts.join('\u3000') : undefined;
  }
  const latin = [pick(p.familyName, 'Latn'), pick(p.givenName, 'Latn')].filter(Boolean);
  if (latin.length) return latin.join(' ').toUpperCase();
  const kana = [
    pick(p.familyName, 'Kana') ?? pick(p.familyName, 'Hira'),
    pick(p.givenName, 'Kana') ?? pick(p.givenName, 'Hira'),
  ].filter((x): x is string => Boolean(x));
  if (kana.length) {
    const romaji = kana.map(kanaToLatin);
    if (romaji.every(Boolean)) return romaji.join(' ');
  }
  const fullLatin = pick(p.fullName, 'Latn');
  if (fullLatin) return fullLatin.toUpperCase();
  const fullKana = pick(p.fullName, 'Kana') ?? pick(p.fullName, 'Hira');
  return fullKana ? kanaToLatin(fullKana) : undefined;
}

const SEX = {
  male: ['M', 'MALE'],
  female: ['F', 'FEMALE'],
  other: ['U', 'UNKNOWN'],
  unknown: ['U', 'UNKNOWN'],
};

/** Myinfo person items from the canonical identity. */
export function myinfoClaims(identity: CanonicalIdentity, script: NameScript): Record<string, unknown> {
  const p = identity.person;
  const source = (a: PersonAttribute) => (identity.verified.includes(a) ? '1' : '2');
  const out: Record<string, unknown> = {};
  const name = fullName(identity, script);
  const nameAttr: PersonAttribute = p.fullName ? 'fullName' : 'familyName';
  out.name = name ? { value: name, source: source(nameAttr), classification: 'C' } : { unavailable: true };
  if (p.birthDate) out.dob = { value: p.birthDate, source: source('birthDate'), classification: 'C' };
  if (p.gender) {
    const [code, desc] = SEX[p.gender];
    out.sex = { code, desc, source: source('gender'), classification: 'C' };
  }
  const nat = p.nationality?.[0];
  if (nat) out.nationality = { code: nat, source: source('nationality'), classification: 'C' };
  if (p.address) {
    // A Japanese address stays in its own script: addresses are not transliterated.
    out.regadd = {
      type: 'Unformatted',
      country: { code: p.address.country ?? 'JP' },
      line1: { value: p.address.formatted },
      line2: { value: '' },
      source: source('address'),
      classification: 'C',
    };
  }
  if (p.email) out.email = { value: p.email, source: source('email'), classification: 'C' };
  return out;
}

/** Canonical LoA -> Singpass acr (our crosswalk, [U]; see docs/schemes/singpass.md). */
export const SINGPASS_ACR_BY_LOA = {
  low: 'urn:singpass:authentication:loa:1',
  substantial: 'urn:singpass:authentication:loa:2',
  high: 'urn:singpass:authentication:loa:3',
} as const satisfies Record<Loa, string>;
