/**
 * The issuer's moving parts put together: signer + x5c, status list, and "issue for this hub account".
 * `openid4vciFeature` (provider-feature.ts) calls `issueFor`; the status route serves `statusToken(n)`;
 * the CLI/API revokes with `revoke`. Benchmarks call `issueFor` directly (bench/).
 */
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import type { AdapterContext } from '../../../src/core/adapter.js';
import type { CanonicalIdentity } from '../../../src/core/identity.js';
import { type Loa, loaSatisfies } from '../../../src/core/loa.js';
import { eudiError } from '../errors.js';
import { createIssuancePool, defaultIssuanceThreads } from './issuance-pool.js';
import { checkPidInput } from './issue-credential.js';
import { createIssuerSigner, createTestIssuerChain, type IssuerSigner } from './issuer-key.js';
import { issuePidMdoc } from './mdoc.js';
import type { CredentialFormat } from './provider-feature.js';
import { createStatusList, type StatusListService } from './status-list.js';

export interface CredentialServiceOptions {
  readonly vct: string;
  readonly issuingAuthority: string;
  readonly issuingCountry: string;
  readonly validityDays: number;
  /** Validity of an mdoc, which has no status list entry. */
  readonly mdocValidityDays: number;
  readonly statusListSize: number;
  readonly statusListTtlSeconds: number;
  /** Identities below this level are refused (the verifier's trust list states the issuer's LoA). */
  readonly minLoa?: Loa;
  /** base64 DER chain of the issuer key (leaf first); without it, a TEST chain is generated. */
  readonly x5c?: readonly string[];
  /** Worker threads that build SD-JWT VCs (issuance-pool.ts); 0 = on the event loop. Default: cores − 1, at most 2. */
  readonly issuanceThreads?: number;
}

export interface IssuedCredential {
  readonly credential: string;
  /** Random id: the audit record names it, revocation takes it. */
  readonly credentialId: string;
}

/** The public members that identify a holder key (those of its RFC 7638 thumbprint). */
function holderKeyId(jwk: JWK): string {
  return JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e]);
}

function assertDistinctHolderKeys(jwks: readonly JWK[]) {
  if (jwks.length < 2) return;
  const seen = new Set<string>();
  for (const jwk of jwks) {
    const id = holderKeyId(jwk);
    if (seen.has(id)) throw eudiError('ERR_EUDI_PROOF_DUPLICATE_KEY', { oauth: 'invalid_request' });
    seen.add(id);
  }
}

export interface CredentialService {
  readonly signer: IssuerSigner;
  readonly status: StatusListService;
  /** PEM of the generated TEST root (undefined with a configured chain). */
  readonly testRootPem?: string;
  /**
   * Issue for the hub account behind an access token; returns the credential and its random id. An SD-JWT VC
   * gets a status list entry (revocable); an mdoc does not (decision 0005) and lives `mdocValidityDays`.
   */
  issueFor(accountId: string, holderJwk: JWK, format?: CredentialFormat): Promise<IssuedCredential>;
  /**
   * Batch issuance (OpenID4VCI 1.0 §8.2 `proofs`): one credential per holder key, in order, each with its own
   * salts, status list index (all reserved in one store round trip) and id; the account is loaded once.
   * Two equal holder keys are refused (ERR_EUDI_PROOF_DUPLICATE_KEY): the batch is for unlinkable
   * once-used credentials, each bound to its own key.
   */
  issueBatch(
    accountId: string,
    holderJwks: readonly JWK[],
    format?: CredentialFormat,
    /** The account's identity when the caller has it from this request (oidc-provider's findAccount). */
    identity?: CanonicalIdentity,
  ): Promise<IssuedCredential[]>;
  revoke(credentialId: string): Promise<boolean>;
  /** The signed token of status list n; undefined when there is no such list (never created, or retired). */
  statusToken(list: number): Promise<string | undefined>;
  /** Stops the issuance workers. */
  close(): Promise<void>;
}

export async function createCredentialService(
  ctx: AdapterContext,
  o: CredentialServiceOptions,
): Promise<CredentialService> {
  const key = await ctx.keys.keyPair('issuer', 'ES256');
  let x5c = o.x5c;
  let testRootPem: string | undefined;
  if (!x5c) {
    const chain = await createTestIssuerChain({
      root: await ctx.keys.keyPair('issuer-test-root', 'ES256'),
      issuer: key,
      issuerName: o.issuingAuthority,
      now: ctx.now(),
    });
    x5c = chain.x5c;
    testRootPem = chain.rootPem;
  }
  const signer = createIssuerSigner(key.privateJwk, key.publicJwk, x5c);
  const pool = createIssuancePool({
    signer,
    privateJwk: key.privateJwk,
    threads: o.issuanceThreads ?? defaultIssuanceThreads(),
    logger: ctx.log,
  });
  const status = createStatusList({
    store: ctx.store,
    size: o.statusListSize,
    baseUri: `${ctx.baseUrl}/status`,
    ttlSeconds: o.statusListTtlSeconds,
    now: ctx.now,
  });
  const validitySeconds = o.validityDays * 86_400;
  async function issueBatch(
    accountId: string,
    holderJwks: readonly JWK[],
    format: CredentialFormat = 'dc+sd-jwt',
    loaded?: CanonicalIdentity,
  ): Promise<IssuedCredential[]> {
    if (holderJwks.length === 0) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_request' });
    assertDistinctHolderKeys(holderJwks);
    const identity = loaded ?? (await ctx.accounts.load(accountId));
    if (!identity) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_grant' });
    if (o.minLoa && !loaSatisfies(identity.authentication.loa, o.minLoa))
      throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'access_denied' });
    const credentialIds = holderJwks.map(() => randomUUID());
    const nowSeconds = Math.floor(ctx.now() / 1000);
    const common = {
      identity,
      issuingAuthority: o.issuingAuthority,
      issuingCountry: o.issuingCountry,
      nowSeconds,
    };
    const credentials: string[] = [];
    if (format === 'mso_mdoc') {
      const validitySeconds = o.mdocValidityDays * 86_400;
      for (const holderJwk of holderJwks)
        credentials.push((await issuePidMdoc({ ...common, signer, holderJwk, validitySeconds })).credential);
    } else {
      // Refuse what issuePidCredential would refuse before any status index is reserved.
      for (const holderJwk of holderJwks) checkPidInput(identity, holderJwk);
      const entries = await status.allocateMany(credentialIds, validitySeconds);
      credentials.push(
        ...(await pool.issue(
          { ...common, issuer: ctx.issuer, vct: o.vct, validitySeconds },
          holderJwks.map((holderJwk, i) => {
            const { uri, idx } = entries[i]!;
            return { holderJwk, status: { uri, idx } };
          }),
        )),
      );
    }
    // One record per credential (its id is what revocation takes), appended in one turn: one commit.
    await Promise.all(
      credentialIds.map((credential) =>
        ctx.audit({ type: 'credential.issued', account: accountId, detail: { credential, format } }),
      ),
    );
    return credentialIds.map((credentialId, i) => ({ credential: credentials[i]!, credentialId }));
  }

  return {
    signer,
    status,
    ...(testRootPem && { testRootPem }),
    async issueFor(accountId, holderJwk, format = 'dc+sd-jwt') {
      return (await issueBatch(accountId, [holderJwk], format))[0]!;
    },
    issueBatch,
    async revoke(credentialId) {
      const done = await status.revoke(credentialId);
      if (done) await ctx.audit({ type: 'credential.revoked', detail: { credential: credentialId } });
      return done;
    },
    statusToken: (list) => status.token(signer, list),
    close: () => pool.close(),
  };
}
