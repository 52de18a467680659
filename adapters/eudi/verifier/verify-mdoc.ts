/**
 * Verify an mdoc (`mso_mdoc`) presentation as an OpenID4VP 1.0 verifier: the `vp_token` value is the
 * base64url CBOR DeviceResponse (ISO/IEC 18013-5 §8.3.2.1.2.2). @animo-id/mdoc's Verifier does the CBOR,
 * the COSE structures, the value digests, the MSO validity and the DeviceAuthentication bytes (decision 0005);
 * we inject the primitives: COSE_Sign1 verification with node:crypto over `getRawVerificationData()`, SHA-2
 * digests, and the issuer chain through the same trust list (and @peculiar/x509 chain building) as the
 * SD-JWT VC path — a chain without an anchor of a trust list entry that lists the docType is refused.
 *
 * The device signature is checked over the OpenID4VP 1.0 SessionTranscript (Appendix B.2.6.1):
 * `[null, null, ["OpenID4VPHandover", SHA-256(CBOR([client_id, nonce, jwkThumbprint / null, response_uri]))]]`,
 * so it binds the request nonce, our client_id and the response_uri (and the response encryption key).
 * Every failure is a GatewayError with an ERR_EUDI_* code (errors.ts); see `codeForCheck` for the mapping.
 */
import {
  createHash,
  createPublicKey,
  type JsonWebKey,
  X509Certificate as NodeX509,
  verify as nodeVerify,
} from 'node:crypto';
import {
  COSEKey,
  cborEncode,
  DataItem,
  DeviceSignedDocument,
  type MDoc,
  type MdocContext,
  parseDeviceResponse,
  type VerificationAssessment,
  Verifier,
} from '@animo-id/mdoc';
import { exportJWK, type JWK } from 'jose';
import { GatewayError } from '../../../src/core/errors.js';
import { type EudiErrorCode, eudiError } from '../errors.js';
import type { ResolvedIssuer, TrustList } from './trust-list.js';
import { ACCEPTED_ALGS } from './verify-presentation.js';

/** Hash and curve each COSE algorithm requires (an ES256 signature by a P-384 key is refused). */
const ALGS: Readonly<Record<string, { hash: string | null; crv: string }>> = {
  ES256: { hash: 'sha256', crv: 'P-256' },
  ES384: { hash: 'sha384', crv: 'P-384' },
  ES512: { hash: 'sha512', crv: 'P-521' },
  EdDSA: { hash: null, crv: 'Ed25519' },
};
const MAX_DEVICE_RESPONSE = 48 * 1024;

export interface SessionTranscriptInput {
  /** Our full client_id with its prefix (`x509_hash:…`). */
  readonly clientId: string;
  readonly nonce: string;
  /** RFC 7638 SHA-256 thumbprint of the response encryption key (direct_post.jwt), else undefined (null). */
  readonly jwkThumbprint?: Uint8Array;
  readonly responseUri: string;
}

/** SessionTranscriptBytes (tag 24 over the CBOR SessionTranscript) for OpenID4VP 1.0 over redirects. */
export function openid4vpSessionTranscriptBytes(t: SessionTranscriptInput): Uint8Array {
  const info = cborEncode([t.clientId, t.nonce, t.jwkThumbprint ?? null, t.responseUri]);
  const handover = ['OpenID4VPHandover', new Uint8Array(createHash('sha256').update(info).digest())];
  return cborEncode(DataItem.fromData([null, null, handover]));
}

export interface VerifyMdocInput {
  /** base64url DeviceResponse from `vp_token[<query id>][0]`. */
  readonly presentation: string;
  readonly trustList: TrustList;
  /** The docType the credential query of this answer asked for. */
  readonly docType: string;
  readonly namespace: string;
  /** Element identifiers the query asked for; others the wallet sends are not used. */
  readonly elements: readonly string[];
  readonly transcript: SessionTranscriptInput;
  readonly nowSeconds: number;
}

export interface VerifiedMdoc {
  readonly issuer: ResolvedIssuer;
  readonly docType: string;
  /** The requested elements the wallet disclosed, digest-checked, as decoded CBOR values. */
  readonly elements: Record<string, unknown>;
  /** The MSO's device key, which signed the transcript. */
  readonly deviceJwk: JWK;
}

/** The code for a failed check of @animo-id/mdoc's Verifier (by category, then by check text). */
function codeForCheck(a: VerificationAssessment, expired: boolean): EudiErrorCode {
  switch (a.category) {
    case 'DOCUMENT_FORMAT':
      return 'ERR_EUDI_MALFORMED';
    case 'ISSUER_AUTH':
      if (a.check.startsWith('Issuer signature')) return 'ERR_EUDI_ISSUER_SIGNATURE';
      if (a.check.startsWith('The MSO must be valid'))
        return expired ? 'ERR_EUDI_EXPIRED' : 'ERR_EUDI_NOT_YET_VALID';
      // Chain, MSO signed outside the certificate's validity, no country in the certificate, no x5chain.
      return 'ERR_EUDI_UNTRUSTED_ISSUER';
    case 'DEVICE_AUTH':
      // A wrong transcript (nonce, client_id, response_uri) and another key both fail the signature.
      return a.check.startsWith('Device signature')
        ? 'ERR_EUDI_DEVICE_SIGNATURE'
        : 'ERR_EUDI_DEVICE_AUTH_INVALID';
    case 'DATA_INTEGRITY':
      // An element whose digest is not the one the issuer signed (changed value, or not issued).
      return 'ERR_EUDI_VALUE_DIGEST';
    default:
      return 'ERR_EUDI_MALFORMED';
  }
}

/** COSE_Sign1 verification over the library's Sig_structure, with the JWK it resolved (issuer or device key). */
function verifySign1(
  sign1: { getRawVerificationData(): { alg: string; signature: Uint8Array; data: Uint8Array } },
  jwk: JWK,
): boolean {
  const { alg, signature, data } = sign1.getRawVerificationData();
  const a = (ACCEPTED_ALGS as readonly string[]).includes(alg) ? ALGS[alg] : undefined;
  if (!a || jwk.crv !== a.crv) return false;
  const { d: _d, ...pub } = jwk;
  const key = createPublicKey({ key: pub as JsonWebKey, format: 'jwk' });
  return nodeVerify(a.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

export async function verifyMdocPresentation(input: VerifyMdocInput): Promise<VerifiedMdoc> {
  const now = new Date(input.nowSeconds * 1000);
  let bytes: Uint8Array;
  let parsed: MDoc;
  try {
    if (
      input.presentation.length > (MAX_DEVICE_RESPONSE * 4) / 3 + 4 ||
      !/^[A-Za-z0-9_-]+$/.test(input.presentation)
    )
      throw new Error('not base64url');
    bytes = new Uint8Array(Buffer.from(input.presentation, 'base64url'));
    parsed = parseDeviceResponse(bytes);
  } catch (cause) {
    throw eudiError('ERR_EUDI_MALFORMED', { cause });
  }
  // One document, of the type asked for, in a successful response (status 0).
  const [doc, ...more] = parsed.documents;
  if (!doc || more.length > 0 || parsed.status !== 0) throw eudiError('ERR_EUDI_MALFORMED');
  if (!(doc instanceof DeviceSignedDocument)) throw eudiError('ERR_EUDI_DEVICE_AUTH_INVALID');
  const mso = doc.issuerSigned.issuerAuth.decodedPayload;
  // The document's docType goes into the DeviceAuthentication the device signs; the MSO's is checked once signed.
  if (doc.docType !== input.docType) throw eudiError('ERR_EUDI_VCT');
  const expired = now > mso.validityInfo.validUntil;

  let resolved: ResolvedIssuer | undefined;
  const unused = () => {
    throw new Error('not used by the verifier');
  };
  const ctx: Pick<MdocContext, 'crypto' | 'cose' | 'x509'> = {
    crypto: {
      random: unused,
      digest: ({ digestAlgorithm, bytes: b }) =>
        new Uint8Array(createHash(digestAlgorithm.replace('-', '').toLowerCase()).update(b).digest()),
      calculateEphemeralMacKeyJwk: unused,
    },
    cose: {
      sign1: {
        sign: unused,
        verify: ({ sign1, jwk }) => verifySign1(sign1, jwk),
      },
      // Device MACs need a reader key agreement OpenID4VP does not have: refused (see DEVICE_AUTH below).
      mac0: { sign: unused, verify: () => false },
    },
    x509: {
      // The chain (x5chain, leaf first) must build to an anchor of the trust list: `trustedCertificates` is
      // not used, the trust list holds the anchors and the entry (LoA, docTypes) of each.
      validateCertificateChain: async ({ x5chain }) => {
        const alg = doc.issuerSigned.issuerAuth.algName;
        if (!alg || !(ACCEPTED_ALGS as readonly string[]).includes(alg)) throw new Error('alg not allowed');
        resolved = await input.trustList.resolve(
          x5chain.map((c) => Buffer.from(c).toString('base64')),
          alg,
          input.nowSeconds,
        );
      },
      // The issuer key is the leaf of the chain validated above, never a certificate the chain did not cover.
      getPublicKey: async () => {
        if (!resolved) throw new Error('issuer chain not validated');
        return (await exportJWK(resolved.key)) as never;
      },
      getCertificateData: ({ certificate }) => {
        const c = new NodeX509(certificate);
        return {
          issuerName: c.issuer,
          subjectName: c.subject,
          serialNumber: c.serialNumber,
          thumbprint: c.fingerprint256,
          notBefore: new Date(c.validFrom),
          notAfter: new Date(c.validTo),
          pem: c.toString(),
        };
      },
      getIssuerNameField: ({ certificate, field }) => {
        const c = new NodeX509(certificate);
        return c.subject
          .split('\n')
          .filter((l) => l.startsWith(`${field}=`))
          .map((l) => l.slice(field.length + 1));
      },
    },
  };

  const onCheck = (a: VerificationAssessment) => {
    if (a.status !== 'FAILED') return;
    throw eudiError(codeForCheck(a, expired));
  };
  try {
    await new Verifier().verifyDeviceResponse(
      {
        encodedDeviceResponse: bytes,
        encodedSessionTranscript: openid4vpSessionTranscriptBytes(input.transcript),
        // Not used (the trust list validates the chain), but the library wants one.
        trustedCertificates: [new Uint8Array(1)],
        now,
        onCheck,
      },
      ctx as MdocContext,
    );
  } catch (e) {
    // A code from onCheck, or a parser/COSE error of the library (malformed input).
    if (e instanceof GatewayError) throw e;
    throw eudiError('ERR_EUDI_MALFORMED', { cause: e });
  }
  if (!resolved) throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER');
  // The issuer signed this docType (MSO), and the trust list entry accepts it from this issuer.
  if (mso.docType !== doc.docType || !resolved.doctypes.includes(doc.docType))
    throw eudiError('ERR_EUDI_VCT');

  // Only the requested elements of the PID namespace are used (device-signed elements never).
  const wanted = new Set(input.elements);
  const elements: Record<string, unknown> = {};
  for (const item of doc.issuerSigned.nameSpaces.get(input.namespace) ?? []) {
    if (!wanted.has(item.elementIdentifier)) continue;
    if (Object.hasOwn(elements, item.elementIdentifier)) throw eudiError('ERR_EUDI_DISCLOSURE_DUPLICATE');
    elements[item.elementIdentifier] = item.elementValue;
  }
  const deviceKey = mso.deviceKeyInfo?.deviceKey;
  if (!deviceKey) throw eudiError('ERR_EUDI_DEVICE_AUTH_INVALID');
  return {
    issuer: resolved,
    docType: doc.docType,
    elements,
    deviceJwk: COSEKey.import(deviceKey).toJWK() as JWK,
  };
}
