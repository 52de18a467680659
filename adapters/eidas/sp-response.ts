/**
 * Connector-side validation of a SAML Response from an eIDAS node, done in our code step by step
 * (SAML core §3.2.2, profiles §4.1.4.3, eIDAS message format; samlify's audit lists audience and
 * InResponseTo as the caller's job, and signature wrapping is the classic SP failure):
 *  1. size, DOCTYPE, schema validation of the Response (on the libxml2 tree that step 2 then reads);
 *  2. structure on the raw document: no comments, exactly one Assertion or EncryptedAssertion and only as a
 *     child of the Response, no nested Response, signatures only on the Response and the Assertion, unique IDs;
 *  3. the Response signature when present (then everything is read from the signed canonical form);
 *  4. Issuer, Destination, IssueInstant, InResponseTo present, status codes (top-level and nested);
 *  5. decryption of the EncryptedAssertion, schema validation and structure of the plaintext assertion;
 *  6. the Assertion signature (required unless the Response is signed) by the node's metadata key, with
 *     the reference pointing at the assertion's own ID; values are read from what was signed only;
 *  7. Issuer, Conditions NotBefore/NotOnOrAfter (with skew), AudienceRestriction = our entity ID, bearer
 *     SubjectConfirmationData Recipient = our ACS URL, NotOnOrAfter, InResponseTo, one AuthnStatement.
 * Replay and InResponseTo-against-pending are in sp-consume.ts (they need the store).
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { OauthErrorCode } from '../../src/core/errors.js';
import { GatewayError } from '../../src/core/errors.js';
import { NS, STATUS } from './constants.js';
import type { NodeMetadata } from './node-metadata.js';
import { validateSamlSchemaDocument } from './schema-validator.js';
import { type DocView, withDoc } from './xml.js';
import { decryptEncryptedAssertion, encryptedAssertionOf } from './xml-encryption.js';
import { hasSignatureChild, verifyElementSignature, XmlSignatureError } from './xml-signature.js';

export const MAX_RESPONSE_BYTES = 512 * 1024;
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export function samlError(code: string, message: string, oauth: OauthErrorCode = 'access_denied') {
  return new GatewayError(code, message, { oauth, status: 400 });
}

export interface ResponseExpectations {
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly node: NodeMetadata;
  readonly decryptionKeyPem: string;
  readonly wantEncrypted: boolean;
  /** Epoch ms. */
  readonly now: number;
  readonly clockSkewSeconds: number;
  /** How old a Response IssueInstant may be. */
  readonly maxAgeSeconds: number;
}

export interface AttributeValueRead {
  readonly value: string;
  /** false when the value carried LatinScript="false" (the native-script variant). */
  readonly latinScript: boolean;
}

export interface VerifiedAssertion {
  readonly responseId: string;
  readonly assertionId: string;
  readonly inResponseTo: string;
  readonly nameId: string;
  readonly loaUri: string;
  /** Epoch ms. */
  readonly authnInstant: number;
  /** Epoch ms: the latest instant the assertion may still be presented. */
  readonly notOnOrAfter: number;
  /** Attribute Name URI -> values. */
  readonly attributes: Readonly<Record<string, readonly AttributeValueRead[]>>;
  /** SHA-256 (base64url) of the node certificate that verified. */
  readonly signerThumbprint: string;
}

const STATUS_OAUTH: Readonly<Record<string, OauthErrorCode>> = {
  [STATUS.noAuthnContext]: 'unmet_authentication_requirements',
  'urn:oasis:names:tc:SAML:2.0:status:NoPassive': 'login_required',
};

const count = (d: DocView, xpath: string): number => d.count(xpath);

/** Structural checks shared by the Response and a decrypted Assertion (`top` = the allowed assertion path). */
function checkStructure(d: DocView, top: string, sigPaths: readonly string[]) {
  if (count(d, '//comment()') !== 0) throw samlError('ERR_SAML_COMMENT', 'XML comments are not accepted');
  const allowedSigs = sigPaths.reduce((n, p) => n + count(d, p), 0);
  if (
    count(d, '//saml:Assertion') !== count(d, top) ||
    count(d, '//saml:EncryptedAssertion') !== count(d, '/samlp:Response/saml:EncryptedAssertion') ||
    count(d, '//samlp:Response') > 1 ||
    count(d, '//ds:Signature') !== allowedSigs
  )
    throw samlError('ERR_SAML_WRAPPING', 'assertion or signature outside its allowed position');
  const ids = d
    .all('//*[@ID or @Id or @id]')
    .map((e) => d.attr(e, 'ID') ?? d.attr(e, 'Id') ?? d.attr(e, 'id'));
  if (new Set(ids).size !== ids.length) throw samlError('ERR_SAML_DUPLICATE_ID', 'duplicate XML IDs');
}

/**
 * Parse `xml` once with libxml2, validate that tree against the SAML/eIDAS schemas, then run `fn` on the same
 * tree. A DOCTYPE, a parse error or a schema error is ERR_SAML_SCHEMA; errors thrown by `fn` pass through.
 */
function withValidDoc<T>(xml: string, fn: (d: DocView) => T): T {
  let valid = false;
  try {
    return withDoc(xml, fn, (doc) => {
      validateSamlSchemaDocument(doc);
      valid = true;
    });
  } catch (e) {
    if (valid) throw e;
    throw new GatewayError('ERR_SAML_SCHEMA', 'the SAML message is not schema-valid', {
      oauth: 'access_denied',
      cause: e,
    });
  }
}

function verify(xml: string, path: [string, string][], certs: readonly string[]) {
  try {
    return verifyElementSignature(xml, path, certs);
  } catch (e) {
    if (e instanceof XmlSignatureError) throw samlError(e.code, e.message);
    throw e;
  }
}

/** SHA-256 (base64url) of a configured node certificate, computed once per certificate. */
const thumbprints = new Map<string, string>();
function thumbprint(certPem: string): string {
  let t = thumbprints.get(certPem);
  if (t === undefined) {
    t = createHash('sha256').update(new X509Certificate(certPem).raw).digest('base64url');
    if (thumbprints.size >= 256) thumbprints.clear();
    thumbprints.set(certPem, t);
  }
  return t;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown };
function attempt<T>(f: () => T): Attempt<T> {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

const time = (v: string | undefined) => (v === undefined ? undefined : Date.parse(v));

/** Steps 1–7 above. Throws GatewayError with an `ERR_SAML_*` code. */
export async function verifySamlResponse(xml: string, x: ResponseExpectations): Promise<VerifiedAssertion> {
  if (Buffer.byteLength(xml) > MAX_RESPONSE_BYTES) throw samlError('ERR_SAML_SIZE', 'response too large');
  if (/<!DOCTYPE/i.test(xml)) throw samlError('ERR_SAML_SCHEMA', 'DOCTYPE not allowed');
  const raw = withValidDoc(xml, (d) => {
    if (d.root.name !== 'Response' || d.root.namespaceUri !== NS.samlp)
      throw samlError('ERR_SAML_NOT_RESPONSE', 'not a SAML Response');
    checkStructure(d, '/samlp:Response/saml:Assertion', [
      '/samlp:Response/ds:Signature',
      '/samlp:Response/saml:Assertion/ds:Signature',
    ]);
    return {
      assertions: count(d, '/samlp:Response/saml:Assertion'),
      encrypted: count(d, '/samlp:Response/saml:EncryptedAssertion'),
      // Read here rather than by parsing the document once more (hasSignatureChild): the root is the Response.
      signed: count(d, '/samlp:Response/ds:Signature') > 0,
    };
  });

  const skew = x.clockSkewSeconds * 1000;
  const certs = x.node.signingCerts;
  const responseSigned = raw.signed;
  // From here on the Response is read from its signed canonical form when it is signed.
  const responseSig = responseSigned ? verify(xml, [[NS.samlp, 'Response']], certs) : undefined;
  const response = responseSig?.xml ?? xml;
  const top = withDoc(response, (d) => {
    const r = d.root;
    const status = [
      d.attr(d.one('/samlp:Response/samlp:Status/samlp:StatusCode'), 'Value'),
      d.attr(d.one('/samlp:Response/samlp:Status/samlp:StatusCode/samlp:StatusCode'), 'Value'),
    ];
    return {
      id: d.attr(r, 'ID') ?? '',
      inResponseTo: d.attr(r, 'InResponseTo'),
      destination: d.attr(r, 'Destination'),
      issueInstant: time(d.attr(r, 'IssueInstant')),
      issuer: d.one('/samlp:Response/saml:Issuer') ? d.text('/samlp:Response/saml:Issuer').trim() : undefined,
      status,
      // The EncryptedAssertion as signed (this is the signed canonical Response when it is signed), taken
      // from this parse instead of parsing the Response once more for decryption. A failure is reported as
      // ERR_SAML_DECRYPT below, after the checks that come first.
      encryptedAssertion: raw.encrypted === 1 ? attempt(() => encryptedAssertionOf(d)) : undefined,
    };
  });
  if (top.issuer !== undefined && top.issuer !== x.node.entityId)
    throw samlError('ERR_SAML_ISSUER', 'response issuer is not the configured node');
  if (top.destination !== x.acsUrl) throw samlError('ERR_SAML_DESTINATION', 'Destination is not our ACS');
  if (!top.inResponseTo) throw samlError('ERR_SAML_IN_RESPONSE_TO', 'unsolicited responses are not accepted');
  const [topStatus, subStatus] = top.status;
  if (topStatus !== STATUS.success) {
    const short = [topStatus, subStatus].map((s) => s?.split(':').pop()).filter(Boolean);
    throw samlError(
      'ERR_SAML_STATUS',
      `the eIDAS node refused: ${short.join('/')}`,
      (subStatus && STATUS_OAUTH[subStatus]) || 'access_denied',
    );
  }
  if (
    top.issueInstant === undefined ||
    Number.isNaN(top.issueInstant) ||
    top.issueInstant > x.now + skew ||
    top.issueInstant < x.now - x.maxAgeSeconds * 1000 - skew
  )
    throw samlError('ERR_SAML_ISSUE_INSTANT', 'response IssueInstant out of range');
  if (raw.assertions + raw.encrypted !== 1)
    throw samlError('ERR_SAML_ASSERTION_COUNT', 'not exactly one assertion');
  if (x.wantEncrypted && raw.encrypted !== 1)
    throw samlError('ERR_SAML_NOT_ENCRYPTED', 'the assertion is not encrypted');

  // The assertion: decrypted from the (signed) Response, or read in place.
  let assertionDoc: string;
  let assertionPath: [string, string][];
  let assertionSigned: boolean;
  if (raw.encrypted === 1) {
    try {
      const encrypted = top.encryptedAssertion;
      if (!encrypted?.ok) throw encrypted?.error ?? new Error('no EncryptedAssertion');
      assertionDoc = await decryptEncryptedAssertion(encrypted.value, x.decryptionKeyPem);
    } catch (e) {
      throw new GatewayError('ERR_SAML_DECRYPT', 'the assertion cannot be decrypted', { cause: e });
    }
    assertionSigned = withValidDoc(assertionDoc, (d) => {
      if (d.root.name !== 'Assertion' || d.root.namespaceUri !== NS.saml)
        throw samlError('ERR_SAML_WRAPPING', 'the encrypted content is not an Assertion');
      checkStructure(d, '/saml:Assertion', ['/saml:Assertion/ds:Signature']);
      return count(d, '/saml:Assertion/ds:Signature') > 0;
    });
    assertionPath = [[NS.saml, 'Assertion']];
  } else {
    assertionDoc = responseSigned ? response : xml;
    assertionPath = [
      [NS.samlp, 'Response'],
      [NS.saml, 'Assertion'],
    ];
    assertionSigned = hasSignatureChild(assertionDoc, assertionPath);
  }
  if (!assertionSigned && !responseSigned)
    throw samlError('ERR_SAML_UNSIGNED', 'neither the assertion nor the response is signed');
  const assertionSig = assertionSigned ? verify(assertionDoc, assertionPath, certs) : undefined;
  const signed = assertionSig?.xml ?? assertionDoc;
  const xpath = assertionSigned || raw.encrypted === 1 ? '/saml:Assertion' : '/samlp:Response/saml:Assertion';
  const signerCert = assertionSig?.certPem ?? responseSig?.certPem ?? '';
  const signerThumbprint = thumbprint(signerCert);

  return withDoc(signed, (d) => {
    const a = d.one(xpath);
    if (!a) throw samlError('ERR_SAML_SIGNED_CONTENT', 'the signed content is not the assertion');
    if (d.text('saml:Issuer', a).trim() !== x.node.entityId)
      throw samlError('ERR_SAML_ISSUER', 'assertion issuer is not the configured node');
    const cond = d.one('saml:Conditions', a);
    const notBefore = time(d.attr(cond, 'NotBefore'));
    const notOnOrAfter = time(d.attr(cond, 'NotOnOrAfter'));
    if (notBefore !== undefined && !(notBefore <= x.now + skew))
      throw samlError('ERR_SAML_NOT_YET_VALID', 'assertion not yet valid');
    if (notOnOrAfter === undefined || !(notOnOrAfter > x.now - skew))
      throw samlError('ERR_SAML_CONDITIONS_EXPIRED', 'assertion expired');
    const restrictions = cond ? d.all('saml:AudienceRestriction', cond) : [];
    if (
      restrictions.length === 0 ||
      restrictions.some(
        (r) => !d.all('saml:Audience', r).some((au) => d.text('.', au).trim() === x.spEntityId),
      )
    )
      throw samlError('ERR_SAML_AUDIENCE', 'the assertion is not addressed to us');
    const bearers = d.all(`saml:Subject/saml:SubjectConfirmation[@Method="${BEARER}"]`, a);
    const scd = bearers.length === 1 ? d.one('saml:SubjectConfirmationData', bearers[0]) : undefined;
    if (!scd) throw samlError('ERR_SAML_SUBJECT_CONFIRMATION', 'exactly one bearer confirmation needed');
    if (d.attr(scd, 'Recipient') !== x.acsUrl)
      throw samlError('ERR_SAML_RECIPIENT', 'Recipient is not our ACS');
    const scdNotOnOrAfter = time(d.attr(scd, 'NotOnOrAfter'));
    if (scdNotOnOrAfter === undefined || !(scdNotOnOrAfter > x.now - skew))
      throw samlError('ERR_SAML_CONFIRMATION_EXPIRED', 'subject confirmation expired');
    if (d.attr(scd, 'InResponseTo') !== top.inResponseTo)
      throw samlError('ERR_SAML_CONFIRMATION_IN_RESPONSE_TO', 'subject confirmation answers another request');
    const statements = d.all('saml:AuthnStatement', a);
    const authnInstant = time(d.attr(statements[0], 'AuthnInstant'));
    if (statements.length !== 1 || authnInstant === undefined || Number.isNaN(authnInstant))
      throw samlError('ERR_SAML_AUTHN_STATEMENT', 'exactly one AuthnStatement needed');
    const attributes: Record<string, AttributeValueRead[]> = {};
    for (const at of d.all('saml:AttributeStatement/saml:Attribute', a)) {
      const name = d.attr(at, 'Name') ?? '';
      attributes[name] = [
        ...(attributes[name] ?? []),
        ...d.all('saml:AttributeValue', at).map((v) => ({
          value: d.text('.', v).trim(),
          latinScript: !['false', '0'].includes(d.attr(v, 'LatinScript') ?? 'true'),
        })),
      ];
    }
    return {
      responseId: top.id,
      assertionId: d.attr(a, 'ID') ?? '',
      inResponseTo: top.inResponseTo ?? '',
      nameId: d.text('saml:Subject/saml:NameID', a).trim(),
      loaUri: d.text('saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef', a).trim(),
      authnInstant,
      notOnOrAfter: Math.min(notOnOrAfter, scdNotOnOrAfter),
      attributes,
      signerThumbprint,
    };
  });
}
