/**
 * The issuer's moving parts put together: signer + x5c, status list, and "issue for this hub account".
 * `openid4vciFeature` (provider-feature.ts) calls `issueFor`; the status route serves `statusToken(n)`;
 * the CLI/API revokes with `revoke`. Benchmarks call `issueFor` directly (bench/).
 */
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import type { AdapterContext } from '../../../src/core/adapter.js';
import { type Loa, loaSatisfies } from '../../../src/core/loa.js';
import { eudiError } from '../errors.js';
import { issuePidCredential } from './issue-credential.js';
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
  issueFor(
    accountId: string,
    holderJwk: JWK,
    format?: CredentialFormat,
  ): Promise<{ credential: string; credentialId: string }>;
  revoke(credentialId: string): Promise<boolean>;
  /** The signed token of status list n; undefined when there is no such list (never created, or retired). */
  statusToken(list: number): Promise<string | undefined>;
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
  const status = createStatusList({
    store: ctx.store,
    size: o.statusListSize,
    baseUri: `${ctx.baseUrl}/status`,
    ttlSeconds: o.statusListTtlSeconds,
    now: ctx.now,
  });
  const validitySeconds = o.validityDays * 86_400;
  return {
    signer,
    status,
    ...(testRootPem && { testRootPem }),
    async issueFor(accountId, holderJwk, format = 'dc+sd-jwt') {
      const identity = await ctx.accounts.load(accountId);
      if (!identity) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_grant' });
      if (o.minLoa && !loaSatisfies(identity.authentication.loa, o.minLoa))
        throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'access_denied' });
      const credentialId = randomUUID();
      const nowSeconds = Math.floor(ctx.now() / 1000);
      const common = {
        identity,
        holderJwk,
        signer,
        issuingAuthority: o.issuingAuthority,
        issuingCountry: o.issuingCountry,
        nowSeconds,
      };
      let credential: string;
      if (format === 'mso_mdoc') {
        ({ credential } = await issuePidMdoc({ ...common, validitySeconds: o.mdocValidityDays * 86_400 }));
      } else {
        const { uri, idx } = await status.allocate(credentialId, validitySeconds);
        ({ credential } = await issuePidCredential({
          ...common,
          issuer: ctx.issuer,
          vct: o.vct,
          validitySeconds,
          status: { uri, idx },
        }));
      }
      await ctx.audit({
        type: 'credential.issued',
        account: accountId,
        detail: { credential: credentialId, format },
      });
      return { credential, credentialId };
    },
    async revoke(credentialId) {
      const done = await status.revoke(credentialId);
      if (done) await ctx.audit({ type: 'credential.revoked', detail: { credential: credentialId } });
      return done;
    },
    statusToken: (list) => status.token(signer, list),
  };
}
