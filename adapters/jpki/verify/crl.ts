/**
 * CRL checking (RFC 5280 §6.3, reduced to JPKI's complete CRLs, whole or partitioned):
 * DER over HTTP from the certificate's CRL distribution point or a configured URL,
 * signature by the issuing CA generation, freshness, scope (issuingDistributionPoint),
 * serial lookup. Verified CRLs are cached until their nextUpdate (bounded by cacheMaxSeconds).
 */
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  type DistributionPoint,
  type GeneralName,
  IssuingDistributionPoint,
  id_ce_issuingDistributionPoint,
  type Name,
} from '@peculiar/asn1-x509';
import { CRLDistributionPointsExtension, type X509Certificate, X509Crl } from '@peculiar/x509';
import { jpkiError } from '../errors.js';
import { factsOf } from './certificate.js';
import {
  ExpiringCache,
  fetchBytes,
  type HttpDeps,
  isHttpUrl,
  type RevocationChecker,
  type RevocationGood,
} from './revocation.js';

const MAX_CRL_BYTES = 20 * 1024 * 1024;
/**
 * CRL extensions we understand (authorityKeyIdentifier, cRLNumber, issuingDistributionPoint). Any other
 * critical one (e.g. a delta CRL indicator: we use complete CRLs only) is refused.
 */
const UNDERSTOOD_CRITICAL_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  '2.5.29.35',
  '2.5.29.20',
  id_ce_issuingDistributionPoint,
]);

/** Where the CRL of one partition (a directoryName distribution point, J-LIS style) can be fetched over HTTP. */
export interface CrlPartition {
  readonly distributionPoint: Name;
  readonly url: string;
}

export interface CrlCheckerOptions extends HttpDeps {
  /** CRL URL for every certificate; default: the partition, else the certificate's first http(s) distribution point. */
  url?: string;
  /**
   * Partitions named by directoryName distribution points (the JPKI signing certificate names only its
   * municipality's, `C=JP, O=JPKI, OU=…, OU=CRL Distribution Points, OU=<prefecture>, CN=<city>`), each with the
   * HTTP URL its CRL is mirrored at. The CRL fetched must still name that partition in its
   * issuingDistributionPoint (checkCrlScope), so a wrong mapping refuses rather than answers.
   */
  partitions?: readonly CrlPartition[];
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
    const url = this.#options.url ?? partitionUrlOf(cert, this.#options.partitions) ?? crlUrlOf(cert);
    if (!isHttpUrl(url)) throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
    const { crl, fetchedAt } = await this.#load(url, issuer);
    checkCrlScope(crl, cert);
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
    let crl: EntryCheckedCrl;
    try {
      crl = new EntryCheckedCrl(der);
    } catch (e) {
      throw jpkiError('ERR_JPKI_STATUS_UNKNOWN', e);
    }
    await verifyCrl(crl, issuer);
    if (crl.hasUnknownCriticalEntryExtension()) throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
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

/** Entry extensions we understand: reasonCode, invalidityDate (both non-critical by RFC 5280 §5.3). */
const UNDERSTOOD_CRITICAL_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set(['2.5.29.21', '2.5.29.24']);

/** An X509Crl that reads its entries' extensions from the parse it already has (no per-entry objects). */
class EntryCheckedCrl extends X509Crl {
  /**
   * RFC 5280 §5.3: a CRL with a critical entry extension we cannot process must not be used for any
   * certificate (e.g. certificateIssuer, which makes the CRL indirect).
   */
  hasUnknownCriticalEntryExtension(): boolean {
    return (this.asn.tbsCertList.revokedCertificates ?? []).some((entry) =>
      (entry.crlEntryExtensions ?? []).some(
        (e) => e.critical && !UNDERSTOOD_CRITICAL_ENTRY_EXTENSIONS.has(e.extnID),
      ),
    );
  }
}

function crlUrlOf(cert: X509Certificate): string | undefined {
  for (const dp of distributionPointsOf(cert)) {
    for (const name of dp.distributionPoint?.fullName ?? []) {
      if (isHttpUrl(name.uniformResourceIdentifier)) return name.uniformResourceIdentifier;
    }
  }
  return undefined;
}

/** The configured URL of the partition one of the certificate's own directoryName distribution points names. */
function partitionUrlOf(cert: X509Certificate, partitions: readonly CrlPartition[] = []): string | undefined {
  if (partitions.length === 0) return undefined;
  for (const dp of distributionPointsOf(cert)) {
    if (dp.cRLIssuer) continue; // indirect: not ours to answer (checkCrlScope refuses it too)
    for (const name of dp.distributionPoint?.fullName ?? []) {
      if (!name.directoryName) continue;
      const mine = name.directoryName;
      const hit = partitions.find((p) => sameName(p.distributionPoint, mine));
      if (hit) return hit.url;
    }
  }
  return undefined;
}

function distributionPointsOf(cert: X509Certificate): readonly DistributionPoint[] {
  return cert.getExtension(CRLDistributionPointsExtension)?.distributionPoints ?? [];
}

/**
 * RFC 5280 §5.2.5, §6.3.3 (b)(2): a CRL with an issuingDistributionPoint covers only part of the CA's
 * certificates (J-LIS partitions its CRLs by municipality, named by a directoryName distribution point).
 * It answers for `cert` only if it is a direct CRL for end-entity certificates and all reasons and, when
 * it names a distribution point, that name is one of the certificate's own cRLDistributionPoints.
 * Otherwise absence from it says nothing: the status is unknown. Checked whether or not the extension
 * is marked critical: read as a complete CRL, a partition would call every other partition's
 * certificates good.
 */
export function checkCrlScope(crl: X509Crl, cert: X509Certificate): void {
  const idp = issuingDistributionPointOf(crl);
  if (!idp) return;
  if (
    idp.onlyContainsCACerts ||
    idp.onlyContainsAttributeCerts ||
    idp.indirectCRL ||
    idp.onlySomeReasons !== undefined ||
    (idp.onlyContainsUserCerts && factsOf(cert).isCa)
  ) {
    throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
  }
  const scope = idp.distributionPoint;
  if (!scope) return;
  // nameRelativeToCRLIssuer (and a certificate DP naming a cRLIssuer: indirect) are not supported.
  const names = scope.fullName ?? [];
  const covered = distributionPointsOf(cert).some(
    (dp) =>
      !dp.cRLIssuer &&
      (dp.distributionPoint?.fullName ?? []).some((mine) =>
        names.some((theirs) => sameGeneralName(mine, theirs)),
      ),
  );
  if (!covered) throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
}

/** A cached CRL's issuingDistributionPoint, decoded once (every login it answers for asks). */
const idpOf = new WeakMap<X509Crl, IssuingDistributionPoint | null>();
function issuingDistributionPointOf(crl: X509Crl): IssuingDistributionPoint | undefined {
  let idp = idpOf.get(crl);
  if (idp === undefined) {
    const ext = crl.extensions.find((e) => e.type === id_ce_issuingDistributionPoint);
    try {
      idp = ext ? AsnConvert.parse(ext.value, IssuingDistributionPoint) : null;
    } catch (e) {
      throw jpkiError('ERR_JPKI_STATUS_UNKNOWN', e);
    }
    idpOf.set(crl, idp);
  }
  return idp ?? undefined;
}

/** URIs exactly; directory names per RFC 5280 §7.1 (simplified: string type, case and spacing ignored); others by DER. */
function sameGeneralName(a: GeneralName, b: GeneralName): boolean {
  if (a.uniformResourceIdentifier !== undefined || b.uniformResourceIdentifier !== undefined) {
    return a.uniformResourceIdentifier === b.uniformResourceIdentifier;
  }
  if (a.directoryName && b.directoryName) return sameName(a.directoryName, b.directoryName);
  return Buffer.from(AsnConvert.serialize(a)).equals(Buffer.from(AsnConvert.serialize(b)));
}

function sameName(a: Name, b: Name): boolean {
  return (
    a.length === b.length &&
    a.every((rdn, i) => {
      const other = b[i];
      if (!other || rdn.length !== other.length) return false;
      const keys = new Set(other.map(attributeKey));
      return rdn.every((atv) => keys.has(attributeKey(atv)));
    })
  );
}

function attributeKey(atv: Name[number][number]): string {
  const v = atv.value;
  if (v.anyValue) return `${atv.type}|der:${Buffer.from(v.anyValue).toString('hex')}`;
  const text = v.toString().normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  return `${atv.type}|${text}`;
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
