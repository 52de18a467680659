/**
 * eIDAS SAML vocabulary: namespaces, natural-person attribute names, SAML status codes, algorithms.
 * Sources: eIDAS SAML Attribute Profile v1.2 and Message Format as encoded by public implementations
 * (see docs/schemes/eidas.md for the reference notes and their confirmation status).
 */
export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xs: 'http://www.w3.org/2001/XMLSchema',
  mdattr: 'urn:oasis:names:tc:SAML:metadata:attribute',
  alg: 'urn:oasis:names:tc:SAML:metadata:algsupport',
  eidas: 'http://eidas.europa.eu/saml-extensions',
  eidasNatural: 'http://eidas.europa.eu/attributes/naturalperson',
} as const;

/** XPath prefix map for libxml2 queries. */
export const XPATH_NS: Readonly<Record<string, string>> = {
  samlp: NS.samlp,
  saml: NS.saml,
  md: NS.md,
  ds: NS.ds,
  xenc: NS.xenc,
  eidas: NS.eidas,
  xsi: NS.xsi,
};

export const ATTRNAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
export const NAMEID_FORMAT = {
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  entity: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity',
} as const;
export const SUPPORTED_NAMEID_FORMATS: readonly string[] = Object.values(NAMEID_FORMAT).filter(
  (f) => f !== NAMEID_FORMAT.entity,
);

export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

const NP = 'http://eidas.europa.eu/attributes/naturalperson/';

/** The natural-person attributes we serve, keyed by our short name. */
export const NATURAL_PERSON = {
  PersonIdentifier: {
    name: `${NP}PersonIdentifier`,
    friendly: 'PersonIdentifier',
    type: 'PersonIdentifierType',
  },
  CurrentFamilyName: {
    name: `${NP}CurrentFamilyName`,
    friendly: 'FamilyName',
    type: 'CurrentFamilyNameType',
  },
  CurrentGivenName: { name: `${NP}CurrentGivenName`, friendly: 'FirstName', type: 'CurrentGivenNameType' },
  DateOfBirth: { name: `${NP}DateOfBirth`, friendly: 'DateOfBirth', type: 'DateOfBirthType' },
  BirthName: { name: `${NP}BirthName`, friendly: 'BirthName', type: 'BirthNameType' },
  PlaceOfBirth: { name: `${NP}PlaceOfBirth`, friendly: 'PlaceOfBirth', type: 'PlaceOfBirthType' },
  CurrentAddress: { name: `${NP}CurrentAddress`, friendly: 'CurrentAddress', type: 'CurrentAddressType' },
  Gender: { name: `${NP}Gender`, friendly: 'Gender', type: 'GenderType' },
} as const;
export type NaturalPersonAttribute = keyof typeof NATURAL_PERSON;

export const ATTRIBUTE_BY_URI: ReadonlyMap<string, NaturalPersonAttribute> = new Map(
  (Object.entries(NATURAL_PERSON) as [NaturalPersonAttribute, { name: string }][]).map(([k, v]) => [
    v.name,
    k,
  ]),
);

/** The eIDAS minimum data set for natural persons. */
export const MINIMUM_DATA_SET: readonly NaturalPersonAttribute[] = [
  'PersonIdentifier',
  'CurrentFamilyName',
  'CurrentGivenName',
  'DateOfBirth',
];

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
  noAuthnContext: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  requestUnsupported: 'urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported',
} as const;

export const ALG = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  rsaPssSha256: 'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  aes256gcm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  aes128gcm: 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  rsaOaepMgf1p: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
} as const;
