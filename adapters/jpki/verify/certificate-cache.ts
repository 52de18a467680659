/**
 * A bounded LRU of parsed card certificates keyed by the SHA-256 of their DER,
 * so a returning card's certificate is not parsed again. Only the parse is
 * shared: parsing is a pure function of the bytes, and every check (signature,
 * chain, validity, revocation) still runs on every login against the cached
 * object. Failures are never cached.
 */
import { createHash } from 'node:crypto';
import { factsOf, type ParsedCertificate } from './certificate.js';
import { checkCertificateEnvelope, parseCertificateDer } from './der.js';

export interface CachedCertificate {
  cert: ParsedCertificate;
  /** SHA-256 of the DER (the evidence thumbprint). */
  sha256: Buffer;
}

export class CertificateCache {
  readonly #entries = new Map<string, CachedCertificate>();
  readonly #max: number;

  /** `maxEntries` 0 disables caching (every call parses). */
  constructor(maxEntries = 1024) {
    this.#max = maxEntries;
  }

  /** parseCertificateDer, served from the cache for bytes seen before. Same errors, same order. */
  parse(der: Uint8Array): CachedCertificate {
    checkCertificateEnvelope(der);
    const sha256 = createHash('sha256').update(der).digest();
    const key = sha256.toString('base64');
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const entry = { cert: parseCertificateDer(der), sha256 };
    factsOf(entry.cert).rememberSha256(sha256);
    if (this.#max > 0) {
      if (this.#entries.size >= this.#max) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      this.#entries.set(key, entry);
    }
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The process-wide default: certificate parses are pure, so instances may share it. */
export const sharedCertificateCache = new CertificateCache();
