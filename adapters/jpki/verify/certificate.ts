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
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificatePolicies,
  id_ad_ocsp,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_pe_authorityInfoAccess,
  KeyUsage,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { jpkiError } from '../errors.js';

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/** Certificate signature algorithms verified natively; others go through @peculiar/x509 + WebCrypto. */
const NODE_RSA_PKCS1_HASHES: Readonly<Record<string, string>> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** An X509Certificate that exposes its parsed ASN.1 (the certificate parsed from card input). */
export class ParsedCertificate extends X509Certificate {
  get certificateAsn(): Certificate {
    return this.asn;
  }
}

export interface ExtensionRecord {
  readonly type: string;
  readonly critical: boolean;
  readonly value: ArrayBuffer;
}

/** Lazily computed, memoised facts of one certificate. */
export class CertificateFacts {
  readonly #cert: X509Certificate;
  #asn?: Certificate;
  #extensions?: readonly ExtensionRecord[];
  readonly #memo = new Map<string, unknown>();

  constructor(cert: X509Certificate) {
    this.#cert = cert;
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
        : AsnConvert.parse(this.#cert.rawData, Certificate);
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

  /** The first extension of `type`, parsed; undefined when absent; a value that does not parse is malformed. */
  #parsed<T>(type: string, parse: (value: ArrayBuffer) => T): T | undefined {
    return this.#once(`ext:${type}`, () => {
      const ext = this.extensions.find((e) => e.type === type);
      if (!ext) return undefined;
      try {
        return parse(ext.value);
      } catch (e) {
        throw jpkiError('ERR_JPKI_MALFORMED', e);
      }
    });
  }

  /** keyUsage bits as @peculiar/x509's KeyUsageFlags, undefined without the extension. */
  get keyUsage(): number | undefined {
    return this.#parsed(id_ce_keyUsage, (v) => AsnConvert.parse(v, KeyUsage).toNumber());
  }

  get isCa(): boolean {
    return this.#parsed(id_ce_basicConstraints, (v) => AsnConvert.parse(v, BasicConstraints).cA) === true;
  }

  get policies(): readonly string[] {
    return (
      this.#parsed(id_ce_certificatePolicies, (v) =>
        AsnConvert.parse(v, CertificatePolicies).map((p) => p.policyIdentifier),
      ) ?? []
    );
  }

  /** authorityInfoAccess OCSP URIs, in order. */
  get ocspUrls(): readonly string[] {
    return (
      this.#parsed(id_pe_authorityInfoAccess, (v) =>
        AsnConvert.parse(v, AuthorityInfoAccessSyntax).flatMap((d) =>
          d.accessMethod === id_ad_ocsp && d.accessLocation.uniformResourceIdentifier !== undefined
            ? [d.accessLocation.uniformResourceIdentifier]
            : [],
        ),
      ) ?? []
    );
  }

  get authorityKeyId(): Buffer | undefined {
    return this.#parsed(id_ce_authorityKeyIdentifier, (v) => {
      const id = AsnConvert.parse(v, AuthorityKeyIdentifier).keyIdentifier;
      return id ? Buffer.from(id.buffer) : undefined;
    });
  }

  get subjectKeyId(): Buffer | undefined {
    return this.#parsed(id_ce_subjectKeyIdentifier, (v) =>
      Buffer.from(AsnConvert.parse(v, SubjectKeyIdentifier).buffer),
    );
  }

  get issuerDer(): Buffer {
    return this.#once('issuer', () => Buffer.from(AsnConvert.serialize(this.asn.tbsCertificate.issuer)));
  }

  get subjectDer(): Buffer {
    return this.#once('subject', () => Buffer.from(AsnConvert.serialize(this.asn.tbsCertificate.subject)));
  }

  get serialNumber(): Buffer {
    return Buffer.from(this.asn.tbsCertificate.serialNumber);
  }

  /** The BIT STRING value of subjectPublicKey (what an OCSP CertID's issuerKeyHash hashes). */
  get publicKeyBits(): Buffer {
    return Buffer.from(this.asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
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
    return this.#once('sigHash', () => {
      let alg: { name?: string; hash?: { name?: string } };
      try {
        alg = this.#cert.signatureAlgorithm as typeof alg;
      } catch {
        return undefined;
      }
      return alg.name === 'RSASSA-PKCS1-v1_5' ? NODE_RSA_PKCS1_HASHES[alg.hash?.name ?? ''] : undefined;
    });
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
