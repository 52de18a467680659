/**
 * Error codes of the JPKI source. Every refusal carries its own stable code
 * (audited as `reason`) and a safe, fixed message: no certificate contents,
 * no personal attributes, no internals.
 */
import { GatewayError } from '../../src/core/errors.js';

export const JPKI_ERROR_MESSAGES = {
  ERR_JPKI_SIGNATURE: 'the card signature does not verify',
  ERR_JPKI_UNTRUSTED_CA: 'the certificate is not issued by a trusted JPKI CA',
  ERR_JPKI_WRONG_CA_KIND: 'the certificate is issued by the wrong kind of JPKI CA',
  ERR_JPKI_EXPIRED: 'the certificate has expired',
  ERR_JPKI_NOT_YET_VALID: 'the certificate is not yet valid',
  ERR_JPKI_KEY_USAGE: 'the certificate key usage does not allow this use',
  ERR_JPKI_POLICY: 'the certificate policy is not accepted',
  ERR_JPKI_CRITICAL_EXTENSION: 'the certificate has an unsupported critical extension',
  ERR_JPKI_REVOKED: 'the certificate has been revoked',
  ERR_JPKI_STATUS_UNKNOWN: 'the certificate status is unknown',
  ERR_JPKI_OCSP_SIGNER: 'the OCSP response is not signed by an authorised responder',
  ERR_JPKI_OCSP_STALE: 'the OCSP response is not current',
  ERR_JPKI_OCSP_NONCE: 'the OCSP response does not echo the request nonce',
  ERR_JPKI_CRL_SIGNATURE: 'the CRL signature does not verify',
  ERR_JPKI_CRL_STALE: 'the CRL is not current',
  ERR_JPKI_RESPONDER_UNREACHABLE: 'the certificate status service is unreachable',
  ERR_JPKI_HOLDER_MISMATCH: 'the signing certificate does not belong to the authenticated card',
  ERR_JPKI_MALFORMED: 'the card response is malformed',
  ERR_JPKI_TOO_LARGE: 'the card response is too large',
  ERR_JPKI_ATTRIBUTES: 'the signing certificate attributes are invalid',
  ERR_JPKI_CHALLENGE_UNKNOWN: 'the challenge is unknown or already used',
  ERR_JPKI_CHALLENGE_EXPIRED: 'the challenge has expired',
  ERR_JPKI_CHALLENGE_MISMATCH: 'the challenge belongs to another login',
  ERR_JPKI_CHALLENGE_FAILED: 'the card login failed',
  ERR_JPKI_DEMO_DISABLED: 'the demo card is only available in development mode',
} as const;

export type JpkiErrorCode = keyof typeof JPKI_ERROR_MESSAGES;

/** A JPKI refusal: OAuth `access_denied`, HTTP 400 unless told otherwise. */
export class JpkiError extends GatewayError {
  declare readonly code: JpkiErrorCode;

  constructor(code: JpkiErrorCode, options: { status?: number; cause?: unknown } = {}) {
    super(code, JPKI_ERROR_MESSAGES[code], {
      oauth: 'access_denied',
      status: options.status ?? 400,
      cause: options.cause,
    });
    this.name = 'JpkiError';
  }
}

export function jpkiError(code: JpkiErrorCode, cause?: unknown): JpkiError {
  return new JpkiError(code, { cause });
}

export function isJpkiError(e: unknown, code?: JpkiErrorCode): e is JpkiError {
  return e instanceof JpkiError && (code === undefined || e.code === code);
}
