/**
 * Path validation for JPKI's one-level hierarchy (RFC 5280 §6, reduced):
 * EE -> pinned root. Roots come from configuration only, never from the card
 * or the request. Several root generations share one DN (schemes.md §1.2), so
 * the issuer is the anchor whose key verifies the certificate's signature.
 */
import 'reflect-metadata';
import {
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  type X509Certificate,
} from '@peculiar/x509';
import { jpkiError } from '../errors.js';

export type CertKind = 'auth' | 'sign';

/** JPKI certificate policy OIDs (arc 1.2.392.200149.8.5.1). */
export const JPKI_POLICY = {
  auth: '1.2.392.200149.8.5.1.3.30',
  signProduction: '1.2.392.200149.8.5.1.1.20',
  signTest: '1.2.392.200149.8.5.1.0.20',
} as const;

/** Extensions we process, so may be critical: keyUsage, subjectAltName, issuerAltName, basicConstraints, certificatePolicies. */
export const UNDERSTOOD_CRITICAL_EXTENSIONS: ReadonlySet<string> = new Set([
  '2.5.29.15',
  '2.5.29.17',
  '2.5.29.18',
  '2.5.29.19',
  '2.5.29.32',
]);

export interface ChainOptions {
  /** Milliseconds since the epoch. */
  now: number;
  kind: CertKind;
  /** Accepted certificatePolicies OIDs for this kind; the certificate must carry at least one. */
  policies: readonly string[];
  /** Anchors of the other kind, only to tell ERR_JPKI_WRONG_CA_KIND from ERR_JPKI_UNTRUSTED_CA. Never trusted. */
  otherKindAnchors?: readonly X509Certificate[];
}

/**
 * Validate `cert` against the pinned `anchors` of its kind and return the issuing anchor.
 * Throws the first failing step's JpkiError.
 */
export async function buildChain(
  cert: X509Certificate,
  anchors: readonly X509Certificate[],
  options: ChainOptions,
): Promise<X509Certificate> {
  const issuer = await selectIssuer(cert, anchors, options.now);
  if (!issuer) {
    const wrongKind =
      options.otherKindAnchors && (await selectIssuer(cert, options.otherKindAnchors, options.now));
    throw jpkiError(wrongKind ? 'ERR_JPKI_WRONG_CA_KIND' : 'ERR_JPKI_UNTRUSTED_CA');
  }
  checkValidity(cert, options.now);
  checkNotCa(cert);
  checkKeyUsage(cert, options.kind);
  checkPolicy(cert, options.policies);
  checkCriticalExtensions(cert);
  return issuer;
}

/** The usable anchor with the certificate's issuer DN whose key verifies its signature. */
export async function selectIssuer(
  cert: X509Certificate,
  anchors: readonly X509Certificate[],
  now: number,
): Promise<X509Certificate | undefined> {
  for (const anchor of anchors) {
    if (!sameName(cert, anchor) || !isUsableAnchor(anchor, now)) continue;
    if (await verifiesSignature(cert, anchor)) return anchor;
  }
  return undefined;
}

/** A trust anchor must be a CA allowed to sign certificates and be within its validity period. */
export function isUsableAnchor(anchor: X509Certificate, now: number): boolean {
  const bc = anchor.getExtension(BasicConstraintsExtension);
  const ku = anchor.getExtension(KeyUsagesExtension);
  return (
    bc?.ca === true &&
    ku !== null &&
    (ku.usages & KeyUsageFlags.keyCertSign) !== 0 &&
    anchor.notBefore.getTime() <= now &&
    now <= anchor.notAfter.getTime()
  );
}

export async function verifiesSignature(cert: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  try {
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

function sameName(cert: X509Certificate, anchor: X509Certificate): boolean {
  return Buffer.from(cert.issuerName.toArrayBuffer()).equals(Buffer.from(anchor.subjectName.toArrayBuffer()));
}

export function checkValidity(cert: X509Certificate, now: number): void {
  if (now < cert.notBefore.getTime()) throw jpkiError('ERR_JPKI_NOT_YET_VALID');
  if (now > cert.notAfter.getTime()) throw jpkiError('ERR_JPKI_EXPIRED');
}

/** An end-entity certificate must not be a CA. */
export function checkNotCa(cert: X509Certificate): void {
  if (cert.getExtension(BasicConstraintsExtension)?.ca === true) throw jpkiError('ERR_JPKI_KEY_USAGE');
}

/** auth: digitalSignature; sign: digitalSignature + nonRepudiation (schemes.md §1.1). */
export function checkKeyUsage(cert: X509Certificate, kind: CertKind): void {
  const ku = cert.getExtension(KeyUsagesExtension);
  const required =
    kind === 'auth'
      ? KeyUsageFlags.digitalSignature
      : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation;
  if (!ku || (ku.usages & required) !== required) throw jpkiError('ERR_JPKI_KEY_USAGE');
}

export function checkPolicy(cert: X509Certificate, accepted: readonly string[]): void {
  const policies = cert.getExtension(CertificatePolicyExtension)?.policies ?? [];
  if (!policies.some((p) => accepted.includes(p))) throw jpkiError('ERR_JPKI_POLICY');
}

export function checkCriticalExtensions(cert: X509Certificate): void {
  for (const ext of cert.extensions) {
    if (ext.critical && !UNDERSTOOD_CRITICAL_EXTENSIONS.has(ext.type))
      throw jpkiError('ERR_JPKI_CRITICAL_EXTENSION');
  }
}
