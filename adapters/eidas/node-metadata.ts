/**
 * The eIDAS node (proxy service) as our SP sees it: its IdP metadata (SAML metadata §2.4.3), from a file or
 * fetched from a URL, schema-validated, and signature-checked when a metadata signing certificate is
 * configured (eIDAS interoperability architecture: metadata is signed by the node's metadata signer).
 */
import { X509Certificate } from 'node:crypto';
import { GatewayError } from '../../src/core/errors.js';
import { BINDING, NS } from './constants.js';
import { validateSamlSchema } from './schema-validator.js';
import { withDoc } from './xml.js';
import { verifyElementSignature, XmlSignatureError } from './xml-signature.js';

export interface NodeMetadata {
  readonly entityId: string;
  /** PEM certificates the node signs responses/assertions with. */
  readonly signingCerts: readonly string[];
  readonly ssoRedirect: string | undefined;
  readonly ssoPost: string | undefined;
  /** Epoch ms; undefined when the metadata has no validUntil. */
  readonly validUntil: number | undefined;
}

const metadataError = (message: string, cause?: unknown) =>
  new GatewayError('ERR_EIDAS_NODE_METADATA', message, {
    oauth: 'temporarily_unavailable',
    status: 502,
    cause,
  });

const pem = (b64: string) =>
  `-----BEGIN CERTIFICATE-----\n${b64.replace(/\s+/g, '').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

/** Parse (and, with `signingCertPem`, verify) IdP metadata. Throws ERR_EIDAS_NODE_METADATA. */
export function parseNodeMetadata(
  xml: string,
  opts: { signingCertPem?: string; expectedEntityId?: string; now: number },
): NodeMetadata {
  try {
    validateSamlSchema(xml);
  } catch (e) {
    throw metadataError('node metadata is not schema-valid', e);
  }
  let source = xml;
  if (opts.signingCertPem) {
    try {
      source = verifyElementSignature(xml, [[NS.md, 'EntityDescriptor']], [opts.signingCertPem]).xml;
    } catch (e) {
      throw metadataError(
        `node metadata signature rejected (${e instanceof XmlSignatureError ? e.code : 'invalid'})`,
        e,
      );
    }
  }
  const m = withDoc(source, (d) => {
    if (d.root.name !== 'EntityDescriptor' || d.root.namespaceUri !== NS.md)
      throw metadataError('node metadata is not an EntityDescriptor');
    const idp = d.all('/md:EntityDescriptor/md:IDPSSODescriptor');
    if (idp.length !== 1) throw metadataError('node metadata needs exactly one IDPSSODescriptor');
    const certs = d
      .all('md:KeyDescriptor[not(@use) or @use="signing"]/ds:KeyInfo/ds:X509Data/ds:X509Certificate', idp[0])
      .map((c) => pem(d.text('.', c)));
    const sso = (binding: string) =>
      d.attr(d.one(`md:SingleSignOnService[@Binding="${binding}"]`, idp[0]), 'Location');
    const validUntil = d.attr(d.root, 'validUntil');
    return {
      entityId: d.attr(d.root, 'entityID') ?? '',
      signingCerts: certs,
      ssoRedirect: sso(BINDING.redirect),
      ssoPost: sso(BINDING.post),
      validUntil: validUntil ? Date.parse(validUntil) : undefined,
    };
  });
  if (opts.expectedEntityId && m.entityId !== opts.expectedEntityId)
    throw metadataError('node metadata entityID is not the configured one');
  if (m.validUntil !== undefined && !(m.validUntil > opts.now)) throw metadataError('node metadata expired');
  if (m.signingCerts.length === 0) throw metadataError('node metadata has no signing certificate');
  for (const c of m.signingCerts) {
    try {
      new X509Certificate(c);
    } catch (e) {
      throw metadataError('node metadata signing certificate cannot be parsed', e);
    }
  }
  return m;
}
