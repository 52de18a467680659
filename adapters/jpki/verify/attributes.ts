/**
 * The basic 4 attributes (基本4情報) of a signature certificate, from its
 * subjectAltName otherNames 1.2.392.200149.8.5.5.1-.6 (schemes.md §1.2), parsed
 * with @peculiar/asn1-x509. Each value is `[0] EXPLICIT UTF8String`.
 */
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { DirectoryString, id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import type { Gender, Person, PersonAttribute } from '../../../src/core/identity.js';
import { jpkiError } from '../errors.js';
import { CERTIFICATE_PARSE_OPTIONS, factsOf } from './certificate.js';

export const JPKI_SAN_OID = {
  name: '1.2.392.200149.8.5.5.1',
  nameSubstitutes: '1.2.392.200149.8.5.5.2',
  gender: '1.2.392.200149.8.5.5.3',
  birthDate: '1.2.392.200149.8.5.5.4',
  address: '1.2.392.200149.8.5.5.5',
  addressSubstitutes: '1.2.392.200149.8.5.5.6',
} as const;

const IDEOGRAPHIC_SPACE = '\u3000';
const GENDERS: Readonly<Record<string, Gender>> = { '1': 'male', '2': 'female', '3': 'unknown' };

export interface SigningAttributes {
  person: Person;
  /** The attributes the certificate vouches for. */
  verified: PersonAttribute[];
}

const PARSED = new WeakMap<X509Certificate, SigningAttributes>();

/**
 * Parse and validate the basic 4 attributes; any missing or malformed value is ERR_JPKI_ATTRIBUTES.
 * A pure function of the certificate: the result is memoised per certificate object and
 * returned as a fresh copy (callers may change the identity they build from it).
 */
export function parseSigningAttributes(cert: X509Certificate): SigningAttributes {
  let parsed = PARSED.get(cert);
  if (!parsed) {
    parsed = parseAttributes(cert);
    PARSED.set(cert, parsed);
  }
  return structuredClone(parsed);
}

function parseAttributes(cert: X509Certificate): SigningAttributes {
  const values = readOtherNames(cert);
  const name = values.get(JPKI_SAN_OID.name);
  const gender = GENDERS[values.get(JPKI_SAN_OID.gender) ?? ''];
  const birthDate = parseBirthDate(values.get(JPKI_SAN_OID.birthDate));
  const address = values.get(JPKI_SAN_OID.address);
  if (!name || !gender || !address || [...address].length > 200) throw jpkiError('ERR_JPKI_ATTRIBUTES');

  const person: Person = {
    ...splitName(name, values.get(JPKI_SAN_OID.nameSubstitutes)),
    birthDate,
    gender,
    address: {
      formatted: address,
      country: 'JP',
      script: 'Jpan',
      ...(hasSubstitute(values.get(JPKI_SAN_OID.addressSubstitutes)) ? { containsSubstitutes: true } : {}),
    },
  };
  const verified: PersonAttribute[] = [
    ...(person.fullName ? (['fullName'] as const) : (['familyName', 'givenName'] as const)),
    'birthDate',
    'gender',
    'address',
  ];
  return { person, verified };
}

function readOtherNames(cert: X509Certificate): Map<string, string> {
  const ext = factsOf(cert).extensions.find((e) => e.type === id_ce_subjectAltName);
  if (!ext) throw jpkiError('ERR_JPKI_ATTRIBUTES');
  const values = new Map<string, string>();
  try {
    for (const gn of AsnConvert.parse(ext.value, SubjectAlternativeName, CERTIFICATE_PARSE_OPTIONS)) {
      const other = gn.otherName;
      if (!other || !(Object.values(JPKI_SAN_OID) as string[]).includes(other.typeId)) continue;
      if (values.has(other.typeId)) throw new Error('duplicate attribute');
      const ds = AsnConvert.parse(other.value, DirectoryString, CERTIFICATE_PARSE_OPTIONS);
      const text = ds.utf8String ?? ds.printableString;
      if (text === undefined) throw new Error('unexpected string type');
      values.set(other.typeId, text.normalize('NFC'));
    }
  } catch (e) {
    throw jpkiError('ERR_JPKI_ATTRIBUTES', e);
  }
  return values;
}

/**
 * Family and given name split at the first full-width space; the substitute-position
 * map (one digit per character, the space included) flags each part. Without the
 * space the name stays whole as `fullName`.
 */
function splitName(
  name: string,
  positions: string | undefined,
): Pick<Person, 'familyName' | 'givenName' | 'fullName'> {
  const chars = [...name];
  const map =
    positions && /^[01]*$/.test(positions) && [...positions].length === chars.length ? positions : undefined;
  // An unusable map says nothing per part: be conservative and flag substitutes wherever it has a 1.
  const flagged = (from: number, to: number): boolean =>
    map ? map.slice(from, to).includes('1') : hasSubstitute(positions);
  const cut = chars.indexOf(IDEOGRAPHIC_SPACE);
  const family = cut > 0 ? chars.slice(0, cut).join('').trim() : '';
  const given =
    cut > 0
      ? chars
          .slice(cut + 1)
          .join('')
          .trim()
      : '';
  if (!family || !given) {
    return { fullName: [scripted(name.trim(), flagged(0, chars.length))] };
  }
  return {
    familyName: [scripted(family, flagged(0, cut))],
    givenName: [scripted(given, flagged(cut + 1, chars.length))],
  };
}

function scripted(
  value: string,
  containsSubstitutes: boolean,
): { value: string; script: 'Jpan'; containsSubstitutes?: boolean } {
  if (!value) throw jpkiError('ERR_JPKI_ATTRIBUTES');
  return containsSubstitutes ? { value, script: 'Jpan', containsSubstitutes } : { value, script: 'Jpan' };
}

function hasSubstitute(positions: string | undefined): boolean {
  return positions?.includes('1') ?? false;
}

/** `EYYYYMMDD` (era digit 0-5 + Gregorian date) to YYYY-MM-DD; the date must exist. */
export function parseBirthDate(value: string | undefined): string {
  const m = value ? /^[0-5](\d{4})(\d{2})(\d{2})$/.exec(value) : null;
  if (!m) throw jpkiError('ERR_JPKI_ATTRIBUTES');
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const iso = `${y}-${mo}-${d}`;
  if (Number(y) < 1800 || date.toISOString().slice(0, 10) !== iso) throw jpkiError('ERR_JPKI_ATTRIBUTES');
  return iso;
}
