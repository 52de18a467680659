/**
 * Holder key proof of OpenID4VCI 1.0 §8.2.1.1 (`openid4vci-proof+jwt`): the wallet signs `aud` = credential
 * issuer, `iat` and the `c_nonce` with the key the credential will be bound to (`cnf.jwk`).
 * Used where the issuer checks proofs itself (bench, tests); oidc-provider's credential endpoint runs the
 * same checks before our `issueCredential` hook (docs/decisions/0003-openid4vci-issuer.md).
 */
import { EmbeddedJWK, errors, type JWK, jwtVerify } from 'jose';
import { eudiError } from '../errors.js';

export const PROOF_ALGS = ['ES256', 'ES384', 'EdDSA'] as const;
const IAT_WINDOW_S = 300;

export interface KeyProofCheck {
  readonly issuer: string;
  readonly nowSeconds: number;
  /** Single-use check of the nonce: true when it was issued and not used before. */
  readonly consumeNonce: (nonce: string) => Promise<boolean>;
  /** Expected `iss` (the wallet's client_id); omitted for anonymous pre-authorized access. */
  readonly clientId?: string;
}

/** Verify one proof JWT; returns the holder's public JWK (private members refused by jose). */
export async function verifyKeyProof(proof: string, check: KeyProofCheck): Promise<JWK> {
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  let jwk: JWK | undefined;
  try {
    const res = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'openid4vci-proof+jwt',
      audience: check.issuer,
      algorithms: [...PROOF_ALGS],
      requiredClaims: ['iat', 'nonce'],
      currentDate: new Date(check.nowSeconds * 1000),
    });
    payload = res.payload;
    jwk = res.protectedHeader.jwk;
  } catch (e) {
    if (e instanceof errors.JOSEError)
      throw eudiError('ERR_EUDI_PROOF_INVALID', { cause: e, oauth: 'invalid_request' });
    throw e;
  }
  const iat = payload.iat ?? 0;
  if (Math.abs(check.nowSeconds - iat) > IAT_WINDOW_S)
    throw eudiError('ERR_EUDI_PROOF_INVALID', { oauth: 'invalid_request' });
  if (check.clientId !== undefined && payload.iss !== undefined && payload.iss !== check.clientId)
    throw eudiError('ERR_EUDI_PROOF_INVALID', { oauth: 'invalid_request' });
  if (!jwk || typeof payload.nonce !== 'string' || !(await check.consumeNonce(payload.nonce)))
    throw eudiError('ERR_EUDI_PROOF_NONCE', { oauth: 'invalid_request' });
  return jwk;
}
