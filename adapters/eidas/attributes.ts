/**
 * Hub claims -> eIDAS natural-person attributes (eIDAS SAML Attribute Profile v1.2 §2, schemes.md §2.2).
 * Input is what the hub released to our internal client after consent (OIDC standard claims), so nothing
 * the person did not consent to can appear here.
 */
import { ATTRNAME_FORMAT_URI, NATURAL_PERSON, type NaturalPersonAttribute, NS } from './constants.js';
import type { RequestedAttribute } from './request.js';
import { escapeXml } from './xml.js';

export interface AttributeValue {
  readonly value: string;
  /** false marks the non-Latin variant of a transliterated name. */
  readonly latinScript?: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const isLatin = (s: string) => /^[\p{Script=Latin}\p{P}\p{Zs}\p{N}]+$/u.test(s);

/** Native value (marked LatinScript="false" when not Latin) plus the Latin transliteration when known. */
function transliterated(native: string | undefined, latin: string | undefined): AttributeValue[] {
  const out: AttributeValue[] = [];
  if (latin) out.push({ value: latin });
  if (native && native !== latin)
    out.push(isLatin(native) ? { value: native } : { value: native, latinScript: false });
  return out;
}

const GENDER: Readonly<Record<string, string>> = { male: 'Male', female: 'Female' };

/**
 * CurrentAddress: base64 of the CurrentAddressStructuredType children. The hub address is mostly a
 * formatted string; without structure it goes whole into CvaddressArea (lossy; docs/schemes/eidas.md).
 */
export function encodeCurrentAddress(address: Record<string, unknown>): string | undefined {
  const parts: [string, string | undefined][] = [
    ['Thoroughfare', str(address.street_address)],
    ['PostName', str(address.locality)],
    ['AdminunitFirstline', str(address.country)],
    ['AdminunitSecondline', str(address.region)],
    ['PostCode', str(address.postal_code)],
  ];
  const structured = parts[0]?.[1] ?? parts[1]?.[1];
  const ordered: [string, string | undefined][] = [
    ['CvaddressArea', structured ? undefined : str(address.formatted)],
    ...parts,
  ];
  const xml = ordered
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(
      ([k, v]) =>
        `<eidas-natural:${k} xmlns:eidas-natural="${NS.eidasNatural}">${escapeXml(v)}</eidas-natural:${k}>`,
    )
    .join('');
  return xml ? Buffer.from(xml, 'utf8').toString('base64') : undefined;
}

/** Values for each attribute the hub's claims can fill. PersonIdentifier comes from the subject. */
export function attributeValues(
  personIdentifier: string,
  claims: Readonly<Record<string, unknown>>,
): Partial<Record<NaturalPersonAttribute, AttributeValue[]>> {
  const out: Partial<Record<NaturalPersonAttribute, AttributeValue[]>> = {
    PersonIdentifier: [{ value: personIdentifier }],
  };
  const family = transliterated(str(claims.family_name), str(claims['family_name#ja-Latn-JP']));
  if (family.length) out.CurrentFamilyName = family;
  const given = transliterated(str(claims.given_name), str(claims['given_name#ja-Latn-JP']));
  if (given.length) out.CurrentGivenName = given;
  const birth = str(claims.birthdate);
  if (birth && /^\d{4}-\d{2}-\d{2}$/.test(birth)) out.DateOfBirth = [{ value: birth }];
  const gender = str(claims.gender);
  if (gender) out.Gender = [{ value: GENDER[gender] ?? 'Unspecified' }];
  if (claims.address && typeof claims.address === 'object') {
    const encoded = encodeCurrentAddress(claims.address as Record<string, unknown>);
    if (encoded) out.CurrentAddress = [{ value: encoded }];
  }
  return out;
}

/** Requested attributes that are required but cannot be filled (the response becomes an error). */
export function missingRequired(
  requested: readonly RequestedAttribute[],
  values: Partial<Record<NaturalPersonAttribute, AttributeValue[]>>,
): NaturalPersonAttribute[] {
  return requested.filter((r) => r.required && !values[r.attribute]?.length).map((r) => r.attribute);
}

/** The AttributeStatement for the requested attributes that have values. */
export function attributeStatementXml(
  requested: readonly RequestedAttribute[],
  values: Partial<Record<NaturalPersonAttribute, AttributeValue[]>>,
): string {
  const attrs = requested
    .filter((r) => values[r.attribute]?.length)
    .map((r) => {
      const def = NATURAL_PERSON[r.attribute];
      const vals = (values[r.attribute] ?? [])
        .map(
          (v) =>
            `<saml:AttributeValue xmlns:eidas-natural="${NS.eidasNatural}" xsi:type="eidas-natural:${def.type}"${
              v.latinScript === false ? ' LatinScript="false"' : ''
            }>${escapeXml(v.value)}</saml:AttributeValue>`,
        )
        .join('');
      return `<saml:Attribute FriendlyName="${def.friendly}" Name="${def.name}" NameFormat="${ATTRNAME_FORMAT_URI}">${vals}</saml:Attribute>`;
    })
    .join('');
  return attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '';
}
