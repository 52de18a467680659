/**
 * oidc-provider's `features.openid4vci` (experimental-01, oidc-provider 9.13) filled with our credential
 * configuration and hooks, for `TargetInstance.providerFeatures`. oidc-provider validates the access token,
 * the credential configuration and every `openid4vci-proof+jwt` (typ, alg, aud, iat, c_nonce, one of
 * kid/jwk/x5c) before `issueCredential` runs. It needs core hooks to work end to end (resource indicators,
 * resource-scope consent, pre-authorized codes): docs/decisions/0003-openid4vci-issuer.md.
 */
import { decodeProtectedHeader, type JWK } from 'jose';
import { z } from 'zod';
import { providerAccountIdentity } from '../../../src/core/account.js';
import { isGatewayError } from '../../../src/core/errors.js';
import type { CanonicalIdentity } from '../../../src/core/identity.js';
import { eudiError } from '../errors.js';
import { PROOF_ALGS } from './key-proof.js';
import { JP_PID_STYLE_DOCTYPE, PID_MDOC_ELEMENTS, PID_NAMESPACE } from './mdoc.js';

export const PID_CONFIGURATION_ID = 'jp_pid_style_sd_jwt_vc';
/** The same credential as an mdoc (decision 0005). */
export const PID_MDOC_CONFIGURATION_ID = 'jp_pid_style_mso_mdoc';
export type CredentialFormat = 'dc+sd-jwt' | 'mso_mdoc';
const FORMAT_OF: Readonly<Record<string, CredentialFormat>> = {
  [PID_CONFIGURATION_ID]: 'dc+sd-jwt',
  [PID_MDOC_CONFIGURATION_ID]: 'mso_mdoc',
};
/** COSE algorithm identifier of ES256 (RFC 9053), how OpenID4VCI Appendix A.2 lists mdoc signing algs. */
const COSE_ES256 = -7;

export interface FeatureDeps {
  readonly vct: string;
  /** OAuth scope that authorises this credential (a resource scope of the credential endpoint). */
  readonly scope: string;
  /** 32 bytes for the stateless c_nonce (derive from a persisted secret so all instances agree). */
  readonly nonceSecret: Buffer;
  readonly display: { readonly name: string; readonly locale: string }[];
  /** Offer the mdoc configuration too. */
  readonly mdoc: boolean;
  /**
   * Most proofs (credentials) one credential request may carry (OpenID4VCI 1.0 §8.2 `proofs`), published as
   * `batch_credential_issuance.batch_size`; 1 = no batch issuance (oidc-provider then refuses a second proof).
   */
  readonly batchSize: number;
  /**
   * One credential per holder key, in order (credential-service.ts `issueBatch`); `identity` is the one
   * oidc-provider's findAccount loaded for this request's access token, when the hook could get it.
   */
  /**
   * Records each proof JWT as used and says whether all of them were new. oidc-provider's c_nonce is a
   * stateless time-window value (the same for every wallet within a minute, accepted for about five), so it
   * cannot be single-use; a proof, with its signature over that nonce, can be: a replayed proof is refused.
   */
  readonly claimProofs: (proofs: readonly string[]) => Promise<boolean>;
  readonly issueBatch: (
    accountId: string,
    holderJwks: readonly JWK[],
    format: CredentialFormat,
    identity?: CanonicalIdentity,
  ) => Promise<readonly { credential: string }[]>;
}

const hookArgsSchema = z
  .object({
    credentialConfigurationId: z.enum([PID_CONFIGURATION_ID, PID_MDOC_CONFIGURATION_ID]),
    proofs: z.object({ jwt: z.array(z.string()).min(1) }).loose(),
    account: z.object({ accountId: z.string().min(1) }).loose(),
  })
  .loose();

/** The PID claims a wallet may show (OpenID4VCI 1.0 Appendix A.2.2 `credential_metadata.claims`). */
const CLAIM_PATHS = [
  'family_name',
  'given_name',
  'birthdate',
  'nationalities',
  'sex',
  'address',
  'issuing_authority',
  'issuing_country',
  'date_of_issuance',
  'date_of_expiry',
];

export function openid4vciFeature(deps: FeatureDeps) {
  const proofTypes = { jwt: { proof_signing_alg_values_supported: [...PROOF_ALGS] } };
  return {
    enabled: true,
    ack: 'experimental-01',
    nonceSecret: deps.nonceSecret,
    preAuthorizedCodeGrant: true,
    // oidc-provider checks the number of proofs against batch_size before our hook (over it: invalid_proof).
    metadata: {
      display: deps.display,
      ...(deps.batchSize > 1 && { batch_credential_issuance: { batch_size: deps.batchSize } }),
    },
    credentialConfigurationsSupported: {
      [PID_CONFIGURATION_ID]: {
        format: 'dc+sd-jwt',
        vct: deps.vct,
        scope: deps.scope,
        cryptographic_binding_methods_supported: ['jwk'],
        credential_signing_alg_values_supported: ['ES256'],
        proof_types_supported: proofTypes,
        credential_metadata: {
          display: deps.display,
          claims: CLAIM_PATHS.map((c) => ({ path: [c] })),
        },
      },
      ...(deps.mdoc && {
        [PID_MDOC_CONFIGURATION_ID]: {
          format: 'mso_mdoc',
          doctype: JP_PID_STYLE_DOCTYPE,
          scope: deps.scope,
          // OpenID4VCI names `cose_key` for mdoc; oidc-provider accepts only `jwk`, which is what the proof
          // carries (the MSO holds the same key as a COSE_Key).
          cryptographic_binding_methods_supported: ['jwk'],
          credential_signing_alg_values_supported: [COSE_ES256],
          proof_types_supported: proofTypes,
          credential_metadata: {
            display: deps.display,
            claims: PID_MDOC_ELEMENTS.map((e) => ({ path: [PID_NAMESPACE, e] })),
          },
        },
      }),
    },
    /**
     * Called after oidc-provider verified the token and every proof (signature, typ, alg, aud, iat, c_nonce);
     * one credential per proof key, in the order of the proofs.
     */
    issueCredential: (_ctx: unknown, args: unknown) =>
      issue(deps, args).catch((e: unknown) => {
        throw toCredentialError(e);
      }),
  };
}

/**
 * A credential endpoint error response (OpenID4VCI 1.0 §8.3.1.2) in the shape oidc-provider renders
 * (`expose`, `message` = error code, `statusCode`); anything unexpected stays a 500.
 */
export function toCredentialError(e: unknown): unknown {
  if (!isGatewayError(e)) return e;
  // A replayed proof: OpenID4VCI 1.0 §8.3.1.2 `invalid_nonce` tells the wallet to fetch a new c_nonce.
  const error =
    e.code === 'ERR_EUDI_PROOF_REPLAYED'
      ? 'invalid_nonce'
      : e.code.startsWith('ERR_EUDI_PROOF')
        ? 'invalid_proof'
        : 'credential_request_denied';
  return Object.assign(new Error(error), {
    expose: true,
    statusCode: e.status >= 500 ? 500 : 400,
    error_description: e.message,
    code: e.code,
  });
}

async function issue(deps: FeatureDeps, args: unknown) {
  const parsed = hookArgsSchema.safeParse(args);
  if (!parsed.success) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_request' });
  const format = FORMAT_OF[parsed.data.credentialConfigurationId];
  if (!format) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_request' });
  const proofs = parsed.data.proofs.jwt;
  // oidc-provider enforces batch_size already; this keeps the bound if it ever did not.
  if (proofs.length > Math.max(1, deps.batchSize))
    throw eudiError('ERR_EUDI_PROOF_INVALID', { oauth: 'invalid_request' });
  const jwks = proofs.map((proof) => {
    const { jwk } = decodeProtectedHeader(proof);
    // kid/x5c-referenced keys are not supported: the credential binds to cnf.jwk.
    if (!jwk) throw eudiError('ERR_EUDI_PROOF_INVALID', { oauth: 'invalid_request' });
    return jwk;
  });
  // After every other check, just before issuing: a refused request does not burn its proofs.
  if (!(await deps.claimProofs(proofs)))
    throw eudiError('ERR_EUDI_PROOF_REPLAYED', { oauth: 'invalid_request' });
  const { accountId } = parsed.data.account;
  // The Account object oidc-provider loaded for the access token (the parsed copy is another object): its
  // identity was opened from the sealed store in this request, so it is not opened again.
  const account = (args as { account: { accountId?: unknown } }).account;
  const identity = account.accountId === accountId ? providerAccountIdentity(account) : undefined;
  const issued = await deps.issueBatch(accountId, jwks, format, identity);
  return { credentials: issued.map(({ credential }) => ({ credential })) };
}
