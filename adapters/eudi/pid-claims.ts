/**
 * Canonical identity <-> PID claims in the SD-JWT VC encoding of the PID rulebook (ARF Annex 3.01, v1.4
 * §5; see docs/schemes/eudi.md for what is and is not conformant).
 */
import type { Address, CanonicalIdentity, Gender, Person, ScriptedName } from '../../src/core/identity.js';
import type { SdSpec } from './sd-jwt.js';

/** Our own credential type: a PID-style credential derived from a JPKI (My Number Card) login, not an EU PID. */
export const JP_PID_STYLE_VCT = 'urn:kakehashi:credential:jpki-derived-pid-style:1';
/** EU PID types accepted on input (rulebook `urn:eudi:pid:1` and the older reference-implementation type). */
export const EU_PID_VCTS = ['urn:eudi:pid:1', 'urn:eu.europa.ec.eudi:pid:1'] as const;

/** PID `sex` codes (ISO/IEC 5218 plus rulebook additions); OIDC `gender` is not used by the rulebook. */
const SEX_BY_GENDER: Readonly<Record<Gender, number>> = { unknown: 0, male: 1, female: 2, other: 3 };
const GENDER_BY_SEX: Readonly<Record<number, Gender>> = { 0: 'unknown', 1: 'male', 2: 'female', 3: 'other' };

/** Language-tagged variants we add for Japanese names (not in the rulebook; OIDC Core §5.2 syntax). */
const NAME_TAGS = { Jpan: '#ja-Jpan-JP', Kana: '#ja-Kana-JP' } as const;

export interface PidMetadata {
  readonly issuingAuthority: string;
  /** ISO 3166-1 alpha-2. */
  readonly issuingCountry: string;
  /** YYYY-MM-DD. */
  readonly issuanceDate: string;
  /** YYYY-MM-DD (`date_of_expiry`, administrative validity). */
  readonly expiryDate: string;
}

function primary(names: readonly ScriptedName[] | undefined): ScriptedName | undefined {
  // Latin first: EU relying parties read Latin script; kanji and kana travel as tagged variants.
  return names?.find((n) => n.script === 'Latn') ?? names?.find((n) => n.script === 'Jpan') ?? names?.[0];
}

function addNames(out: Record<string, unknown>, claim: string, names: readonly ScriptedName[] | undefined) {
  const main = primary(names);
  if (!main) return;
  out[claim] = main.value;
  for (const [script, tag] of Object.entries(NAME_TAGS)) {
    const hit = names?.find((n) => n.script === script);
    if (hit && hit !== main) out[`${claim}${tag}`] = hit.value;
  }
}

function pidAddress(a: Address): Record<string, string> {
  return {
    formatted: a.formatted,
    ...(a.country && { country: a.country }),
    ...(a.region && { region: a.region }),
    ...(a.locality && { locality: a.locality }),
    ...(a.postalCode && { postal_code: a.postalCode }),
    ...(a.streetAddress && { street_address: a.streetAddress }),
  };
}

/** The PID claims (all personal, all selectively disclosable) for an identity, plus PID metadata. */
export function pidClaimsFromIdentity(
  identity: CanonicalIdentity,
  meta: PidMetadata,
): Record<string, unknown> {
  const p = identity.person;
  const out: Record<string, unknown> = {};
  addNames(out, 'family_name', p.familyName);
  addNames(out, 'given_name', p.givenName);
  if (p.birthDate) out.birthdate = p.birthDate;
  if (p.nationality?.length) out.nationalities = [...p.nationality];
  if (p.gender) out.sex = SEX_BY_GENDER[p.gender];
  if (p.address) out.address = pidAddress(p.address);
  if (p.email) out.email = p.email;
  out.issuing_authority = meta.issuingAuthority;
  out.issuing_country = meta.issuingCountry;
  out.date_of_issuance = meta.issuanceDate;
  out.date_of_expiry = meta.expiryDate;
  return out;
}

/** Every PID claim is disclosable; address members and nationality elements individually too. */
export function pidSdSpec(claims: Readonly<Record<string, unknown>>): SdSpec {
  const spec: Record<string, true | SdSpec | readonly number[]> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (name === 'address' && value && typeof value === 'object') {
      spec.address = Object.fromEntries(Object.keys(value).map((k) => [k, true as const]));
    } else if (name === 'nationalities' && Array.isArray(value)) {
      spec.nationalities = value.map((_, i) => i);
    } else spec[name] = true;
  }
  return spec;
}

/** Japanese sources list kanji, then the kana reading, then Latin. */
const SCRIPT_ORDER: readonly ScriptedName['script'][] = ['Jpan', 'Kana', 'Hira', 'Latn'];
const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function namesFrom(claims: Readonly<Record<string, unknown>>, claim: string): ScriptedName[] | undefined {
  const out: ScriptedName[] = [];
  const main = str(claims[claim]);
  const tagged = Object.entries(NAME_TAGS).flatMap(([script, tag]) => {
    const v = str(claims[`${claim}${tag}`]);
    return v ? [{ value: v, script: script as ScriptedName['script'] }] : [];
  });
  if (main) {
    // The untagged value is Latin unless it has Japanese characters (an issuer without Latin names).
    const script = JAPANESE.test(main) ? 'Jpan' : 'Latn';
    out.push({ value: main, script });
  }
  for (const t of tagged) if (!out.some((n) => n.script === t.script)) out.push(t);
  out.sort((a, b) => SCRIPT_ORDER.indexOf(a.script) - SCRIPT_ORDER.indexOf(b.script));
  return out.length ? out : undefined;
}

/**
 * The person attributes a presentation disclosed (unknown claims are ignored), mapped back to the canonical
 * `person` shape. Values are validated again by `parseCanonicalIdentity` in the caller.
 */
export function personFromPidClaims(claims: Readonly<Record<string, unknown>>): Person {
  const person: Record<string, unknown> = {};
  const family = namesFrom(claims, 'family_name');
  if (family) person.familyName = family;
  const given = namesFrom(claims, 'given_name');
  if (given) person.givenName = given;
  const birth = str(claims.birthdate) ?? str(claims.birth_date);
  if (birth) person.birthDate = birth;
  if (Array.isArray(claims.nationalities)) person.nationality = claims.nationalities.filter((n) => str(n));
  if (typeof claims.sex === 'number' && GENDER_BY_SEX[claims.sex]) person.gender = GENDER_BY_SEX[claims.sex];
  const a = claims.address;
  if (a && typeof a === 'object' && !Array.isArray(a)) {
    const r = a as Record<string, unknown>;
    const formatted =
      str(r.formatted) ??
      [r.street_address, r.house_number, r.postal_code, r.locality, r.region, r.country]
        .filter((x) => str(x))
        .join(', ');
    if (formatted) {
      person.address = {
        formatted,
        ...(str(r.country) && { country: r.country }),
        ...(str(r.region) && { region: r.region }),
        ...(str(r.locality) && { locality: r.locality }),
        ...(str(r.postal_code) && { postalCode: r.postal_code }),
        ...(str(r.street_address) && { streetAddress: r.street_address }),
        ...(JAPANESE.test(formatted) && { script: 'Jpan' }),
      };
    }
  }
  const email = str(claims.email);
  if (email) person.email = email;
  return person as Person;
}

/** DCQL claim paths for the canonical attributes a relying party asked for. */
export const PID_PATHS_BY_ATTRIBUTE: Readonly<Record<string, readonly (readonly string[])[]>> = {
  familyName: [['family_name']],
  givenName: [['given_name']],
  fullName: [['family_name'], ['given_name']],
  birthName: [['birth_family_name'], ['birth_given_name']],
  birthDate: [['birthdate']],
  gender: [['sex']],
  address: [['address']],
  nationality: [['nationalities']],
  email: [['email']],
};

/** The EU PID's mdoc docType (PID rulebook); ours is JP_PID_STYLE_DOCTYPE in issuer/mdoc.ts. */
export const EU_PID_DOCTYPE = 'eu.europa.ec.eudi.pid.1';

/** The PID mdoc elements of the address (the SD-JWT VC's `address` members), in this order. */
export const MDOC_RESIDENT_ELEMENTS = [
  'resident_address',
  'resident_country',
  'resident_state',
  'resident_city',
  'resident_postal_code',
  'resident_street',
] as const;

/** mdoc elements (PID namespace `eu.europa.ec.eudi.pid.1`) for the canonical attributes a relying party asked for. */
export const PID_MDOC_ELEMENTS_BY_ATTRIBUTE: Readonly<Record<string, readonly string[]>> = {
  familyName: ['family_name'],
  givenName: ['given_name'],
  fullName: ['family_name', 'given_name'],
  birthName: ['birth_family_name', 'birth_given_name'],
  birthDate: ['birth_date'],
  gender: ['sex'],
  address: MDOC_RESIDENT_ELEMENTS,
  nationality: ['nationality'],
  email: ['email_address'],
};

/** An mdoc element value as text: tstr, or a full-date (tag 1004 / 0, decoded as a date object). */
function mdocText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  // @animo-id/mdoc's DateOnly: toISOString() is YYYY-MM-DD.
  if (v && typeof v === 'object' && typeof (v as { toISOString?: unknown }).toISOString === 'function') {
    const s = (v as { toISOString(): unknown }).toISOString();
    return typeof s === 'string' ? s.slice(0, 10) : undefined;
  }
  return undefined;
}

/**
 * Disclosed mdoc PID elements -> the PID claims in their SD-JWT VC shape, so that `personFromPidClaims`
 * maps both formats the same way (`birth_date` -> `birthdate`, `nationality` -> `nationalities`,
 * `resident_*` -> `address`, `email_address` -> `email`). Unknown elements are dropped.
 */
export function pidClaimsFromMdocElements(e: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ['family_name', 'given_name'] as const) {
    const v = mdocText(e[name]);
    if (v) out[name] = v;
  }
  const birth = mdocText(e.birth_date);
  if (birth) out.birthdate = birth;
  const nat = e.nationality;
  if (Array.isArray(nat)) out.nationalities = nat.filter((n) => typeof n === 'string');
  else if (typeof nat === 'string') out.nationalities = [nat];
  if (typeof e.sex === 'number') out.sex = e.sex;
  const address: Record<string, string> = {};
  const members = [
    ['resident_address', 'formatted'],
    ['resident_country', 'country'],
    ['resident_state', 'region'],
    ['resident_city', 'locality'],
    ['resident_postal_code', 'postal_code'],
    ['resident_street', 'street_address'],
  ] as const;
  for (const [element, member] of members) {
    const v = mdocText(e[element]);
    if (v) address[member] = v;
  }
  if (Object.keys(address).length) out.address = address;
  const email = mdocText(e.email_address);
  if (email) out.email = email;
  return out;
}
