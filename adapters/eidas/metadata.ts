/**
 * Signed IdP metadata for the proxy service (SAML metadata §2.4.3; eIDAS metadata as profiled in schemes.md
 * §2.7: signed, validUntil, LoA entity attribute `http://eidas.europa.eu/LoA`, algsupport, signing and
 * encryption keys). The placement of `eidas:NodeCountry` in md:Extensions is [U].
 */
import {
  ALG,
  ATTRNAME_FORMAT_URI,
  BINDING,
  NATURAL_PERSON,
  NS,
  SUPPORTED_NAMEID_FORMATS,
} from './constants.js';
import { eidasLoaUris } from './eidas-loa.js';
import { certBody } from './material.js';
import { newSamlId } from './response.js';
import { type PemKeyPair, signDocument } from './samlify.js';
import { escapeXml } from './xml.js';

export interface IdpMetadataInput {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly country: string;
  readonly signing: PemKeyPair;
  readonly encryptionCertPem: string;
  readonly signatureAlgorithm: string;
  readonly dataEncryptionAlgorithm: string;
  readonly keyEncryptionAlgorithm: string;
  /** Whether any connector gets notified LoA URIs (then both sets are advertised). */
  readonly notifiedLoa: boolean;
  /** Epoch ms. */
  readonly now: number;
  readonly validitySeconds: number;
}

const keyDescriptor = (use: 'signing' | 'encryption', certPem: string, methods = '') =>
  `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(certPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>${methods}</md:KeyDescriptor>`;

export function buildIdpMetadata(m: IdpMetadataInput): string {
  const loas = [...eidasLoaUris(false), ...(m.notifiedLoa ? eidasLoaUris(true) : [])];
  const validUntil = new Date(m.now + m.validitySeconds * 1000).toISOString();
  const xml =
    `<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}" xmlns:saml="${NS.saml}" xmlns:mdattr="${NS.mdattr}" xmlns:alg="${NS.alg}" xmlns:eidas="${NS.eidas}" ID="${newSamlId()}" entityID="${escapeXml(m.entityId)}" validUntil="${validUntil}">` +
    '<md:Extensions>' +
    `<mdattr:EntityAttributes><saml:Attribute Name="http://eidas.europa.eu/LoA" NameFormat="${ATTRNAME_FORMAT_URI}">${loas
      .map((u) => `<saml:AttributeValue>${u}</saml:AttributeValue>`)
      .join('')}</saml:Attribute></mdattr:EntityAttributes>` +
    `<alg:DigestMethod Algorithm="${ALG.sha256}"/>` +
    `<alg:SigningMethod Algorithm="${m.signatureAlgorithm}" MinKeySize="2048"/>` +
    `<eidas:NodeCountry>${m.country}</eidas:NodeCountry>` +
    '</md:Extensions>' +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="${NS.samlp}">` +
    keyDescriptor('signing', m.signing.certPem) +
    keyDescriptor(
      'encryption',
      m.encryptionCertPem,
      `<md:EncryptionMethod Algorithm="${m.dataEncryptionAlgorithm}"/><md:EncryptionMethod Algorithm="${m.keyEncryptionAlgorithm}"/>`,
    ) +
    SUPPORTED_NAMEID_FORMATS.map((f) => `<md:NameIDFormat>${f}</md:NameIDFormat>`).join('') +
    `<md:SingleSignOnService Binding="${BINDING.redirect}" Location="${escapeXml(m.ssoUrl)}"/>` +
    `<md:SingleSignOnService Binding="${BINDING.post}" Location="${escapeXml(m.ssoUrl)}"/>` +
    Object.values(NATURAL_PERSON)
      .map(
        (a) =>
          `<saml:Attribute FriendlyName="${a.friendly}" Name="${a.name}" NameFormat="${ATTRNAME_FORMAT_URI}"/>`,
      )
      .join('') +
    '</md:IDPSSODescriptor>' +
    '</md:EntityDescriptor>';
  return signDocument(xml, m.signing, m.signatureAlgorithm);
}
