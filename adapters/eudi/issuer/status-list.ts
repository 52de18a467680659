/**
 * The issuer's Token Status List (draft-ietf-oauth-status-list, 1 bit per credential: 0 valid, 1 revoked).
 * Indices are drawn at random (the draft's advice against correlation by index order) and reserved with
 * `setIfAbsent`; the list itself is one record of compressed bits. Nothing personal is stored: only random
 * credential ids and indices. Revocation is read-modify-write of that record (rare, administrative).
 */
import { randomInt } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AdapterStore } from '../../../src/core/adapter.js';
import { eudiError } from '../errors.js';
import { compressStatusBits, decompressStatusBits } from '../sd-jwt.js';
import type { IssuerSigner } from './issuer-key.js';

export interface StatusListOptions {
  readonly store: AdapterStore;
  /** Number of entries (bits); at least 16 k keeps a herd for privacy. */
  readonly size: number;
  /** Absolute URL the list token is served at (its `sub`). */
  readonly uri: string;
  /** Seconds relying parties may cache the token (`ttl`) and its lifetime (`exp`). */
  readonly ttlSeconds: number;
  readonly now: () => number;
}

export interface StatusListService {
  readonly uri: string;
  /** Reserve a fresh index for a credential id that lives `lifetimeSeconds`. */
  allocate(credentialId: string, lifetimeSeconds: number): Promise<number>;
  /** Mark a credential revoked; false when the id is unknown (never issued, or expired and forgotten). */
  revoke(credentialId: string): Promise<boolean>;
  /** Current status bits (index -> 0/1). */
  bits(): Promise<number[]>;
  /** A signed status list token (`typ: statuslist+jwt`, x5c of the issuer). */
  token(signer: IssuerSigner): Promise<string>;
}

const BITS_KEY = 'status:bits';
const MAX_TRIES = 32;

export function createStatusList(o: StatusListOptions): StatusListService {
  const read = async () => {
    const lst = await o.store.get<string>(BITS_KEY);
    return lst ? decompressStatusBits(lst, o.size) : new Array<number>(o.size).fill(0);
  };
  return {
    uri: o.uri,
    async allocate(credentialId, lifetimeSeconds) {
      for (let i = 0; i < MAX_TRIES; i++) {
        const idx = randomInt(o.size);
        // Reserved for the credential's lifetime plus a day, so a later credential never reuses a revoked bit early.
        if (await o.store.setIfAbsent(`status:idx:${idx}`, credentialId, lifetimeSeconds + 86_400)) {
          await o.store.set(`status:cred:${credentialId}`, idx, lifetimeSeconds + 86_400);
          return idx;
        }
      }
      throw eudiError('ERR_EUDI_STATUS_FULL', { oauth: 'server_error' });
    },
    async revoke(credentialId) {
      const idx = await o.store.get<number>(`status:cred:${credentialId}`);
      if (typeof idx !== 'number') return false;
      const bits = await read();
      bits[idx] = 1;
      await o.store.set(BITS_KEY, compressStatusBits(bits));
      return true;
    },
    bits: read,
    async token(signer) {
      const iat = Math.floor(o.now() / 1000);
      return new SignJWT({
        ttl: o.ttlSeconds,
        status_list: { bits: 1, lst: compressStatusBits(await read()) },
      })
        .setProtectedHeader({ alg: signer.alg, typ: 'statuslist+jwt', x5c: [...signer.x5c] })
        .setSubject(o.uri)
        .setIssuedAt(iat)
        .setExpirationTime(iat + o.ttlSeconds * 2)
        .sign(signer.privateKey);
    },
  };
}
