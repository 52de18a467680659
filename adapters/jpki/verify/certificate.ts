/**
 * Facts read once per certificate object: the extensions the JPKI profile
 * checks (parsed with @peculiar/asn1-x509 straight from the certificate's
 * ASN.1, instead of @peculiar/x509's re-encode-and-reparse of every extension),
 * names as DER, validity as epoch ms, and node:crypto KeyObjects. Every value
 * is a pure function of the certificate bytes, memoised per object in a
 * WeakMap; nothing time-dependent is stored.
 */
import 'reflect-metadata';
import { createHash, createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { AsnConvert, AsnProp } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificatePolicies,
  ExtendedKeyUsage,
  id_ad_ocsp,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_pe_authorityInfoAccess,
  KeyUsage,
  Name,
  SubjectKeyIdentifier,
  TBSCertificate,
} from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { jpkiError } from '../errors.js';

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/**
 * Certificate signature algorithms verified natively (RSASSA-PKCS1-v1_5 over SHA-2, RFC 4055 §5 OIDs);
 * others go through @peculiar/x509 + WebCrypto.
 */
const NODE_RSA_PKCS1_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

/**
 * asn1js options for everything parsed from a certificate. By default asn1js also tries to decode the
 * content of every OCTET STRING and BIT STRING as nested ASN.1 (the public key, each extension value, the
 * signature) and throws the result away when the schema maps the field to bytes; the extensions we use
 * are then decoded a second time with their own schema. Turning that guess off changes no field of the
 * result (same bytes, same errors for malformed input) and removes a third of the parse of a card
 * certificate. The library's resource limits (depth, node count, content length) keep their defaults.
 */
export const CERTIFICATE_PARSE_OPTIONS = { berOptions: { parseEmbedded: false } } as const;

/**
 * RFC 5280's TBSCertificate as @peculiar/asn1-x509 declares it, with the library's `raw` option on the
 * issuer and subject Names: the parser then also keeps the exact DER of each (`issuerRaw`, `subjectRaw`,
 * as it does `tbsCertificateRaw`), so name comparison and the OCSP CertID hash the bytes the certificate
 * carries instead of re-encoding the decoded Name (which cost as much as a fifth of a card certificate's
 * parse). Same fields, same decoding, same errors; asn1-schema copies the parent's schema for a subclass.
 */
class TBSCertificateWithRawNames extends TBSCertificate {
  /** Set by the parser (a view of the input). */
  issuerRaw?: Uint8Array;
  subjectRaw?: Uint8Array;
}
AsnProp({ type: Name, raw: true })(TBSCertificateWithRawNames.prototype, 'issuer');
AsnProp({ type: Name, raw: true })(TBSCertificateWithRawNames.prototype, 'subject');

/** asn1-x509's Certificate whose tbsCertificate keeps its names' DER (see TBSCertificateWithRawNames). */
class CertificateWithRawNames extends Certificate {
  declare tbsCertificate: TBSCertificateWithRawNames;
}
AsnProp({ type: TBSCertificateWithRawNames, raw: true })(CertificateWithRawNames.prototype, 'tbsCertificate');

/**
 * An X509Certificate that exposes its parsed ASN.1: a certificate parsed from card input, or one already
 * parsed as part of another structure (an OCSP response's responder certificate), which is then not
 * re-encoded and parsed again. Card input is parsed once, as CertificateWithRawNames (an asn1-x509
 * Certificate), and `rawData` is the input bytes themselves, as @peculiar/x509 keeps them for parsed input.
 */
export class ParsedCertificate extends X509Certificate {
  readonly #der?: ArrayBuffer;

  constructor(input: Uint8Array<ArrayBuffer> | Certificate) {
    if (input instanceof Certificate) {
      super(input, CERTIFICATE_PARSE_OPTIONS);
    } else {
      super(
        AsnConvert.parse(input, CertificateWithRawNames, CERTIFICATE_PARSE_OPTIONS),
        CERTIFICATE_PARSE_OPTIONS,
      );
      this.#der =
        input.byteOffset === 0 && input.byteLength === input.buffer.byteLength
          ? input.buffer
          : input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength);
    }
  }

  override get rawData(): ArrayBuffer {
    return this.#der ?? super.rawData;
  }

  get certificateAsn(): Certificate {
    return this.asn;
  }
}

/**
 * Decoded extension values shared between certificates, keyed by the extension's OID and its exact
 * extnValue bytes (the decode is a pure function of those). Every card of one CA generation carries the
 * same keyUsage, basicConstraints, certificatePolicies, authorityInfoAccess and authorityKeyIdentifier
 * bytes, so a card seen for the first time does not pay asn1-schema's per-parse cost for each of them
 * again. Only these profile extensions go through it, never subjectAltName (the holder's attributes
 * stay with their certificate object). A bounded LRU; values are immutable (numbers, booleans, frozen
 * arrays; Buffers are copied out); a value that fails to decode is never stored.
 */
export class DecodedExtensionCache {
  readonly #entries = new Map<string, unknown>();
  readonly #max: number;
  /** Larger values are decoded without the cache (they are not the shared profile extensions). */
  static readonly MAX_VALUE_BYTES = 512;

  /** `maxEntries` 0 disables sharing (every certificate decodes its own extensions). */
  constructor(maxEntries = 256) {
    this.#max = maxEntries;
  }

  decode<T, V extends ArrayBuffer | Uint8Array>(type: string, value: V, decode: (value: V) => T): T {
    if (this.#max === 0 || value.byteLength > DecodedExtensionCache.MAX_VALUE_BYTES) return decode(value);
    const bytes =
      value instanceof Uint8Array
        ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
        : Buffer.from(value);
    const key = `${type}:${bytes.toString('base64')}`;
    if (this.#entries.has(key)) {
      const hit = this.#entries.get(key) as T;
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const decoded = decode(value);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, decoded);
    return decoded;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The process-wide cache used by factsOf (extension decodes are pure, so instances may share it). */
export const sharedExtensionCache = new DecodedExtensionCache();

/**
 * Issuer DNs as @peculiar/x509 prints them (`X509Certificate.issuer`, which the pseudonymous subject
 * hashes), keyed by the issuer Name's exact DER: the string is a pure function of those bytes, and every
 * card of one CA carries the same ones, so a first-seen card does not pay for decoding and printing its
 * issuer's Name again. A certificate with other issuer bytes is another entry. Bounded LRU of strings.
 */
export const sharedIssuerNameCache = new DecodedExtensionCache(64);

export interface ExtensionRecord {
  readonly type: string;
  readonly critical: boolean;
  readonly value: ArrayBuffer;
}

/** Lazily computed, memoised facts of one certificate. */
export class CertificateFacts {
  readonly #cert: X509Certificate;
  readonly #shared: DecodedExtensionCache;
  #asn?: Certificate;
  #extensions?: readonly ExtensionRecord[];
  readonly #memo = new Map<string, unknown>();

  constructor(cert: X509Certificate, shared: DecodedExtensionCache = sharedExtensionCache) {
    this.#cert = cert;
    this.#shared = shared;
  }

  #once<T>(key: string, compute: () => T): T {
    if (this.#memo.has(key)) return this.#memo.get(key) as T;
    const value = compute();
    this.#memo.set(key, value);
    return value;
  }

  get asn(): Certificate {
    this.#asn ??=
      this.#cert instanceof ParsedCertificate
        ? this.#cert.certificateAsn
        : AsnConvert.parse(this.#cert.rawData, Certificate, CERTIFICATE_PARSE_OPTIONS);
    return this.#asn;
  }

  get extensions(): readonly ExtensionRecord[] {
    this.#extensions ??= (this.asn.tbsCertificate.extensions ?? []).map((e) => ({
      type: e.extnID,
      critical: e.critical,
      value: e.extnValue.buffer,
    }));
    return this.#extensions;
  }

  /**
   * The first extension of `type`, parsed; undefined when absent; a value that does not parse is malformed.
   * `shared`: a profile extension whose decoded value may come from the DecodedExtensionCache.
   */
  #parsed<T>(type: string, parse: (value: ArrayBuffer) => T, shared = false): T | undefined {
    return this.#once(`ext:${type}`, () => {
      const ext = this.extensions.find((e) => e.type === type);
      if (!ext) return undefined;
      try {
        return shared ? this.#shared.decode(type, ext.value, parse) : parse(ext.value);
      } catch (e) {
        throw jpkiError('ERR_JPKI_MALFORMED', e);
      }
    });
  }

  /** keyUsage bits as @peculiar/x509's KeyUsageFlags, undefined without the extension. */
  get keyUsage(): number | undefined {
    return this.#parsed(
      id_ce_keyUsage,
      (v) => AsnConvert.parse(v, KeyUsage, CERTIFICATE_PARSE_OPTIONS).toNumber(),
      true,
    );
  }

  get isCa(): boolean {
    return (
      this.#parsed(
        id_ce_basicConstraints,
        (v) => AsnConvert.parse(v, BasicConstraints, CERTIFICATE_PARSE_OPTIONS).cA,
        true,
      ) === true
    );
  }

  get policies(): readonly string[] {
    return (
      this.#parsed(
        id_ce_certificatePolicies,
        (v) =>
          Object.freeze(
            AsnConvert.parse(v, CertificatePolicies, CERTIFICATE_PARSE_OPTIONS).map(
              (p) => p.policyIdentifier,
            ),
          ),
        true,
      ) ?? []
    );
  }

  /** authorityInfoAccess OCSP URIs, in order. */
  get ocspUrls(): readonly string[] {
    return (
      this.#parsed(
        id_pe_authorityInfoAccess,
        (v) =>
          Object.freeze(
            AsnConvert.parse(v, AuthorityInfoAccessSyntax, CERTIFICATE_PARSE_OPTIONS).flatMap((d) =>
              d.accessMethod === id_ad_ocsp && d.accessLocation.uniformResourceIdentifier !== undefined
                ? [d.accessLocation.uniformResourceIdentifier]
                : [],
            ),
          ),
        true,
      ) ?? []
    );
  }

  /** extendedKeyUsage purposes (OIDs), undefined without the extension. */
  get extendedKeyUsage(): readonly string[] | undefined {
    return this.#parsed(
      id_ce_extKeyUsage,
      (v) => Object.freeze([...AsnConvert.parse(v, ExtendedKeyUsage, CERTIFICATE_PARSE_OPTIONS)]),
      true,
    );
  }

  get authorityKeyId(): Buffer | undefined {
    const id = this.#parsed(
      id_ce_authorityKeyIdentifier,
      (v) => {
        const keyId = AsnConvert.parse(v, AuthorityKeyIdentifier, CERTIFICATE_PARSE_OPTIONS).keyIdentifier;
        return keyId ? new Uint8Array(keyId.buffer.slice(0)) : undefined;
      },
      true,
    );
    return id ? Buffer.from(id) : undefined;
  }

  get subjectKeyId(): Buffer | undefined {
    return this.#parsed(id_ce_subjectKeyIdentifier, (v) =>
      Buffer.from(AsnConvert.parse(v, SubjectKeyIdentifier, CERTIFICATE_PARSE_OPTIONS).buffer),
    );
  }

  /** The issuer Name's DER: the bytes in the certificate when the parse kept them, else re-encoded. */
  get issuerDer(): Buffer {
    return this.#once('issuer', () => {
      const tbs = this.asn.tbsCertificate as TBSCertificateWithRawNames;
      return tbs.issuerRaw ? Buffer.from(tbs.issuerRaw) : Buffer.from(AsnConvert.serialize(tbs.issuer));
    });
  }

  /** `X509Certificate.issuer` (RFC 4514 style), shared between certificates with the same issuer DER. */
  get issuerName(): string {
    return this.#once('issuerName', () =>
      sharedIssuerNameCache.decode('issuer-name', this.issuerDer, () => this.#cert.issuer),
    );
  }

  get subjectDer(): Buffer {
    return this.#once('subject', () => {
      const tbs = this.asn.tbsCertificate as TBSCertificateWithRawNames;
      return tbs.subjectRaw ? Buffer.from(tbs.subjectRaw) : Buffer.from(AsnConvert.serialize(tbs.subject));
    });
  }

  get serialNumber(): Buffer {
    return Buffer.from(this.asn.tbsCertificate.serialNumber);
  }

  /** The serial number's DER content octets in lower-case hex (as they appear in an OCSP CertID). */
  get serialHex(): string {
    return this.#once('serialHex', () => this.serialNumber.toString('hex'));
  }

  /** The BIT STRING value of subjectPublicKey (what an OCSP CertID's issuerKeyHash hashes). */
  get publicKeyBits(): Buffer {
    return Buffer.from(this.asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
  }

  /** SHA-1 of publicKeyBits: the issuerKeyHash of an OCSP CertID for certificates this one issued. */
  get publicKeySha1(): Buffer {
    return this.#once('keySha1', () => createHash('sha1').update(this.publicKeyBits).digest());
  }

  get notBefore(): number {
    return this.#once('notBefore', () => this.#cert.notBefore.getTime());
  }

  get notAfter(): number {
    return this.#once('notAfter', () => this.#cert.notAfter.getTime());
  }

  /** The subject public key as a KeyObject (any type); undefined if OpenSSL refuses it. */
  get publicKey(): KeyObject | undefined {
    return this.#once('key', () => {
      try {
        return createPublicKey({
          key: Buffer.from(this.#cert.publicKey.rawData),
          format: 'der',
          type: 'spki',
        });
      } catch {
        return undefined;
      }
    });
  }

  /** The subject key as an rsaEncryption RSA-2048 key (what WebCrypto's RSASSA-PKCS1-v1_5 import accepts); else malformed. */
  get rsa2048Key(): KeyObject {
    const key = this.#once('rsa2048', () => {
      const spki = this.asn.tbsCertificate.subjectPublicKeyInfo;
      if (spki.algorithm.algorithm !== RSA_ENCRYPTION) return undefined;
      let k: KeyObject;
      try {
        // PKCS#1 RSAPublicKey straight from the BIT STRING: OpenSSL 3 decodes it far faster than a whole SPKI.
        k = createPublicKey({ key: this.publicKeyBits, format: 'der', type: 'pkcs1' });
      } catch {
        return undefined;
      }
      return k.asymmetricKeyType === 'rsa' && k.asymmetricKeyDetails?.modulusLength === 2048 ? k : undefined;
    });
    if (!key) throw jpkiError('ERR_JPKI_MALFORMED');
    return key;
  }

  /** node:crypto hash name when the certificate is signed with RSASSA-PKCS1-v1_5 over SHA-2, else undefined. */
  get nodeSignatureHash(): string | undefined {
    // The OIDs @peculiar/x509 maps to RSASSA-PKCS1-v1_5 with SHA-256/384/512 (it ignores the parameters,
    // and so does this table), without the library's algorithm registry lookup per certificate.
    const oid = this.asn.signatureAlgorithm.algorithm;
    return Object.hasOwn(NODE_RSA_PKCS1_HASHES, oid) ? NODE_RSA_PKCS1_HASHES[oid] : undefined;
  }

  /** Record a SHA-256 of the DER already computed by the caller (the certificate cache). */
  rememberSha256(digest: Buffer): void {
    if (!this.#memo.has('sha256')) this.#memo.set('sha256', digest);
  }

  get sha256(): Buffer {
    return this.#once('sha256', () =>
      createHash('sha256').update(new Uint8Array(this.#cert.rawData)).digest(),
    );
  }
}

const FACTS = new WeakMap<X509Certificate, CertificateFacts>();

export function factsOf(cert: X509Certificate): CertificateFacts {
  let facts = FACTS.get(cert);
  if (!facts) {
    facts = new CertificateFacts(cert);
    FACTS.set(cert, facts);
  }
  return facts;
}

/**
 * Whether `issuer`'s key verifies `cert`'s signature. RSASSA-PKCS1-v1_5/SHA-2 by an
 * RSA key runs synchronously in node:crypto (OpenSSL compares the full encoded
 * block); any other combination goes through @peculiar/x509 and WebCrypto as before.
 */
export async function certificateSignedBy(cert: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  const facts = factsOf(cert);
  const hash = facts.nodeSignatureHash;
  const tbs = facts.asn.tbsCertificateRaw;
  const key = factsOf(issuer).publicKey;
  if (hash && tbs && key?.asymmetricKeyType === 'rsa') {
    try {
      return nodeVerify(hash, new Uint8Array(tbs), key, new Uint8Array(facts.asn.signatureValue));
    } catch {
      return false;
    }
  }
  try {
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
