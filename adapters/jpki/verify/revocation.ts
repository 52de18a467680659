/**
 * The revocation interface shared by the OCSP, CRL and platform-operator
 * checkers, the unreachable-responder policy, and the small HTTP and cache
 * helpers they use.
 */
import type { X509Certificate } from '@peculiar/x509';
import { isJpkiError, jpkiError } from '../errors.js';

export interface RevocationGood {
  status: 'good';
  /** `ocsp`, `crl` or `platform`. */
  source: string;
  /** Epoch milliseconds of the check (of the cached answer when served from cache). */
  checkedAt: number;
}

/** Resolves only for a certificate known to be good; throws a JpkiError otherwise. */
export interface RevocationChecker {
  check(cert: X509Certificate, issuer: X509Certificate): Promise<RevocationGood>;
}

export type OnUnreachable = 'refuse' | 'allow';

export type RevocationOutcome = RevocationGood | { status: 'unchecked'; source: string; checkedAt: number };

/**
 * Apply the unreachable-responder policy: with 'allow', ERR_JPKI_RESPONDER_UNREACHABLE
 * becomes an `unchecked` outcome (recorded in the identity); every other refusal stands.
 */
export async function checkRevocation(
  checker: RevocationChecker,
  cert: X509Certificate,
  issuer: X509Certificate,
  onUnreachable: OnUnreachable,
  now: () => number,
): Promise<RevocationOutcome> {
  try {
    return await checker.check(cert, issuer);
  } catch (e) {
    if (onUnreachable === 'allow' && isJpkiError(e, 'ERR_JPKI_RESPONDER_UNREACHABLE')) {
      return { status: 'unchecked', source: 'unreachable', checkedAt: now() };
    }
    throw e;
  }
}

export interface HttpDeps {
  fetch: typeof fetch;
  /** Per-request timeout, default 5 s. */
  timeoutMs?: number;
}

/** Fetch a binary body with a size cap; network errors, timeouts, non-2xx and oversize all mean "unreachable". */
export async function fetchBytes(
  deps: HttpDeps,
  url: string,
  init: RequestInit,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  let res: Response;
  try {
    res = await deps.fetch(url, {
      ...init,
      redirect: 'error',
      signal: AbortSignal.timeout(deps.timeoutMs ?? 5000),
    });
  } catch (e) {
    throw jpkiError('ERR_JPKI_RESPONDER_UNREACHABLE', e);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw jpkiError('ERR_JPKI_RESPONDER_UNREACHABLE');
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new Error('response too large');
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw jpkiError('ERR_JPKI_RESPONDER_UNREACHABLE', e);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Only absolute http(s) URLs are fetched (CRLDP/AIA may carry LDAP or directory names). */
export function isHttpUrl(value: string | undefined): value is string {
  if (!value) return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A bounded in-memory cache of good answers; entries expire at their own deadline. */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(now: () => number, maxEntries = 10_000) {
    this.#now = now;
    this.#max = maxEntries;
  }

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, expiresAt: number): void {
    if (expiresAt <= this.#now()) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  get size(): number {
    return this.#entries.size;
  }
}
