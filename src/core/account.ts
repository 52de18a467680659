/**
 * Account ids and the sealed identity record.
 *
 * The account id is a keyed hash (HMAC-SHA-256 under the gateway's pepper) of
 * the source-scoped subject, so neither it nor any pairwise `sub` derived from
 * it reveals the source's identifier. The canonical identity itself is kept
 * only encrypted (SealedStore) and expires with the grant.
 */
import { createHash, createHmac } from 'node:crypto';
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

/**
 * The identity oidc-provider's `findAccount` loaded for one of its Account objects, keyed by that object
 * itself (never by account id): a credential endpoint hook that receives the request's Account can use the
 * identity loaded for this very request instead of opening the sealed record a second time. An object that
 * merely carries the same accountId finds nothing. Weak: gone with the request.
 */
const providerAccounts = new WeakMap<object, CanonicalIdentity>();

export function rememberProviderAccount(account: object, identity: CanonicalIdentity): void {
  providerAccounts.set(account, identity);
}

/** The identity loaded for this Account object in this request, or undefined for any other value. */
export function providerAccountIdentity(account: unknown): CanonicalIdentity | undefined {
  return typeof account === 'object' && account !== null ? providerAccounts.get(account) : undefined;
}

/** How many accounts' last validated identity the vault remembers (as a digest, never the attributes). */
const VALIDATED_MAX = 1_024;

export function createIdentityVault(sealed: SealedStore, ttlSeconds: number): IdentityVault {
  // A login loads the same sealed identity at the authorization resume, the token and the userinfo request.
  // Each load still opens the sealed record and gets a fresh copy; only the schema check is skipped when the
  // record's JSON is exactly one that passed the check before (SHA-256 of it, per account).
  const validated = new Map<string, string>();
  const digest = (text: string) => createHash('sha256').update(text).digest('base64url');
  return {
    save: (accountId, identity) => sealed.put(NAMESPACE, accountId, identity, ttlSeconds),
    async load(accountId) {
      const value = await sealed.get(NAMESPACE, accountId);
      if (value === undefined) return undefined;
      const text = digest(JSON.stringify(value));
      if (validated.get(accountId) === text) return value as CanonicalIdentity;
      const identity = parseCanonicalIdentity(value);
      // Remember only when the checked output is the stored JSON itself (no defaults filled in).
      if (digest(JSON.stringify(identity)) === text) {
        validated.delete(accountId);
        if (validated.size >= VALIDATED_MAX) validated.delete(validated.keys().next().value as string);
        validated.set(accountId, text);
      }
      return identity;
    },
    forget: async (accountId) => {
      validated.delete(accountId);
      await sealed.delete(NAMESPACE, accountId);
    },
  };
}
