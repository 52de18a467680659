import 'reflect-metadata';
import { createHash } from 'node:crypto';
import {
  BasicOCSPResponse,
  type CertID,
  CertStatus,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from '@peculiar/asn1-ocsp';
import { id_sha256WithRSAEncryption } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CRLReason, type Extension } from '@peculiar/asn1-x509';
import type { ResponderMode } from './revocation-modes.js';
import {
  type KnownIssuer,
  normalizeSerial,
  publicKeyBits,
  type RevocationState,
} from './revocation-state.js';
import type { CaMaterial } from './types.js';

const DAY_MS = 24 * 3600 * 1000;
/**
 * sha256WithRSAEncryption built from the OID: the `sha256WithRSAEncryption` constant of
 * @peculiar/asn1-rsa 2.11.1 carries 1.2.840.113549.1.1.16 (sha512-256WithRSA) by mistake.
 */
const SHA256_WITH_RSA = new AlgorithmIdentifier({ algorithm: id_sha256WithRSAEncryption, parameters: null });
const HASH_OIDS: Record<string, string> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256' };

export interface OcspContext {
  issuers: readonly KnownIssuer[];
  state: RevocationState;
  mode: ResponderMode;
  now: Date;
  /** Delegated responders, used for CertIDs of the current generation of each CA. */
  responders: { auth: CaMaterial; sign: CaMaterial };
  /** Signer used when no CertID matches a known issuer (the responder of the URL path). */
  fallbackSigner: CaMaterial;
  /** Self-signed OCSP-EKU certificate the CAs never authorised ('bad-signer' mode). */
  rogueSigner: () => Promise<CaMaterial>;
}

function matchIssuer(certId: CertID, issuers: readonly KnownIssuer[]): KnownIssuer | undefined {
  const alg = HASH_OIDS[certId.hashAlgorithm.algorithm];
  if (!alg) return undefined;
  const nameHash = Buffer.from(certId.issuerNameHash.buffer).toString('hex');
  const keyHash = Buffer.from(certId.issuerKeyHash.buffer).toString('hex');
  return issuers.find((i) => {
    const h = i.hashes.get(alg);
    return h?.nameHash === nameHash && h.keyHash === keyHash;
  });
}

function statusFor(certId: CertID, issuer: KnownIssuer | undefined, ctx: OcspContext): CertStatus {
  if (!issuer || ctx.mode === 'unknown-for-all') return new CertStatus({ unknown: null });
  const serial = normalizeSerial(Buffer.from(certId.serialNumber).toString('hex'));
  const revoked = ctx.state.lookup(issuer.ca.certificate.subject, serial);
  if (!revoked) return new CertStatus({ good: null });
  return new CertStatus({
    revoked: new RevokedInfo({
      revocationTime: revoked.revokedAt,
      revocationReason: new CRLReason(revoked.reason),
    }),
  });
}

export const ocspError = (status: OCSPResponseStatus): ArrayBuffer =>
  AsnConvert.serialize(new OCSPResponse({ responseStatus: status }));

/**
 * Answer one DER OCSPRequest (RFC 6960 §4.2). CertIDs are matched on
 * issuerNameHash + issuerKeyHash (SHA-1 or SHA-256) against every CA generation.
 * The current generation's CertIDs are answered by its delegated responder;
 * older generations sign with the CA key itself (a CA-signed response is
 * authorised per §4.2.2.2, and the current responder is not issued by them).
 */
export async function answerOcspRequest(der: ArrayBuffer, ctx: OcspContext): Promise<ArrayBuffer> {
  let request: OCSPRequest;
  try {
    request = AsnConvert.parse(der, OCSPRequest);
  } catch {
    return ocspError(OCSPResponseStatus.malformedRequest);
  }
  const items = request.tbsRequest.requestList.map((r) => ({
    certId: r.reqCert,
    issuer: matchIssuer(r.reqCert, ctx.issuers),
  }));
  if (items.length === 0) return ocspError(OCSPResponseStatus.malformedRequest);

  const stale = ctx.mode === 'stale';
  const thisUpdate = stale ? new Date(ctx.now.getTime() - 2 * DAY_MS) : ctx.now;
  const nextUpdate = stale ? new Date(ctx.now.getTime() - DAY_MS) : new Date(ctx.now.getTime() + 3600 * 1000);
  const responses = items.map(
    ({ certId, issuer }) =>
      new SingleResponse({
        certID: certId,
        certStatus: statusFor(certId, issuer, ctx),
        thisUpdate,
        nextUpdate,
      }),
  );

  const first = items.find((i) => i.issuer)?.issuer;
  let signer: CaMaterial;
  let includeCert = true;
  if (ctx.mode === 'bad-signer') signer = await ctx.rogueSigner();
  else if (!first) signer = ctx.fallbackSigner;
  else if (first.generation === 0) signer = ctx.responders[first.kind];
  else {
    signer = first.ca;
    includeCert = false;
  }

  const nonce = request.tbsRequest.requestExtensions?.find((e: Extension) => e.extnID === id_pkix_ocsp_nonce);
  const keyHash = createHash('sha1')
    .update(Buffer.from(publicKeyBits(signer.certificate)))
    .digest();
  const tbs = new ResponseData({
    responderID: new ResponderID({ byKey: new OctetString(keyHash) }),
    producedAt: ctx.now,
    responses,
    ...(nonce ? { responseExtensions: [nonce] } : {}),
  });
  const tbsDer = AsnConvert.serialize(tbs);
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', signer.privateKey, tbsDer);
  const basic = new BasicOCSPResponse({
    tbsResponseData: tbs,
    signatureAlgorithm: SHA256_WITH_RSA,
    signature,
    ...(includeCert ? { certs: [AsnConvert.parse(signer.certificate.rawData, Certificate)] } : {}),
  });
  return AsnConvert.serialize(
    new OCSPResponse({
      responseStatus: OCSPResponseStatus.successful,
      responseBytes: new ResponseBytes({
        responseType: id_pkix_ocsp_basic,
        response: new OctetString(AsnConvert.serialize(basic)),
      }),
    }),
  );
}
