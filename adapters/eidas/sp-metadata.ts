/**
 * Signed SP metadata of our connector-side SP (SAML metadata §2.4.4): signed requests, wanted signed
 * assertions, signing and encryption keys, HTTP-POST ACS, SPType in md:Extensions (eIDAS v1.2+; placement
 * as in the proxy-service metadata, [U]).
 */
import { ALG, BINDING, NAMEID_FORMAT, NS } from './constants.js';
import { certBody } from './material.js';
import { newSamlId } from './response.js';
import { type PemKeyPair, signDocument } from './samlify.js';
import { escapeXml } from './xml.js';

export interface SpMetadataInput {
  readonly entityId: string;
  readonly acsUrl: string;
  readonly spType: 'public' | 'private';
  readonly signing: PemKeyPair;
  readonly encryptionCertPem: string;
  readonly signatureAlgorithm: string;
  /** Epoch ms. */
  readonly now: number;
  readonly validitySeconds: number;
}

const key = (use: 'signing' | 'encryption', certPem: string, methods = '') =>
  `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(certPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>${methods}</md:KeyDescriptor>`;

export function buildSpMetadata(m: SpMetadataInput): string {
  const xml =
    `<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}" xmlns:alg="${NS.alg}" xmlns:eidas="${NS.eidas}" ID="${newSamlId()}" entityID="${escapeXml(m.entityId)}" validUntil="${new Date(m.now + m.validitySeconds * 1000).toISOString()}">` +
    `<md:Extensions><eidas:SPType>${m.spType}</eidas:SPType><alg:DigestMethod Algorithm="${ALG.sha256}"/><alg:SigningMethod Algorithm="${m.signatureAlgorithm}" MinKeySize="2048"/></md:Extensions>` +
    `<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="${NS.samlp}">` +
    key('signing', m.signing.certPem) +
    key(
      'encryption',
      m.encryptionCertPem,
      `<md:EncryptionMethod Algorithm="${ALG.aes256gcm}"/><md:EncryptionMethod Algorithm="${ALG.aes128gcm}"/><md:EncryptionMethod Algorithm="${ALG.rsaOaepMgf1p}"/>`,
    ) +
    `<md:NameIDFormat>${NAMEID_FORMAT.persistent}</md:NameIDFormat>` +
    `<md:NameIDFormat>${NAMEID_FORMAT.transient}</md:NameIDFormat>` +
    `<md:NameIDFormat>${NAMEID_FORMAT.unspecified}</md:NameIDFormat>` +
    `<md:AssertionConsumerService Binding="${BINDING.post}" Location="${escapeXml(m.acsUrl)}" index="0" isDefault="true"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>';
  return signDocument(xml, m.signing, m.signatureAlgorithm);
}
