/**
 * One error type for the gateway, with a stable code and its protocol meaning.
 *
 * `oauth` is the OAuth 2.0 / OIDC `error` value a relying party receives,
 * `redirectable` says whether it may be sent back to the RP's redirect_uri
 * (false for e.g. an unregistered redirect_uri), and `message` is safe to
 * show: it never contains personal attributes or stack traces.
 */
export type OauthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'unmet_authentication_requirements';

export interface GatewayErrorOptions {
  oauth?: OauthErrorCode;
  status?: number;
  redirectable?: boolean;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: string;
  readonly oauth: OauthErrorCode;
  readonly status: number;
  readonly redirectable: boolean;

  constructor(code: string, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.oauth = options.oauth ?? 'access_denied';
    this.status = options.status ?? 400;
    this.redirectable = options.redirectable ?? true;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** Wrap anything thrown into a GatewayError without leaking its message (which may carry internals). */
export function toGatewayError(e: unknown, fallbackCode = 'ERR_INTERNAL'): GatewayError {
  if (isGatewayError(e)) return e;
  return new GatewayError(fallbackCode, 'internal error', { oauth: 'server_error', status: 500, cause: e });
}
