/**
 * Stable pseudonymous subject for a card holder. Serials change on renewal
 * (schemes.md §6.3), so the subject of a renewed authentication certificate is
 * the subject of the first certificate ever seen in its renewal chain, found
 * through a LinkageService (証明書新旧紐付け情報) and remembered in the adapter store.
 */
import { createHash } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import type { AdapterStore } from '../../../src/core/adapter.js';
import { factsOf } from './certificate.js';

export interface IssuerSerial {
  /** Issuer DN as @peculiar/x509 prints it (RFC 4514 style). */
  issuer: string;
  /** Serial number, lower-case hex. */
  serial: string;
}

/** Certificate linkage data as provided by a JPKI platform operator. */
export interface LinkageService {
  /** The authentication certificate this one renewed, if known. */
  previousAuth(cert: X509Certificate): Promise<IssuerSerial | undefined>;
  /** Serial (hex) of the authentication certificate issued with this signing certificate (証明書紐付け情報), if known. */
  linkedAuthSerial(signCert: X509Certificate): Promise<string | undefined>;
}

/** The issuer DN is `cert.issuer`, read through the issuer-name cache (keyed by the issuer's DER). */
export function issuerSerialOf(cert: X509Certificate): IssuerSerial {
  return { issuer: factsOf(cert).issuerName, serial: normaliseSerial(cert.serialNumber) };
}

export function normaliseSerial(hex: string): string {
  return hex.toLowerCase().replace(/^(00)+(?=[0-9a-f])/, '') || '0';
}

/** base64url(SHA-256(issuer DN || 0x00 || serial hex)): stable, pseudonymous, no personal data. */
export async function subjectForIssuerSerial(id: IssuerSerial): Promise<string> {
  // Synchronous node:crypto: WebCrypto's digest is a thread-pool round trip per login.
  return createHash('sha256')
    .update(`${id.issuer}\u0000${normaliseSerial(id.serial)}`, 'utf8')
    .digest('base64url');
}

export function subjectFor(authCert: X509Certificate): Promise<string> {
  return subjectForIssuerSerial(issuerSerialOf(authCert));
}

const MAPPING_PREFIX = 'subject:';

/**
 * The canonical subject for `authCert`: a remembered mapping, else the canonical
 * subject of the certificate it renewed (remembered for next time), else its own.
 */
export async function resolveSubject(
  authCert: X509Certificate,
  linkage: LinkageService,
  store: AdapterStore,
): Promise<string> {
  const own = await subjectFor(authCert);
  const known = await store.get<string>(MAPPING_PREFIX + own);
  if (typeof known === 'string') return known;
  const previous = await linkage.previousAuth(authCert);
  if (!previous) return own;
  const previousSubject = await subjectForIssuerSerial(previous);
  const canonical = (await store.get<string>(MAPPING_PREFIX + previousSubject)) ?? previousSubject;
  await store.set(MAPPING_PREFIX + own, canonical);
  return canonical;
}

/** A linkage service that knows nothing: renewals start a new subject, sign<->auth links are unknown. */
export const noLinkage: LinkageService = {
  previousAuth: async () => undefined,
  linkedAuthSerial: async () => undefined,
};

/** In-memory linkage data for tests and the demo (what a platform operator would answer). */
export class SimulatedLinkageService implements LinkageService {
  readonly #previous = new Map<string, IssuerSerial>();
  readonly #signToAuth = new Map<string, string>();

  /** Record the certificates of one card, and optionally the auth certificate it replaced. */
  link(link: { auth: X509Certificate; sign?: X509Certificate; previousAuth?: X509Certificate }): void {
    if (link.sign) this.#signToAuth.set(key(issuerSerialOf(link.sign)), issuerSerialOf(link.auth).serial);
    if (link.previousAuth)
      this.#previous.set(key(issuerSerialOf(link.auth)), issuerSerialOf(link.previousAuth));
  }

  async previousAuth(cert: X509Certificate): Promise<IssuerSerial | undefined> {
    return this.#previous.get(key(issuerSerialOf(cert)));
  }

  async linkedAuthSerial(signCert: X509Certificate): Promise<string | undefined> {
    return this.#signToAuth.get(key(issuerSerialOf(signCert)));
  }
}

function key(id: IssuerSerial): string {
  return `${id.issuer}\u0000${id.serial}`;
}
