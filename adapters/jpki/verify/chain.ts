/**
 * Path validation for JPKI's one-level hierarchy (RFC 5280 §6, reduced):
 * EE -> pinned root. Roots come from configuration only, never from the card
 * or the request. Several root generations share one DN (schemes.md §1.2), so
 * the issuer is the anchor whose key verifies the certificate's signature.
 * Extension facts, names and keys are read once per certificate object
 * (certificate.ts); time validity is evaluated on every call.
 */
import 'reflect-metadata';
import { KeyUsageFlags, type X509Certificate } from '@peculiar/x509';
import { jpkiError } from '../errors.js';
import { certificateSignedBy, factsOf } from './certificate.js';

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

/**
 * The usable anchor with the certificate's issuer DN whose key verifies its signature.
 * Anchors whose subjectKeyIdentifier matches the certificate's authorityKeyIdentifier
 * are tried first (a hint for the order only: the signature decides).
 */
export async function selectIssuer(
  cert: X509Certificate,
  anchors: readonly X509Certificate[],
  now: number,
): Promise<X509Certificate | undefined> {
  const aki = factsOf(cert).authorityKeyId;
  const ordered = aki
    ? [
        ...anchors.filter((a) => factsOf(a).subjectKeyId?.equals(aki) === true),
        ...anchors.filter((a) => factsOf(a).subjectKeyId?.equals(aki) !== true),
      ]
    : anchors;
  for (const anchor of ordered) {
    if (!sameName(cert, anchor) || !isUsableAnchor(anchor, now)) continue;
    if (await verifiesSignature(cert, anchor)) return anchor;
  }
  return undefined;
}

/** A trust anchor must be a CA allowed to sign certificates and be within its validity period. */
export function isUsableAnchor(anchor: X509Certificate, now: number): boolean {
  const facts = factsOf(anchor);
  const ku = facts.keyUsage;
  return (
    facts.isCa &&
    ku !== undefined &&
    (ku & KeyUsageFlags.keyCertSign) !== 0 &&
    facts.notBefore <= now &&
    now <= facts.notAfter
  );
}

export function verifiesSignature(cert: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  return certificateSignedBy(cert, issuer);
}

function sameName(cert: X509Certificate, anchor: X509Certificate): boolean {
  return factsOf(cert).issuerDer.equals(factsOf(anchor).subjectDer);
}

export function checkValidity(cert: X509Certificate, now: number): void {
  const facts = factsOf(cert);
  if (now < facts.notBefore) throw jpkiError('ERR_JPKI_NOT_YET_VALID');
  if (now > facts.notAfter) throw jpkiError('ERR_JPKI_EXPIRED');
}

/** An end-entity certificate must not be a CA. */
export function checkNotCa(cert: X509Certificate): void {
  if (factsOf(cert).isCa) throw jpkiError('ERR_JPKI_KEY_USAGE');
}

/** auth: digitalSignature; sign: digitalSignature + nonRepudiation (schemes.md §1.1). */
export function checkKeyUsage(cert: X509Certificate, kind: CertKind): void {
  const ku = factsOf(cert).keyUsage;
  const required =
    kind === 'auth'
      ? KeyUsageFlags.digitalSignature
      : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation;
  if (ku === undefined || (ku & required) !== required) throw jpkiError('ERR_JPKI_KEY_USAGE');
}

export function checkPolicy(cert: X509Certificate, accepted: readonly string[]): void {
  if (!factsOf(cert).policies.some((p) => accepted.includes(p))) throw jpkiError('ERR_JPKI_POLICY');
}

export function checkCriticalExtensions(cert: X509Certificate): void {
  for (const ext of factsOf(cert).extensions) {
    if (ext.critical && !UNDERSTOOD_CRITICAL_EXTENSIONS.has(ext.type))
      throw jpkiError('ERR_JPKI_CRITICAL_EXTENSION');
  }
}
