/**
 * Attribute profiles of the plain SAML 2.0 target (docs/schemes/saml.md):
 * - `saml2-uri`: the MACE-Dir SAML Attribute Profile / SAML 2.0 X.500/LDAP profile naming (urn:oid names,
 *   NameFormat uri), with SCHAC for date of birth and gender, eduPerson identifiers and the OASIS pairwise-id;
 * - `basic`: the same attributes with plain names (NameFormat basic) for SPs that expect short names.
 * Input is what the hub released to the SP's internal client after consent, so nothing the person did not
 * consent to can appear; the identifiers are derived from the hub's pairwise subject for that SP.
 */
import { NAMEID_FORMAT, NS } from './constants.js';
import { escapeXml } from './xml.js';

export const SAML_ATTRIBUTE_KEYS = [
  'givenName',
  'sn',
  'displayName',
  'cn',
  'mail',
  'dateOfBirth',
  'gender',
  'postalAddress',
  'eduPersonPrincipalName',
  'eduPersonTargetedID',
  'pairwiseId',
] as const;
export type SamlAttributeKey = (typeof SAML_ATTRIBUTE_KEYS)[number];
export type SamlProfile = 'saml2-uri' | 'basic';

export const NAME_FORMAT = {
  uri: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
  basic: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
} as const;

export interface AttributeContext {
  /** Claims released by the hub to this SP's internal client. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The hub's pairwise subject for this SP (also the persistent NameID). */
  readonly pairwise: string;
  readonly idpEntityId: string;
  readonly spEntityId: string;
  /** Scope of scoped identifiers (eduPersonPrincipalName, pairwise-id). */
  readonly scope: string;
}

type Value = { readonly text: string } | { readonly nameId: string };

interface AttributeDef {
  readonly uri: string;
  /** FriendlyName (saml2-uri) and Name (basic). */
  readonly friendly: string;
  /** The hub scope whose claims fill it (none for identifiers). */
  readonly scope?: 'profile' | 'email' | 'address';
  readonly claims: readonly string[];
  values(c: AttributeContext, profile: SamlProfile): Value[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const text = (v: string | undefined): Value[] => (v ? [{ text: v }] : []);
/** ISO/IEC 5218 codes (SCHAC schacGender). */
const ISO_5218: Readonly<Record<string, string>> = { male: '1', female: '2' };
/** Unique ID of a scoped pairwise identifier: alphanumeric only (SAML V2.0 Subject Identifier Attributes §3.3). */
const scopedId = (c: AttributeContext) =>
  `${Buffer.from(c.pairwise, 'base64url').toString('hex') || Buffer.from(c.pairwise).toString('hex')}@${c.scope}`;

const OID = 'urn:oid:';
export const SAML_ATTRIBUTES: Readonly<Record<SamlAttributeKey, AttributeDef>> = {
  givenName: {
    uri: `${OID}2.5.4.42`,
    friendly: 'givenName',
    scope: 'profile',
    claims: ['given_name'],
    values: (c) => text(str(c.claims.given_name)),
  },
  sn: {
    uri: `${OID}2.5.4.4`,
    friendly: 'sn',
    scope: 'profile',
    claims: ['family_name'],
    values: (c) => text(str(c.claims.family_name)),
  },
  displayName: {
    uri: `${OID}2.16.840.1.113730.3.1.241`,
    friendly: 'displayName',
    scope: 'profile',
    claims: ['name'],
    values: (c) => text(str(c.claims.name)),
  },
  cn: {
    uri: `${OID}2.5.4.3`,
    friendly: 'cn',
    scope: 'profile',
    claims: ['name'],
    values: (c) => text(str(c.claims.name)),
  },
  mail: {
    uri: `${OID}0.9.2342.19200300.100.1.3`,
    friendly: 'mail',
    scope: 'email',
    claims: ['email'],
    values: (c) => text(str(c.claims.email)),
  },
  dateOfBirth: {
    uri: `${OID}1.3.6.1.4.1.25178.1.2.3`,
    friendly: 'schacDateOfBirth',
    scope: 'profile',
    claims: ['birthdate'],
    values: (c, p) => {
      const d = str(c.claims.birthdate);
      if (!d || !/^\d{4}-\d{2}-\d{2}$/.test(d)) return [];
      return text(p === 'saml2-uri' ? d.replace(/-/g, '') : d);
    },
  },
  gender: {
    uri: `${OID}1.3.6.1.4.1.25178.1.2.2`,
    friendly: 'schacGender',
    scope: 'profile',
    claims: ['gender'],
    values: (c, p) => {
      const g = str(c.claims.gender);
      if (!g) return [];
      return text(p === 'saml2-uri' ? (ISO_5218[g] ?? '0') : g);
    },
  },
  postalAddress: {
    uri: `${OID}2.5.4.16`,
    friendly: 'postalAddress',
    scope: 'address',
    claims: ['address'],
    values: (c) => {
      const a = c.claims.address;
      return text(a && typeof a === 'object' ? str((a as Record<string, unknown>).formatted) : undefined);
    },
  },
  eduPersonPrincipalName: {
    uri: `${OID}1.3.6.1.4.1.5923.1.1.1.6`,
    friendly: 'eduPersonPrincipalName',
    claims: [],
    values: (c) => text(scopedId(c)),
  },
  eduPersonTargetedID: {
    uri: `${OID}1.3.6.1.4.1.5923.1.1.1.10`,
    friendly: 'eduPersonTargetedID',
    claims: [],
    values: (c) => [{ nameId: c.pairwise }],
  },
  pairwiseId: {
    uri: 'urn:oasis:names:tc:SAML:attribute:pairwise-id',
    friendly: 'pairwise-id',
    claims: [],
    values: (c) => text(scopedId(c)),
  },
};

/** Hub scopes the attributes need (openid always). */
export function hubScopeFor(keys: readonly SamlAttributeKey[]): string {
  const scopes = new Set<string>(['openid']);
  for (const k of keys) {
    const s = SAML_ATTRIBUTES[k].scope;
    if (s) scopes.add(s);
  }
  return [...scopes].join(' ');
}

/** Hub claims the SP's internal client may receive (its allowed_claims). */
export function hubClaimsFor(keys: readonly SamlAttributeKey[]): string[] {
  return [...new Set(keys.flatMap((k) => SAML_ATTRIBUTES[k].claims))];
}

/** The Attribute elements (names per profile) of the attributes that have a value. */
export function samlAttributeStatementXml(
  keys: readonly SamlAttributeKey[],
  profile: SamlProfile,
  c: AttributeContext,
): string {
  const attrs = keys
    .map((k) => {
      const def = SAML_ATTRIBUTES[k];
      const vals = def.values(c, profile);
      if (vals.length === 0) return '';
      const naming =
        profile === 'saml2-uri'
          ? `Name="${def.uri}" NameFormat="${NAME_FORMAT.uri}" FriendlyName="${def.friendly}"`
          : `Name="${k === 'pairwiseId' ? 'pairwise-id' : k}" NameFormat="${NAME_FORMAT.basic}"`;
      const body = vals
        .map((v) =>
          'text' in v
            ? `<saml:AttributeValue xmlns:xs="${NS.xs}" xsi:type="xs:string">${escapeXml(v.text)}</saml:AttributeValue>`
            : `<saml:AttributeValue><saml:NameID Format="${NAMEID_FORMAT.persistent}" NameQualifier="${escapeXml(c.idpEntityId)}" SPNameQualifier="${escapeXml(c.spEntityId)}">${escapeXml(v.nameId)}</saml:NameID></saml:AttributeValue>`,
        )
        .join('');
      return `<saml:Attribute ${naming}>${body}</saml:Attribute>`;
    })
    .join('');
  return attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '';
}

/** Published in metadata (saml2-uri naming). */
export function samlAttributeMetadataXml(keys: readonly SamlAttributeKey[]): string {
  return keys
    .map((k) => {
      const d = SAML_ATTRIBUTES[k];
      return `<saml:Attribute Name="${d.uri}" NameFormat="${NAME_FORMAT.uri}" FriendlyName="${d.friendly}"/>`;
    })
    .join('');
}
