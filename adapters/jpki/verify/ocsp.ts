/**
 * OCSP client (RFC 6960) for JPKI certificates: SHA-1 CertID, nonce (RFC 8954),
 * POST over the injected fetch, response signed by the issuing CA itself or by
 * a delegated responder it issued with id-kp-OCSPSigning (§4.2.2.2).
 */
import 'reflect-metadata';
import { createHash, verify as nodeVerify } from 'node:crypto';
import {
  BasicOCSPResponse,
  CertID,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  type SingleResponse,
  TBSRequest,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, type Certificate, Extension } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { jpkiError } from '../errors.js';
import { CERTIFICATE_PARSE_OPTIONS, factsOf, ParsedCertificate } from './certificate.js';
import { checkValidity, verifiesSignature } from './chain.js';
import {
  ExpiringCache,
  fetchBytes,
  type HttpDeps,
  isHttpUrl,
  type RevocationChecker,
  type RevocationGood,
} from './revocation.js';

const SHA1_OID = '1.3.14.3.2.26';
/** RSASSA-PKCS1-v1_5 over SHA-2 (RFC 4055 §5 OIDs) -> node:crypto hash names. */
const RSA_SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const MAX_OCSP_RESPONSE_BYTES = 64 * 1024;

export interface OcspCheckerOptions extends HttpDeps {
  /** Responder URL; default: the certificate's authorityInfoAccess OCSP URL. */
  url?: string;
  now?: () => number;
  randomBytes?: (n: number) => Uint8Array;
  /** Tolerated clock difference for thisUpdate/nextUpdate, default 120 s. */
  clockSkewSeconds?: number;
  /** Upper bound for caching a good answer (it is never cached past its nextUpdate), default 3600 s. */
  cacheMaxSeconds?: number;
  /** Require the response to echo our nonce (default true); a nonce that is present must always match. */
  requireNonce?: boolean;
  /** Without nextUpdate, a response is fresh for this long after thisUpdate, default 300 s. */
  maxAgeWithoutNextUpdateSeconds?: number;
  /**
   * Delegated responder certificates known by configuration, for a responder that leaves its certificate
   * out of the response (`certs` is optional, RFC 6960 §4.2.1; e.g. `openssl ocsp -resp_no_certs`). They
   * only say where to find the signer: each is authorised exactly like one in the response (issued by the
   * certificate's CA, id-kp-OCSPSigning, currently valid), never trusted on its own.
   */
  responderCertificates?: readonly X509Certificate[];
}

export class OcspChecker implements RevocationChecker {
  readonly #options: OcspCheckerOptions;
  readonly #now: () => number;
  readonly #cache: ExpiringCache<RevocationGood>;

  constructor(options: OcspCheckerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#cache = new ExpiringCache(this.#now);
  }

  async check(cert: X509Certificate, issuer: X509Certificate): Promise<RevocationGood> {
    const url = this.#options.url ?? ocspUrlOf(cert);
    if (!isHttpUrl(url)) throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
    // The cache key is what names the certificate in a CertID (issuerKeyHash + serialNumber; the issuer
    // key hash is memoised on the long-lived anchor), so a hit builds no CertID at all.
    const cacheKey = `${url}|${cacheKeyFor(cert, issuer)}`;
    const cached = this.#cache.get(cacheKey);
    if (cached) return cached;

    const certId = await buildCertId(cert, issuer);

    const nonce = (this.#options.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n))))(16);
    const body = encodeOcspRequest(certId, nonce);
    const der = await fetchBytes(
      this.#options,
      url,
      { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body },
      MAX_OCSP_RESPONSE_BYTES,
    );
    const basic = parseOcspResponse(der);
    await verifyResponseSigner(basic, issuer, this.#now(), this.#options.responderCertificates ?? []);
    const single = basic.tbsResponseData.responses.find((r) => sameCertId(r.certID, certId));
    if (!single) throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
    const nextUpdate = checkFreshness(single, this.#now(), this.#options);
    checkNonce(basic, nonce, this.#options.requireNonce ?? true);
    if (single.certStatus.revoked) throw jpkiError('ERR_JPKI_REVOKED');
    if (single.certStatus.good !== null) throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');

    const result: RevocationGood = { status: 'good', source: 'ocsp', checkedAt: this.#now() };
    if (nextUpdate !== undefined) {
      const maxTtl = (this.#options.cacheMaxSeconds ?? 3600) * 1000;
      this.#cache.set(cacheKey, result, Math.min(nextUpdate, this.#now() + maxTtl));
    }
    return result;
  }
}

function ocspUrlOf(cert: X509Certificate): string | undefined {
  return factsOf(cert).ocspUrls.find(isHttpUrl);
}

const CERT_IDS = new WeakMap<X509Certificate, WeakMap<X509Certificate, CertID>>();

/**
 * CertID per RFC 6960 §4.1.1 with SHA-1 hashes of the issuer DN and the issuer's public key BIT STRING value.
 * A pure function of both certificates, so it is computed once per (certificate, issuer) pair.
 */
export async function buildCertId(cert: X509Certificate, issuer: X509Certificate): Promise<CertID> {
  let byIssuer = CERT_IDS.get(cert);
  const known = byIssuer?.get(issuer);
  if (known) return known;
  const certFacts = factsOf(cert);
  const certId = new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1_OID, parameters: null }),
    issuerNameHash: new OctetString(new Uint8Array(createHash('sha1').update(certFacts.issuerDer).digest())),
    issuerKeyHash: new OctetString(new Uint8Array(factsOf(issuer).publicKeySha1)),
    serialNumber: new Uint8Array(certFacts.serialNumber).buffer,
  });
  if (!byIssuer) {
    byIssuer = new WeakMap();
    CERT_IDS.set(cert, byIssuer);
  }
  byIssuer.set(issuer, certId);
  return certId;
}

/** `hex(issuerKeyHash)|hex(serialNumber)` of the CertID buildCertId would build, without building it. */
function cacheKeyFor(cert: X509Certificate, issuer: X509Certificate): string {
  return `${factsOf(issuer).publicKeySha1.toString('hex')}|${factsOf(cert).serialHex}`;
}

export function encodeOcspRequest(certId: CertID, nonce: Uint8Array): Uint8Array<ArrayBuffer> {
  const nonceExt = new Extension({
    extnID: id_pkix_ocsp_nonce,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new OctetString(new Uint8Array(nonce)))),
  });
  const req = new OCSPRequest({
    tbsRequest: new TBSRequest({
      requestList: [new Request({ reqCert: certId })],
      requestExtensions: [nonceExt],
    }),
  });
  return new Uint8Array(AsnConvert.serialize(req));
}

function parseOcspResponse(der: Uint8Array): BasicOCSPResponse {
  let res: OCSPResponse;
  try {
    // No speculative decoding of OCTET STRING contents: responseBytes.response is the whole
    // BasicOCSPResponse, which asn1js would otherwise decode here only for it to be parsed again below.
    res = AsnConvert.parse(der, OCSPResponse, CERTIFICATE_PARSE_OPTIONS);
  } catch (e) {
    throw jpkiError('ERR_JPKI_STATUS_UNKNOWN', e);
  }
  if (
    res.responseStatus === OCSPResponseStatus.tryLater ||
    res.responseStatus === OCSPResponseStatus.internalError
  ) {
    throw jpkiError('ERR_JPKI_RESPONDER_UNREACHABLE');
  }
  if (
    res.responseStatus !== OCSPResponseStatus.successful ||
    res.responseBytes?.responseType !== id_pkix_ocsp_basic
  ) {
    throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
  }
  try {
    return AsnConvert.parse(res.responseBytes.response, BasicOCSPResponse, CERTIFICATE_PARSE_OPTIONS);
  } catch (e) {
    throw jpkiError('ERR_JPKI_STATUS_UNKNOWN', e);
  }
}

/**
 * Signed by the CA key itself, or by a currently valid responder certificate the same CA issued for OCSP
 * signing: one the response carries, or one configured for a responder that sends none.
 */
async function verifyResponseSigner(
  basic: BasicOCSPResponse,
  issuer: X509Certificate,
  now: number,
  configured: readonly X509Certificate[],
): Promise<void> {
  if (await verifyResponseSignature(basic, issuer)) return;
  const candidates = [...(basic.certs ?? []).map(responderCertificate), ...configured];
  for (const responder of candidates) {
    if (!(await isAuthorisedResponder(responder, issuer, now))) continue;
    if (await verifyResponseSignature(basic, responder)) return;
  }
  throw jpkiError('ERR_JPKI_OCSP_SIGNER');
}

/**
 * A responder ships the same delegated certificate in every response. Its certificate object (and so
 * its decoded extensions, names and KeyObject) is reused while the same bytes come back: keyed by the
 * SHA-256 of the signed tbsCertificate, the outer signature algorithm and the signature value, which
 * together are the certificate. Only parsing is shared: EKU, issuer, validity (at `now`) and the CA's
 * signature are checked on every response. A bounded LRU of a few entries.
 */
const RESPONDERS = new Map<string, ParsedCertificate>();
const MAX_RESPONDERS = 16;

function responderCertificate(asn: Certificate): X509Certificate {
  if (!asn.tbsCertificateRaw) return new ParsedCertificate(asn);
  const params = asn.signatureAlgorithm.parameters;
  const key = createHash('sha256')
    .update(new Uint8Array(asn.tbsCertificateRaw))
    .update(`|${asn.signatureAlgorithm.algorithm}|${params ? Buffer.from(params).toString('hex') : '-'}|`)
    .update(new Uint8Array(asn.signatureValue))
    .digest('base64');
  const known = RESPONDERS.get(key);
  if (known) {
    RESPONDERS.delete(key);
    RESPONDERS.set(key, known);
    return known;
  }
  const cert = new ParsedCertificate(asn);
  if (RESPONDERS.size >= MAX_RESPONDERS) RESPONDERS.delete(RESPONDERS.keys().next().value as string);
  RESPONDERS.set(key, cert);
  return cert;
}

async function isAuthorisedResponder(
  responder: X509Certificate,
  issuer: X509Certificate,
  now: number,
): Promise<boolean> {
  const facts = factsOf(responder);
  try {
    if (!facts.extendedKeyUsage?.includes(id_kp_OCSPSigning)) return false;
    if (!facts.issuerDer.equals(factsOf(issuer).subjectDer)) return false;
    checkValidity(responder, now);
  } catch {
    return false;
  }
  return verifiesSignature(responder, issuer);
}

/**
 * RSASSA-PKCS1-v1_5 over the DER of tbsResponseData by `signer`'s RSA key, synchronously in node:crypto
 * with the KeyObject memoised per certificate object (the pinned anchor's is built once), instead of a
 * WebCrypto key import per response. Any other algorithm or key type is not accepted.
 */
async function verifyResponseSignature(basic: BasicOCSPResponse, signer: X509Certificate): Promise<boolean> {
  const oid = basic.signatureAlgorithm.algorithm;
  const hash = Object.hasOwn(RSA_SIGNATURE_HASHES, oid) ? RSA_SIGNATURE_HASHES[oid] : undefined;
  const key = factsOf(signer).publicKey;
  if (!hash || !basic.tbsResponseDataRaw || key?.asymmetricKeyType !== 'rsa') return false;
  try {
    return nodeVerify(hash, new Uint8Array(basic.tbsResponseDataRaw), key, new Uint8Array(basic.signature));
  } catch {
    return false;
  }
}

function sameCertId(a: CertID, b: CertID): boolean {
  return (
    a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm &&
    bytesEqual(a.issuerNameHash.buffer, b.issuerNameHash.buffer) &&
    bytesEqual(a.issuerKeyHash.buffer, b.issuerKeyHash.buffer) &&
    bytesEqual(a.serialNumber, b.serialNumber)
  );
}

/** thisUpdate must not be in the future, nextUpdate must be (RFC 6960 §3.2 items 5-6). Returns nextUpdate in ms. */
function checkFreshness(
  single: SingleResponse,
  now: number,
  options: OcspCheckerOptions,
): number | undefined {
  const skew = (options.clockSkewSeconds ?? 120) * 1000;
  const thisUpdate = single.thisUpdate.getTime();
  if (thisUpdate > now + skew) throw jpkiError('ERR_JPKI_OCSP_STALE');
  const nextUpdate = single.nextUpdate?.getTime();
  if (nextUpdate === undefined) {
    if (thisUpdate + (options.maxAgeWithoutNextUpdateSeconds ?? 300) * 1000 < now - skew) {
      throw jpkiError('ERR_JPKI_OCSP_STALE');
    }
    return undefined;
  }
  if (nextUpdate < now - skew) throw jpkiError('ERR_JPKI_OCSP_STALE');
  return nextUpdate;
}

function checkNonce(basic: BasicOCSPResponse, nonce: Uint8Array, required: boolean): void {
  const ext = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (!ext) {
    if (required) throw jpkiError('ERR_JPKI_OCSP_NONCE');
    return;
  }
  // RFC 8954: extnValue holds a DER OCTET STRING of the nonce; some responders echo the bare bytes.
  const value = ext.extnValue.buffer;
  if (
    !bytesEqual(value, AsnConvert.serialize(new OctetString(new Uint8Array(nonce)))) &&
    !bytesEqual(value, nonce)
  ) {
    throw jpkiError('ERR_JPKI_OCSP_NONCE');
  }
}

function bytesEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean {
  return Buffer.from(toU8(a)).equals(Buffer.from(toU8(b)));
}

function toU8(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
