/**
 * CRL checking (RFC 5280 §6.3, reduced to JPKI's full CRLs): DER over HTTP from
 * the certificate's CRL distribution point or a configured URL, signature by the
 * issuing CA generation, freshness, serial lookup. Verified CRLs are cached
 * until their nextUpdate (bounded by cacheMaxSeconds).
 */
import 'reflect-metadata';
import { CRLDistributionPointsExtension, type X509Certificate, X509Crl } from '@peculiar/x509';
import { jpkiError } from '../errors.js';
import {
  ExpiringCache,
  fetchBytes,
  type HttpDeps,
  isHttpUrl,
  type RevocationChecker,
  type RevocationGood,
} from './revocation.js';

const MAX_CRL_BYTES = 20 * 1024 * 1024;
/** CRL extensions we understand (authorityKeyIdentifier, cRLNumber). A critical IDP or delta indicator is refused. */
const UNDERSTOOD_CRITICAL_CRL_EXTENSIONS: ReadonlySet<string> = new Set(['2.5.29.35', '2.5.29.20']);

export interface CrlCheckerOptions extends HttpDeps {
  /** CRL URL; default: the certificate's first http(s) CRL distribution point. */
  url?: string;
  now?: () => number;
  clockSkewSeconds?: number;
  /** Upper bound for caching a CRL, default 3600 s. */
  cacheMaxSeconds?: number;
}

export class CrlChecker implements RevocationChecker {
  readonly #options: CrlCheckerOptions;
  readonly #now: () => number;
  readonly #cache: ExpiringCache<{ crl: X509Crl; fetchedAt: number }>;

  constructor(options: CrlCheckerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#cache = new ExpiringCache(this.#now, 64);
  }

  async check(cert: X509Certificate, issuer: X509Certificate): Promise<RevocationGood> {
    const url = this.#options.url ?? crlUrlOf(cert);
    if (!isHttpUrl(url)) throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
    const { crl, fetchedAt } = await this.#load(url, issuer);
    if (crl.findRevoked(cert)) throw jpkiError('ERR_JPKI_REVOKED');
    return { status: 'good', source: 'crl', checkedAt: fetchedAt };
  }

  async #load(url: string, issuer: X509Certificate): Promise<{ crl: X509Crl; fetchedAt: number }> {
    // Keyed by issuer key too: each CA generation signs its own CRL.
    const cacheKey = `${url}|${Buffer.from(await issuer.publicKey.getThumbprint('SHA-256')).toString('hex')}`;
    const cached = this.#cache.get(cacheKey);
    if (cached) {
      checkCrlFreshness(cached.crl, this.#now(), this.#options.clockSkewSeconds);
      return cached;
    }
    const der = await fetchBytes(this.#options, url, { method: 'GET' }, MAX_CRL_BYTES);
    let crl: X509Crl;
    try {
      crl = new X509Crl(der);
    } catch (e) {
      throw jpkiError('ERR_JPKI_STATUS_UNKNOWN', e);
    }
    await verifyCrl(crl, issuer);
    const nextUpdate = checkCrlFreshness(crl, this.#now(), this.#options.clockSkewSeconds);
    const entry = { crl, fetchedAt: this.#now() };
    this.#cache.set(
      cacheKey,
      entry,
      Math.min(nextUpdate, this.#now() + (this.#options.cacheMaxSeconds ?? 3600) * 1000),
    );
    return entry;
  }
}

function crlUrlOf(cert: X509Certificate): string | undefined {
  const ext = cert.getExtension(CRLDistributionPointsExtension);
  for (const dp of ext?.distributionPoints ?? []) {
    for (const name of dp.distributionPoint?.fullName ?? []) {
      if (isHttpUrl(name.uniformResourceIdentifier)) return name.uniformResourceIdentifier;
    }
  }
  return undefined;
}

/** The CRL must name the issuer, be signed by its key, and carry only understood critical extensions. */
export async function verifyCrl(crl: X509Crl, issuer: X509Certificate): Promise<void> {
  const sameIssuer = Buffer.from(crl.issuerName.toArrayBuffer()).equals(
    Buffer.from(issuer.subjectName.toArrayBuffer()),
  );
  let ok = false;
  try {
    ok = sameIssuer && (await crl.verify({ publicKey: issuer.publicKey }));
  } catch {
    ok = false;
  }
  if (!ok) throw jpkiError('ERR_JPKI_CRL_SIGNATURE');
  for (const ext of crl.extensions) {
    if (ext.critical && !UNDERSTOOD_CRITICAL_CRL_EXTENSIONS.has(ext.type))
      throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
  }
}

/** thisUpdate not in the future, nextUpdate present and not passed. Returns nextUpdate (ms). */
export function checkCrlFreshness(crl: X509Crl, now: number, clockSkewSeconds = 120): number {
  const skew = clockSkewSeconds * 1000;
  const nextUpdate = crl.nextUpdate?.getTime();
  if (crl.thisUpdate.getTime() > now + skew || nextUpdate === undefined || nextUpdate < now - skew) {
    throw jpkiError('ERR_JPKI_CRL_STALE');
  }
  return nextUpdate;
}
