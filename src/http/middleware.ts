/** Security headers and the last-resort error handler (clear errors, never a stack trace). */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Locale } from '../core/adapter.js';
import { isGatewayError } from '../core/errors.js';
import { negotiateLocale } from '../interaction/i18n.js';
import { renderErrorPage } from '../interaction/views/error-page.js';

const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  [
    'content-security-policy',
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  ],
];

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
  next();
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

export function errorHandler(log: Logger, defaultLocale: Locale) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = err as HttpishError;
    let status = 500;
    let error = 'server_error';
    let description = 'internal error';
    if (isGatewayError(err)) {
      status = err.status;
      error = err.oauth;
      description = err.message;
    } else if (e?.type === 'entity.too.large') {
      status = 413;
      error = 'invalid_request';
      description = 'request body too large';
    } else if (
      e?.type === 'entity.parse.failed' ||
      e?.type === 'encoding.unsupported' ||
      e?.type === 'charset.unsupported'
    ) {
      status = 400;
      error = 'invalid_request';
      description = 'malformed request body';
    } else if (typeof (e?.status ?? e?.statusCode) === 'number' && (e.status ?? e.statusCode)! < 500) {
      status = (e.status ?? e.statusCode)!;
      error = 'invalid_request';
      description = 'bad request';
    }
    if (status >= 500)
      log.error(
        { err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } },
        'request failed',
      );
    if (res.headersSent) return;
    res.status(status);
    if (req.accepts(['html', 'json']) === 'html') {
      res.type('html').send(
        renderErrorPage(negotiateLocale(undefined, req.get('accept-language'), defaultLocale), {
          error,
          description,
        }),
      );
    } else {
      res.json({ error, error_description: description });
    }
  };
}
