/**
 * The only module that imports samlify (2.13.x: past CVE-2025-47949 and GHSA-34r5-q4jw-r36m; its xml-crypto is
 * 6.3.x, past CVE-2025-29774/29775 and CVE-2024-32962). It installs the schema validator samlify requires and
 * wraps the few operations we use: verifying inbound AuthnRequests (both bindings), signing and encrypting
 * responses and signing metadata. The SP side decrypts with xml-encryption directly (xml-encryption.ts) and
 * verifies signatures with xml-crypto (xml-signature.ts).
 *
 * samlify leaves some checks to the caller (audience, InResponseTo, which element a signature covers); the
 * callers in request.ts and sp-response.ts do them.
 */

import type { IdentityProviderInstance, ServiceProviderInstance } from 'samlify';
import samlify from 'samlify';
import { ALG, BINDING } from './constants.js';
import { validateSamlSchema } from './schema-validator.js';

samlify.setSchemaValidator({
  validate: async (xml: string) => {
    validateSamlSchema(xml);
    return 'ok';
  },
});

export type SamlIdp = IdentityProviderInstance;
export type SamlSp = ServiceProviderInstance;

export interface PemKeyPair {
  readonly keyPem: string;
  readonly certPem: string;
}

export interface IdpSettings {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly signing: PemKeyPair;
  readonly signatureAlgorithm: string;
  readonly dataEncryptionAlgorithm: string;
  readonly keyEncryptionAlgorithm: string;
}

/** Our IdP entity (requests must be signed; assertions are encrypted to the connector). */
export function createIdp(s: IdpSettings): SamlIdp {
  return samlify.IdentityProvider({
    entityID: s.entityId,
    privateKey: s.signing.keyPem,
    signingCert: s.signing.certPem,
    wantAuthnRequestsSigned: true,
    isAssertionEncrypted: true,
    requestSignatureAlgorithm: s.signatureAlgorithm,
    dataEncryptionAlgorithm: s.dataEncryptionAlgorithm,
    keyEncryptionAlgorithm: s.keyEncryptionAlgorithm,
    singleSignOnService: [
      { Binding: BINDING.redirect, Location: s.ssoUrl },
      { Binding: BINDING.post, Location: s.ssoUrl },
    ],
  } as Parameters<typeof samlify.IdentityProvider>[0]);
}

/** A connector (SP) known from its metadata document. */
export function createSpFromMetadata(
  metadataXml: string,
  signatureAlgorithm: string = ALG.rsaSha256,
): SamlSp {
  return samlify.ServiceProvider({
    metadata: metadataXml,
    wantMessageSigned: true,
    requestSignatureAlgorithm: signatureAlgorithm,
  });
}

/** Facts read from SP metadata by samlify's metadata parser. */
export function spMetadataFacts(sp: SamlSp) {
  const meta = sp.entityMeta;
  const enc = meta.getX509Certificate('encryption');
  const sig = meta.getX509Certificate('signing');
  return {
    entityId: meta.getEntityID(),
    authnRequestsSigned: meta.isAuthnRequestSigned(),
    wantAssertionsSigned: meta.isWantAssertionsSigned(),
    hasEncryptionCert: Array.isArray(enc) ? enc.length > 0 : Boolean(enc),
    hasSigningCert: Array.isArray(sig) ? sig.length > 0 : Boolean(sig),
    acsPost: meta.getAssertionConsumerService('post') as string | string[] | undefined,
  };
}

export interface InboundRequest {
  readonly query?: Record<string, string>;
  readonly body?: Record<string, string>;
  /** Redirect binding: the signed octet string exactly as received (SAML bindings §3.4.4.1). */
  readonly octetString?: string;
}

/**
 * Schema-validate and signature-verify an AuthnRequest against the connector's metadata keys.
 * Returns the request XML. Throws samlify's error (codes like `ERR_MISSING_SIG_ALG`, `FAILED_TO_VERIFY_SIGNATURE`).
 */
export async function verifyAuthnRequest(
  idp: SamlIdp,
  sp: SamlSp,
  binding: 'redirect' | 'post',
  req: InboundRequest,
): Promise<string> {
  const result = await idp.parseLoginRequest(sp, binding, req);
  return result.samlContent;
}

/** Sign the assertion in `responseXml`, encrypt it to the SP's encryption certificate, then sign the Response. */
export async function signEncryptResponse(idp: SamlIdp, sp: SamlSp, responseXml: string): Promise<string> {
  const out = await idp.createLoginResponse(
    sp,
    { extract: { request: { id: '' } } } as unknown as Parameters<SamlIdp['createLoginResponse']>[1],
    'post',
    {},
    () => ({ id: '', context: responseXml }),
    true,
  );
  return Buffer.from(out.context, 'base64').toString('utf8');
}

/** One enveloped signature with `ds` prefix: over the element `referenceXPath`, or the document element. */
function envelopedSignature(
  xml: string,
  key: PemKeyPair,
  signatureAlgorithm: string,
  location: { reference: string; action: 'after' | 'before' },
  referenceXPath?: string,
): string {
  return samlify.SamlLib.constructSAMLSignature({
    rawSamlMessage: xml,
    ...(referenceXPath ? { referenceTagXPath: referenceXPath } : { isMessageSigned: true }),
    privateKey: key.keyPem,
    signingCert: key.certPem.replace(/-----[^-]+-----|\s/g, ''),
    signatureAlgorithm,
    isBase64Output: false,
    signatureConfig: { prefix: 'ds', location },
  });
}

/**
 * Enveloped signature over the document element (metadata, error responses), inserted after the child
 * matched by `afterXPath` or as the first child when `afterXPath` is omitted.
 */
export function signDocument(
  xml: string,
  key: PemKeyPair,
  signatureAlgorithm: string,
  afterXPath?: string,
): string {
  return envelopedSignature(
    xml,
    key,
    signatureAlgorithm,
    afterXPath ? { reference: afterXPath, action: 'after' } : { reference: '/*/*[1]', action: 'before' },
  );
}

const RESPONSE_ASSERTION = "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";

/** Enveloped signature over the Response's (single, plaintext) Assertion, placed after its Issuer. */
export function signAssertionInResponse(
  responseXml: string,
  key: PemKeyPair,
  signatureAlgorithm: string,
): string {
  return envelopedSignature(
    responseXml,
    key,
    signatureAlgorithm,
    { reference: `${RESPONSE_ASSERTION}/*[local-name(.)='Issuer']`, action: 'after' },
    RESPONSE_ASSERTION,
  );
}

/** Replace the Response's single Assertion by an EncryptedAssertion to the SP's metadata encryption key. */
export async function encryptAssertionTo(idp: SamlIdp, sp: SamlSp, responseXml: string): Promise<string> {
  const b64 = await samlify.SamlLib.encryptAssertion(idp, sp, responseXml);
  return Buffer.from(b64, 'base64').toString('utf8');
}

/** Redirect-binding signature over an octet string (SAML bindings §3.4.4.1); base64. */
export function signOctetString(octetString: string, keyPem: string, signatureAlgorithm: string): string {
  return String(
    samlify.SamlLib.constructMessageSignature(octetString, keyPem, undefined, true, signatureAlgorithm),
  );
}

/** Raw samlify: a response with samlify's own template (benchmark baseline with the same keys). */
export async function rawSamlifyResponse(idp: SamlIdp, sp: SamlSp, inResponseTo: string): Promise<string> {
  const out = await idp.createLoginResponse(
    sp,
    { extract: { request: { id: inResponseTo } } } as unknown as Parameters<
      SamlIdp['createLoginResponse']
    >[1],
    'post',
    { email: 'bench@example.invalid' },
    undefined,
    true,
  );
  return out.context;
}

export const samlifyUtility = {
  base64Encode: (s: string) => Buffer.from(s, 'utf8').toString('base64'),
  inflateRedirect: (v: string) => String(samlify.Utility.inflateString(v)),
  deflateRedirect: (xml: string) => String(samlify.Utility.base64Encode(samlify.Utility.deflateString(xml))),
};
