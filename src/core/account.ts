/**
 * Account ids and the sealed identity record.
 *
 * The account id is a keyed hash (HMAC-SHA-256 under the gateway's pepper) of
 * the source-scoped subject, so neither it nor any pairwise `sub` derived from
 * it reveals the source's identifier. The canonical identity itself is kept
 * only encrypted (SealedStore) and expires with the grant.
 */
import { createHmac } from 'node:crypto';
import type { SealedStore } from './adapter.js';
import type { CanonicalIdentity } from './identity.js';
import { parseCanonicalIdentity } from './parse-identity.js';

const NAMESPACE = 'identity';

export function accountIdFor(identity: Pick<CanonicalIdentity, 'subject'>, pepper: Uint8Array): string {
  return createHmac('sha256', pepper)
    .update(`account\0${identity.subject.issuer}\0${identity.subject.id}`)
    .digest('base64url');
}

export interface IdentityVault {
  save(accountId: string, identity: CanonicalIdentity): Promise<void>;
  load(accountId: string): Promise<CanonicalIdentity | undefined>;
  forget(accountId: string): Promise<void>;
}

export function createIdentityVault(sealed: SealedStore, ttlSeconds: number): IdentityVault {
  return {
    save: (accountId, identity) => sealed.put(NAMESPACE, accountId, identity, ttlSeconds),
    async load(accountId) {
      const value = await sealed.get(NAMESPACE, accountId);
      return value === undefined ? undefined : parseCanonicalIdentity(value);
    },
    forget: (accountId) => sealed.delete(NAMESPACE, accountId),
  };
}
