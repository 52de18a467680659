/**
 * Certificate status and linkage through a JPKI platform operator
 * (プラットフォーム事業者, schemes.md §1.3, §6.3). The wire shape is the
 * project's own (see adapters/jpki/pki/platform-status.ts); real operators'
 * APIs differ and need their own client behind the same interfaces.
 *
 * `POST <url>` `{ "certificate": "<base64url DER>" }` -> `{ status, checked_at,
 * linked_auth_serial?, previous_auth?: { issuer, serial } }`.
 */
import type { X509Certificate } from '@peculiar/x509';
import { z } from 'zod';
import { jpkiError } from '../errors.js';
import { factsOf } from './certificate.js';
import { encodeBase64Url } from './der.js';
import {
  ExpiringCache,
  fetchBytes,
  type HttpDeps,
  type RevocationChecker,
  type RevocationGood,
} from './revocation.js';
import type { IssuerSerial, LinkageService } from './subject.js';
import { issuerSerialOf, normaliseSerial } from './subject.js';

const hexSerial = z.string().regex(/^[0-9A-Fa-f]{1,64}$/);

export const platformStatusResponseSchema = z.object({
  status: z.enum(['good', 'revoked', 'unknown']),
  checked_at: z.number().int().nonnegative(),
  linked_auth_serial: hexSerial.optional(),
  previous_auth: z.object({ issuer: z.string().min(1).max(1024), serial: hexSerial }).optional(),
});
export type PlatformStatus = z.infer<typeof platformStatusResponseSchema>;

export interface PlatformClientOptions extends HttpDeps {
  url: string;
  now?: () => number;
  /** How long one answer serves both the status check and the linkage lookups, default 60 s. */
  memoSeconds?: number;
  /** Upper bound for reusing an answer (the source's `cacheMaxSeconds`); 0 asks the operator every time. */
  cacheMaxSeconds?: number;
}

/** One POST per certificate, shared by the status checker and the linkage service for a short while. */
export class PlatformStatusClient {
  readonly #options: PlatformClientOptions;
  readonly #memo: ExpiringCache<PlatformStatus>;
  readonly #now: () => number;

  constructor(options: PlatformClientOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#memo = new ExpiringCache(this.#now, 1000);
  }

  async query(cert: X509Certificate): Promise<PlatformStatus> {
    // SHA-256 of the DER, memoised per certificate object (synchronous node:crypto, no WebCrypto round trip).
    const key = factsOf(cert).sha256.toString('base64url');
    const memo = this.#memo.get(key);
    if (memo) return memo;
    const body = await fetchBytes(
      this.#options,
      this.#options.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ certificate: encodeBase64Url(cert.rawData) }),
      },
      64 * 1024,
    );
    let parsed: PlatformStatus;
    try {
      parsed = platformStatusResponseSchema.parse(JSON.parse(Buffer.from(body).toString('utf8')));
    } catch (e) {
      throw jpkiError('ERR_JPKI_STATUS_UNKNOWN', e);
    }
    // Never memoise a refusal: only good answers are reused.
    if (parsed.status === 'good') {
      const seconds = Math.min(this.#options.memoSeconds ?? 60, this.#options.cacheMaxSeconds ?? Infinity);
      this.#memo.set(key, parsed, this.#now() + seconds * 1000);
    }
    return parsed;
  }
}

export class PlatformStatusChecker implements RevocationChecker {
  readonly #client: PlatformStatusClient;

  constructor(client: PlatformStatusClient) {
    this.#client = client;
  }

  async check(cert: X509Certificate): Promise<RevocationGood> {
    const answer = await this.#client.query(cert);
    if (answer.status === 'revoked') throw jpkiError('ERR_JPKI_REVOKED');
    if (answer.status !== 'good') throw jpkiError('ERR_JPKI_STATUS_UNKNOWN');
    return { status: 'good', source: 'platform', checkedAt: answer.checked_at * 1000 };
  }
}

/** Linkage data (証明書紐付け情報 / 証明書新旧紐付け情報) from the platform status answer. */
export class PlatformLinkageService implements LinkageService {
  readonly #client: PlatformStatusClient;

  constructor(client: PlatformStatusClient) {
    this.#client = client;
  }

  async previousAuth(cert: X509Certificate): Promise<IssuerSerial | undefined> {
    const prev = (await this.#client.query(cert)).previous_auth;
    if (!prev) return undefined;
    const id = { issuer: prev.issuer, serial: normaliseSerial(prev.serial) };
    // A certificate cannot renew itself; guard against a loop in the operator's data.
    const own = issuerSerialOf(cert);
    return id.issuer === own.issuer && id.serial === own.serial ? undefined : id;
  }

  async linkedAuthSerial(signCert: X509Certificate): Promise<string | undefined> {
    const linked = (await this.#client.query(signCert)).linked_auth_serial;
    return linked === undefined ? undefined : normaliseSerial(linked);
  }
}
