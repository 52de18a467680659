/**
 * Issue one PID-style SD-JWT VC for a canonical identity, bound to the holder key from a verified proof.
 * Pure apart from the signer: callers allocate the status index first (see status-list.ts).
 * Payload layout: SD-JWT VC draft (iss, iat, nbf, exp, vct, cnf.jwk, status never disclosable) and the PID
 * rulebook claim names (pid-claims.ts), every personal attribute behind a disclosure.
 */
import type { JWK } from 'jose';
import type { CanonicalIdentity } from '../../../src/core/identity.js';
import { eudiError } from '../errors.js';
import { pidClaimsFromIdentity, pidSdSpec } from '../pid-claims.js';
import { signSdJwtVc } from '../sd-jwt.js';
import type { IssuerSigner } from './issuer-key.js';

export interface IssuePidInput {
  readonly identity: CanonicalIdentity;
  /** Public holder key from the key proof (`cnf.jwk`). */
  readonly holderJwk: JWK;
  readonly signer: IssuerSigner;
  /** `iss`: the credential issuer identifier (an https URL in production). */
  readonly issuer: string;
  readonly vct: string;
  readonly issuingAuthority: string;
  readonly issuingCountry: string;
  /** Technical validity (`exp` − `iat`). */
  readonly validitySeconds: number;
  readonly status: { readonly uri: string; readonly idx: number };
  readonly nowSeconds: number;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** What issuePidCredential refuses: a holder key with private members or of another type, an identity without the mandatory names. */
export function checkPidInput(identity: CanonicalIdentity, jwk: JWK): void {
  if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk) || (jwk.kty !== 'EC' && jwk.kty !== 'OKP'))
    throw eudiError('ERR_EUDI_PROOF_INVALID', { oauth: 'invalid_request' });
  const p = identity.person;
  if (!p.familyName?.length || !p.givenName?.length || !p.birthDate)
    throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_request' });
}

/** Returns the compact SD-JWT VC (`<jwt>~<disclosures>~`) and its `exp`. */
export async function issuePidCredential(input: IssuePidInput): Promise<{ credential: string; exp: number }> {
  const jwk = input.holderJwk;
  checkPidInput(input.identity, jwk);
  const iat = input.nowSeconds;
  const exp = iat + input.validitySeconds;
  const pid = pidClaimsFromIdentity(input.identity, {
    issuingAuthority: input.issuingAuthority,
    issuingCountry: input.issuingCountry,
    issuanceDate: isoDate(iat),
    expiryDate: isoDate(exp),
  });
  // Only the public members of the holder key go into cnf (VP1 "minimal cnf.jwk" test expects this to work).
  const cnfJwk =
    jwk.kty === 'EC'
      ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }
      : { kty: 'OKP', crv: jwk.crv, x: jwk.x };
  const credential = await signSdJwtVc({
    claims: {
      iss: input.issuer,
      iat,
      nbf: iat,
      exp,
      vct: input.vct,
      cnf: { jwk: cnfJwk },
      status: { status_list: { idx: input.status.idx, uri: input.status.uri } },
      ...pid,
    },
    sd: pidSdSpec(pid),
    header: { alg: input.signer.alg, x5c: [...input.signer.x5c] },
    // The signer's own function (not a fresh closure), so signSdJwtVc reuses one library instance per key.
    sign: input.signer.sign,
  });
  return { credential, exp };
}

/** What the credentials of one request share, and what each has of its own. */
export type PidBatchCommon = Omit<IssuePidInput, 'signer' | 'holderJwk' | 'status'>;
export type PidBatchItem = Pick<IssuePidInput, 'holderJwk' | 'status'>;

/** The credentials of one request, in the order of `items` (on the event loop, or in an issuance worker). */
export async function issuePidBatch(
  common: PidBatchCommon,
  items: readonly PidBatchItem[],
  signer: IssuerSigner,
): Promise<string[]> {
  const out: string[] = [];
  for (const item of items) out.push((await issuePidCredential({ ...common, ...item, signer })).credential);
  return out;
}
