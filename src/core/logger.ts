/**
 * The gateway's structured logger (pino, one JSON object per line).
 *
 * Privacy: values under keys that may carry personal attributes or secrets are replaced
 * by `[redacted]` wherever they appear in the top four levels of a log object (pino
 * `redact`), request bodies are never logged, and request URLs lose their query string
 * (which carries codes, states and login hints). Deeper nesting is not scanned: log ids
 * and codes, not whole domain objects.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line. Names, not paths: they match at any of the top four levels. */
export const REDACTED_KEYS = [
  // Person attributes (src/core/identity.ts) and their OIDC / eIDAS claim names.
  'person',
  'familyName',
  'givenName',
  'fullName',
  'birthName',
  'birthDate',
  'gender',
  'address',
  'nationality',
  'email',
  'name',
  'family_name',
  'given_name',
  'birthdate',
  'phone_number',
  'FamilyName',
  'FirstName',
  'DateOfBirth',
  'CurrentAddress',
  // Source subject ids are not pseudonymous; the Individual Number must never appear.
  'subject',
  'individualNumber',
  'myNumber',
  // Secrets and credentials.
  'password',
  'pin',
  'client_secret',
  'clientSecret',
  'secret',
  'certificate',
  'certificates',
  'x5c',
  'privateKey',
  'privateJwk',
  'd',
  'sealKey',
  'pepper',
  'cookieKeys',
  'authorization',
  'cookie',
  'set-cookie',
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'idToken',
  'code_verifier',
  'client_assertion',
  'assertion',
  'SAMLResponse',
  'SAMLRequest',
  'vp_token',
  'credential',
  'body',
] as const;

// '' = top level, then one wildcard per level below.
const DEPTH_PREFIXES = ['', '*', '*.*', '*.*.*'];

function redactPaths(): string[] {
  return REDACTED_KEYS.flatMap((k) => {
    // Keys that are not JS identifiers need bracket notation in pino paths.
    const bracket = !/^[A-Za-z_$][\w$]*$/.test(k);
    return DEPTH_PREFIXES.map((p) => (bracket ? `${p}["${k}"]` : p === '' ? k : `${p}.${k}`));
  });
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

const SAFE_HEADERS = [
  'host',
  'user-agent',
  'content-type',
  'content-length',
  'accept-language',
  'x-request-id',
];

/** An HTTP request as logged: method, path without query, a few harmless headers. No body, no cookies. */
function serializeRequest(value: unknown): unknown {
  const req = record(value);
  if (req === undefined) return value;
  const url =
    typeof req.originalUrl === 'string' ? req.originalUrl : typeof req.url === 'string' ? req.url : undefined;
  const headers = record(req.headers);
  const safe: Record<string, unknown> = {};
  for (const h of SAFE_HEADERS) if (headers?.[h] !== undefined) safe[h] = headers[h];
  return {
    ...(req.id === undefined ? {} : { id: req.id }),
    method: req.method,
    ...(url === undefined ? {} : { url: url.split('?')[0] }),
    headers: safe,
  };
}

function serializeResponse(value: unknown): unknown {
  const res = record(value);
  if (res === undefined) return value;
  return { statusCode: res.statusCode };
}

export interface LoggerOptions {
  /** pino level name; default `info`. */
  level?: string;
  /** Where lines go; default stdout. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths(), censor: '[redacted]' },
      serializers: {
        err: pino.stdSerializers.err,
        req: serializeRequest,
        request: serializeRequest,
        res: serializeResponse,
        body: () => '[dropped]',
      },
    },
    options.destination ?? pino.destination(1),
  );
}
