/**
 * Signed IdP metadata of the plain SAML target (SAML metadata §2.4.3): signing and encryption-capable key,
 * SingleLogoutService and SingleSignOnService (Redirect and POST), NameID formats, the attributes we can
 * release (saml2-uri names), algsupport, validUntil.
 */
import { ALG, BINDING, NAMEID_FORMAT, NS } from './constants.js';
import { certBody } from './material.js';
import { newSamlId } from './response.js';
import { type SamlAttributeKey, samlAttributeMetadataXml } from './saml-attributes.js';
import { type PemKeyPair, signDocument } from './samlify.js';
import { escapeXml } from './xml.js';

export interface SamlIdpMetadataInput {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly sloUrl: string;
  readonly signing: PemKeyPair;
  readonly signatureAlgorithm: string;
  /** True only when every SP must sign its AuthnRequests. */
  readonly wantAuthnRequestsSigned: boolean;
  readonly attributes: readonly SamlAttributeKey[];
  readonly now: number;
  readonly validitySeconds: number;
}

export function buildSamlIdpMetadata(m: SamlIdpMetadataInput): string {
  const bindings = [BINDING.redirect, BINDING.post];
  const xml =
    `<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}" xmlns:saml="${NS.saml}" xmlns:alg="${NS.alg}" ID="${newSamlId()}" entityID="${escapeXml(m.entityId)}" validUntil="${new Date(m.now + m.validitySeconds * 1000).toISOString()}">` +
    `<md:Extensions><alg:DigestMethod Algorithm="${ALG.sha256}"/><alg:SigningMethod Algorithm="${m.signatureAlgorithm}" MinKeySize="2048"/></md:Extensions>` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="${m.wantAuthnRequestsSigned}" protocolSupportEnumeration="${NS.samlp}">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(m.signing.certPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    bindings
      .map((b) => `<md:SingleLogoutService Binding="${b}" Location="${escapeXml(m.sloUrl)}"/>`)
      .join('') +
    [NAMEID_FORMAT.persistent, NAMEID_FORMAT.transient]
      .map((f) => `<md:NameIDFormat>${f}</md:NameIDFormat>`)
      .join('') +
    bindings
      .map((b) => `<md:SingleSignOnService Binding="${b}" Location="${escapeXml(m.ssoUrl)}"/>`)
      .join('') +
    samlAttributeMetadataXml(m.attributes) +
    '</md:IDPSSODescriptor></md:EntityDescriptor>';
  return signDocument(xml, m.signing, m.signatureAlgorithm);
}
