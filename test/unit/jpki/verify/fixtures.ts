/** Shared helpers for the JPKI verification tests (not a test file). */
import { AsnConvert } from '@peculiar/asn1-schema';
import { DirectoryString, GeneralName, OtherName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import {
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  type X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { expect } from 'vitest';
import type { JpkiErrorCode } from '../../../../adapters/jpki/errors.js';
import { isJpkiError } from '../../../../adapters/jpki/errors.js';
import type { CaMaterial } from '../../../../adapters/jpki/pki/index.js';
import {
  POLICY_AUTH,
  POLICY_SIGN_TEST,
  RSA_ALGORITHM,
  SIGNING_ALGORITHM,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import type { JpkiVerifyDeps } from '../../../../adapters/jpki/verify/login.js';
import { OcspChecker } from '../../../../adapters/jpki/verify/ocsp.js';
import { noLinkage } from '../../../../adapters/jpki/verify/subject.js';
import { memoryAdapterStore } from '../../../helpers/adapter-store.js';

/** Assert that `p` rejects with a JpkiError of exactly `code`. */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: JpkiErrorCode): Promise<void> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  expect(isJpkiError(error) ? error.code : error).toBe(code);
  expect(isJpkiError(error, code)).toBe(true);
}

/** What the card does: RSASSA-PKCS1-v1_5 / SHA-256 over the challenge bytes. */
export async function cardSign(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, new Uint8Array(data)));
}

export function der(cert: X509Certificate): Uint8Array {
  return new Uint8Array(cert.rawData);
}

/** A custom end-entity certificate signed by `ca` (profile deviations for negative tests). */
export async function customCert(
  ca: CaMaterial,
  options: {
    extensions?: Extension[];
    notBefore?: Date;
    notAfter?: Date;
    subject?: string;
    /** Hex; random by default. */
    serialNumber?: string;
  } = {},
): Promise<{ certificate: X509Certificate; privateKey: CryptoKey }> {
  const keys = await crypto.subtle.generateKey(RSA_ALGORITHM, true, ['sign', 'verify']);
  const certificate = await X509CertificateGenerator.create({
    serialNumber:
      options.serialNumber ??
      Buffer.from(crypto.getRandomValues(new Uint8Array(8)))
        .toString('hex')
        .replace(/^./, '1'),
    subject: options.subject ?? 'C=JP, CN=CUSTOM',
    issuer: ca.certificate.subjectName,
    notBefore: options.notBefore ?? new Date(Date.now() - 3600_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 86400_000),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: options.extensions ?? authProfileExtensions(),
  });
  return { certificate, privateKey: keys.privateKey };
}

export function authProfileExtensions(): Extension[] {
  return [
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
    new CertificatePolicyExtension([POLICY_AUTH], true),
  ];
}

export { BasicConstraintsExtension, Extension };

/** subjectAltName with the given JPKI otherName values, each `[0] EXPLICIT UTF8String`. */
export function jpkiSan(values: Record<string, string>): Extension {
  const san = new SubjectAlternativeName(
    Object.entries(values).map(
      ([typeId, value]) =>
        new GeneralName({
          otherName: new OtherName({
            typeId,
            value: AsnConvert.serialize(new DirectoryString({ utf8String: value })),
          }),
        }),
    ),
  );
  return new Extension('2.5.29.17', false, AsnConvert.serialize(san));
}

/**
 * The verification dependencies for the test PKI: its anchors, the test policies, OCSP as the card's
 * certificates name it, refuse when unreachable, no linkage, a fresh memory store; `overrides` replace any.
 */
export function verifyDeps(pki: TestPki, overrides: Partial<JpkiVerifyDeps> = {}): JpkiVerifyDeps {
  return {
    now: Date.now,
    authAnchors: pki.authCaGenerations.map((g) => g.certificate),
    signAnchors: pki.signCaGenerations.map((g) => g.certificate),
    policies: { auth: [POLICY_AUTH], sign: [POLICY_SIGN_TEST] },
    revocation: new OcspChecker({ fetch }),
    onUnreachable: 'refuse',
    linkage: noLinkage,
    store: memoryAdapterStore('a:jpki'),
    instanceId: 'jpki',
    ...overrides,
  };
}
