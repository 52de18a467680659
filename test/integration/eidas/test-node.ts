/**
 * A test eIDAS node (proxy service IdP) built without samlify: xml-crypto signs, xml-encryption encrypts,
 * node:crypto checks the Redirect-binding signature of our AuthnRequests. Used by the connector-side SP tests,
 * including forgeries (sign then tamper).
 */
import { createPublicKey, createVerify, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import * as xmlenc from 'xml-encryption';
import { rsaKeyPair, type TestKeyPair } from './support.js';

export const NP = 'http://eidas.europa.eu/attributes/naturalperson/';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';

export const newId = () => `_${randomBytes(16).toString('hex')}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const body = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');

/** Enveloped signature over the element at `elementXPath`, inserted after its Issuer (or first). */
export function sign(xml: string, elementXPath: string, key: TestKeyPair, afterIssuer = true): string {
  const sig = new SignedXml({
    privateKey: key.keyPem,
    publicCert: key.certPem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: elementXPath,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: afterIssuer
      ? { reference: `${elementXPath}/*[local-name()='Issuer']`, action: 'after' }
      : { reference: `${elementXPath}/*[1]`, action: 'before' },
  });
  return sig.getSignedXml();
}

export async function encrypt(assertionXml: string, certPem: string): Promise<string> {
  const rsaPub = createPublicKey(certPem).export({ type: 'spki', format: 'pem' }).toString();
  const data = await new Promise<string>((resolve, reject) =>
    xmlenc.encrypt(
      assertionXml,
      {
        rsa_pub: rsaPub,
        pem: certPem,
        encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
        keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
        disallowEncryptionWithInsecureAlgorithm: true,
        warnInsecureAlgorithm: false,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
  return `<saml:EncryptedAssertion xmlns:saml="${SAML}">${data}</saml:EncryptedAssertion>`;
}

export interface AssertionSpec {
  inResponseTo: string;
  acsUrl: string;
  audience: string;
  personIdentifier?: string;
  loaUri?: string;
  /** Epoch ms the node believes it is. */
  now?: number;
  lifetimeSeconds?: number;
  recipient?: string;
  issuer?: string;
  /** Attribute short name -> values (`{ v, latin: false }` for LatinScript="false"). */
  attributes?: Record<string, (string | { v: string; latin: false })[]>;
  id?: string;
}

const TYPES: Record<string, string> = {
  PersonIdentifier: 'PersonIdentifierType',
  CurrentFamilyName: 'CurrentFamilyNameType',
  CurrentGivenName: 'CurrentGivenNameType',
  DateOfBirth: 'DateOfBirthType',
  Gender: 'GenderType',
  CurrentAddress: 'CurrentAddressType',
  BirthName: 'BirthNameType',
};

export function assertionXml(s: AssertionSpec, nodeEntityId: string): string {
  const now = s.now ?? Date.now();
  const until = iso(now + (s.lifetimeSeconds ?? 300) * 1000);
  const pid = s.personIdentifier ?? 'DE/JP/0123456789abcdef';
  const attrs = {
    PersonIdentifier: [pid],
    CurrentFamilyName: ['Müller', { v: 'Μύλλερ', latin: false as const }],
    CurrentGivenName: ['Erika'],
    DateOfBirth: ['1964-08-12'],
    ...s.attributes,
  };
  const attrXml = Object.entries(attrs)
    .map(
      ([name, vals]) =>
        `<saml:Attribute FriendlyName="${name}" Name="${NP}${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">${vals
          .map((v) =>
            typeof v === 'string'
              ? `<saml:AttributeValue xsi:type="eidas-natural:${TYPES[name]}">${v}</saml:AttributeValue>`
              : `<saml:AttributeValue xsi:type="eidas-natural:${TYPES[name]}" LatinScript="false">${v.v}</saml:AttributeValue>`,
          )
          .join('')}</saml:Attribute>`,
    )
    .join('');
  return (
    `<saml:Assertion xmlns:saml="${SAML}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:eidas-natural="http://eidas.europa.eu/attributes/naturalperson" ID="${s.id ?? newId()}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer Format="${ENTITY}">${s.issuer ?? nodeEntityId}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${pid}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${s.inResponseTo}" NotOnOrAfter="${until}" Recipient="${s.recipient ?? s.acsUrl}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(now - 1000)}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${s.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(now - 5000)}"><saml:AuthnContext><saml:AuthnContextClassRef>${s.loaUri ?? 'http://eidas.europa.eu/LoA/substantial'}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attrXml}</saml:AttributeStatement>` +
    '</saml:Assertion>'
  );
}

export interface ResponseSpec {
  inResponseTo: string;
  acsUrl: string;
  /** The assertion (plain, signed or EncryptedAssertion), or none. */
  assertion?: string;
  status?: [string, string?];
  destination?: string;
  now?: number;
  id?: string;
}

export function responseXml(r: ResponseSpec, nodeEntityId: string): string {
  const [top, sub] = r.status ?? [SUCCESS];
  return (
    `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${r.id ?? newId()}" Version="2.0" IssueInstant="${iso(r.now ?? Date.now())}" Destination="${r.destination ?? r.acsUrl}" InResponseTo="${r.inResponseTo}">` +
    `<saml:Issuer Format="${ENTITY}">${nodeEntityId}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${top}">${sub ? `<samlp:StatusCode Value="${sub}"/>` : ''}</samlp:StatusCode></samlp:Status>` +
    (r.assertion ?? '') +
    '</samlp:Response>'
  );
}

export const ASSERTION_XPATH = "/*[local-name()='Assertion']";
export const RESPONSE_XPATH = "/*[local-name()='Response']";

export interface TestNode {
  entityId: string;
  ssoUrl: string;
  signing: TestKeyPair;
  metadataSigning: TestKeyPair;
  metadata(): string;
  /** Signed assertion, encrypted to `encryptToCertPem`, in a signed Response (the eIDAS shape). */
  respond(spec: AssertionSpec, encryptToCertPem: string, opts?: { signResponse?: boolean }): Promise<string>;
}

export async function makeTestNode(baseUrl: string): Promise<TestNode> {
  const signing = await rsaKeyPair('test eIDAS node signing');
  const metadataSigning = await rsaKeyPair('test eIDAS node metadata');
  const entityId = `${baseUrl}/metadata`;
  const ssoUrl = `${baseUrl}/sso`;
  return {
    entityId,
    ssoUrl,
    signing,
    metadataSigning,
    metadata() {
      const xml =
        `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="${newId()}" entityID="${entityId}" validUntil="${new Date(Date.now() + 86_400_000).toISOString()}">` +
        `<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="${SAMLP}">` +
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body(signing.certPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
        `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>` +
        `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ssoUrl}"/>` +
        '</md:IDPSSODescriptor></md:EntityDescriptor>';
      return sign(xml, "/*[local-name()='EntityDescriptor']", metadataSigning, false);
    },
    async respond(spec, encryptTo, opts = {}) {
      const signed = sign(assertionXml(spec, entityId), ASSERTION_XPATH, signing);
      const response = responseXml(
        { inResponseTo: spec.inResponseTo, acsUrl: spec.acsUrl, assertion: await encrypt(signed, encryptTo) },
        entityId,
      );
      return opts.signResponse === false ? response : sign(response, RESPONSE_XPATH, signing);
    },
  };
}

/** Check the Redirect-binding signature of an AuthnRequest URL with `certPem`; returns the request XML. */
export function readRedirectRequest(url: string, certPem: string): string {
  const query = new URL(url).search.slice(1);
  const params = new URLSearchParams(query);
  const octets = query
    .split('&')
    .filter((p) => /^(SAMLRequest|RelayState|SigAlg)=/.test(p))
    .join('&');
  if (params.get('SigAlg') !== 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')
    throw new Error('unexpected SigAlg');
  const ok = createVerify('RSA-SHA256')
    .update(octets)
    .verify(certPem, Buffer.from(params.get('Signature') ?? '', 'base64'));
  if (!ok) throw new Error('AuthnRequest signature invalid');
  return inflateRawSync(Buffer.from(params.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
}
