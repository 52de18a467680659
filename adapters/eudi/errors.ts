/**
 * Stable error codes of the EUDI adapter (issuer and verifier).
 * Messages are safe to show: no personal attributes, no internals.
 */
import { GatewayError, type OauthErrorCode } from '../../src/core/errors.js';

export const EUDI_ERRORS = {
  // Presentation verification (OpenID4VP verifier source).
  ERR_EUDI_MALFORMED: 'the presentation is malformed',
  ERR_EUDI_ALG_NOT_ALLOWED: 'signature algorithm not allowed',
  ERR_EUDI_UNTRUSTED_ISSUER: 'the credential issuer is not on the trust list',
  ERR_EUDI_ISSUER_SIGNATURE: 'the credential signature is invalid',
  ERR_EUDI_VCT: 'credential type not accepted',
  ERR_EUDI_EXPIRED: 'the credential has expired',
  ERR_EUDI_NOT_YET_VALID: 'the credential is not yet valid',
  ERR_EUDI_DISCLOSURE_MALFORMED: 'a disclosure is malformed',
  ERR_EUDI_DISCLOSURE_UNREFERENCED: 'a disclosure is not referenced by the credential',
  ERR_EUDI_DISCLOSURE_DUPLICATE: 'a disclosure or digest appears twice',
  ERR_EUDI_KB_MISSING: 'the key binding JWT is missing',
  ERR_EUDI_KB_INVALID: 'the key binding JWT is malformed',
  ERR_EUDI_KB_SIGNATURE: 'the key binding JWT is not signed by the holder key',
  ERR_EUDI_KB_NONCE: 'the key binding JWT is for another request',
  ERR_EUDI_KB_AUDIENCE: 'the key binding JWT is for another verifier',
  ERR_EUDI_KB_IAT: 'the key binding JWT is too old or from the future',
  ERR_EUDI_KB_SD_HASH: 'the key binding JWT does not cover this presentation',
  // mdoc presentations (DeviceResponse).
  ERR_EUDI_DEVICE_SIGNATURE: 'the presentation is not signed by the holder key for this request',
  ERR_EUDI_DEVICE_AUTH_INVALID: 'the device authentication of the presentation is malformed',
  ERR_EUDI_VALUE_DIGEST: 'an attribute does not match what the issuer signed',
  ERR_EUDI_STATUS_UNAVAILABLE: 'the credential status could not be checked',
  ERR_EUDI_REVOKED: 'the credential has been revoked or suspended',
  ERR_EUDI_REPLAY: 'this presentation request is unknown or has already been answered',
  ERR_EUDI_MISSING_CLAIMS: 'the presentation lacks requested attributes',
  // The OpenID4VP transaction (request object, response endpoint).
  ERR_EUDI_REQUEST_EXPIRED: 'the presentation request has expired',
  ERR_EUDI_STATE: 'the wallet response is for another request (state)',
  ERR_EUDI_RESPONSE_INVALID: 'the wallet response could not be decrypted or read',
  ERR_EUDI_RESPONSE_TOO_LARGE: 'the wallet response is too large',
  ERR_EUDI_WALLET_DECLINED: 'the wallet declined the presentation request',
  ERR_EUDI_RESPONSE_CODE: 'the login must be finished in the browser the wallet returned to',
  ERR_EUDI_INTERNAL: 'the presentation could not be processed',
  // Issuance (OpenID4VCI issuer).
  ERR_EUDI_PROOF_INVALID: 'the key proof is invalid',
  ERR_EUDI_PROOF_NONCE: 'the key proof nonce is invalid or expired',
  ERR_EUDI_PROOF_DUPLICATE_KEY: 'two key proofs of one batch name the same holder key',
  ERR_EUDI_PROOF_REPLAYED: 'this key proof was used already; retrieve a new c_nonce and sign a new proof',
  ERR_EUDI_ISSUANCE: 'the credential cannot be issued for this identity',
  ERR_EUDI_STATUS_FULL: 'no free status list index',
  ERR_EUDI_ISSUER_UNAVAILABLE: 'the credential could not be issued now; try again',
} as const;
export type EudiErrorCode = keyof typeof EUDI_ERRORS;

/** A GatewayError with an EUDI code; verification failures are `access_denied` for the relying party. */
export function eudiError(code: EudiErrorCode, options: { cause?: unknown; oauth?: OauthErrorCode } = {}) {
  return new GatewayError(code, EUDI_ERRORS[code], {
    oauth: options.oauth ?? 'access_denied',
    status: 400,
    ...(options.cause !== undefined && { cause: options.cause }),
  });
}
