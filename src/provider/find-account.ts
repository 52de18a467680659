/**
 * oidc-provider's `findAccount`: loads the sealed canonical identity for an
 * account id and turns it into claims, restricted to what the client may
 * receive (`allowed_claims`) and, for `verified_claims`, to what was asked.
 */
import type { Account, ClaimsParameterMember, FindAccount } from 'oidc-provider';
import type { ClientConfig } from '../../config/schema.js';
import { rememberProviderAccount } from '../core/account.js';
import type { TargetInstance } from '../core/adapter.js';
import type { CanonicalIdentity } from '../core/identity.js';
import { identityToClaims, verifiedClaims } from './claims.js';

export type AccountLoader = (accountId: string) => Promise<CanonicalIdentity | undefined>;

type ClaimsRequest = { [key: string]: null | ClaimsParameterMember };

function wantedVerified(scope: string, claims: ClaimsRequest, all: Record<string, unknown>): Set<string> {
  const requested = (claims as Record<string, unknown>).verified_claims;
  // A claims-parameter request names the verified claims it wants; the scope alone releases all verified ones.
  if (requested && typeof requested === 'object') {
    const list = Array.isArray(requested) ? requested : [requested];
    const names = new Set<string>();
    for (const r of list) {
      const inner = (r as { claims?: Record<string, unknown> }).claims;
      if (inner && typeof inner === 'object') for (const k of Object.keys(inner)) names.add(k);
    }
    return names;
  }
  return scope.split(' ').includes('verified_claims') ? new Set(Object.keys(all)) : new Set();
}

export function findAccountWith(
  load: AccountLoader,
  clients: ReadonlyMap<string, ClientConfig>,
  owners?: ReadonlyMap<string, TargetInstance>,
): FindAccount {
  return async (ctx, sub) => {
    const identity = await load(sub);
    if (!identity) return undefined;
    const account: Account = {
      accountId: sub,
      async claims(_use, scope, claims) {
        const allowed = clients.get(ctx.oidc.client?.clientId ?? '')?.allowed_claims;
        const all = identityToClaims(identity);
        const permitted = (name: string) =>
          !allowed || allowed.includes(name) || allowed.includes(name.split('#')[0]!);
        const out: Record<string, unknown> = { sub };
        for (const [name, value] of Object.entries(all)) if (permitted(name)) out[name] = value;
        const vc = verifiedClaims(
          identity,
          new Set([...wantedVerified(scope, claims, all)].filter(permitted)),
        );
        if (vc) out.verified_claims = vc;
        const clientId = ctx.oidc.client?.clientId ?? '';
        const owner = owners?.get(clientId);
        if (owner?.mapClaims) return { ...owner.mapClaims(identity, clientId, out), sub } as { sub: string };
        return out as { sub: string };
      },
    };
    rememberProviderAccount(account, identity);
    return account;
  };
}
