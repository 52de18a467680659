/**
 * Prometheus metrics of one gateway instance (prom-client, text exposition format).
 *
 * Each call to `createMetrics` owns a fresh `Registry`, so tests and several gateways in
 * one process never collide on metric names. HTTP requests are labelled with the matched
 * route *pattern* (`/a/:id`), never the raw path, to keep label cardinality bounded.
 */
import { performance } from 'node:perf_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type LoginOutcome = 'success' | 'refused' | 'cancelled' | 'error';

export interface HttpMiddlewareOptions {
  /**
   * Route label for requests no express route matched (e.g. oidc-provider mounted with
   * `app.use`). `path` is the full request path without query string. Must map to a small
   * fixed set of labels; return undefined for `unmatched`.
   */
  fallbackRoute?: (path: string, req: Request) => string | undefined;
}

export interface Metrics {
  readonly registry: Registry;
  /** `kakehashi_logins_total{source,outcome}` */
  readonly logins: Counter<'source' | 'outcome'>;
  /** `kakehashi_login_duration_seconds{source}`: from the source's `begin` to its result. */
  readonly loginDuration: Histogram<'source'>;
  /** `kakehashi_http_request_duration_seconds{method,route,status}` */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** `kakehashi_tokens_issued_total{client_profile}` */
  readonly tokensIssued: Counter<'client_profile'>;
  /** Count a login of `source` (the instance id) and, when given, observe how long it took. */
  recordLogin(source: string, outcome: LoginOutcome, durationSeconds?: number): void;
  recordTokenIssued(clientProfile: string): void;
  /** Express middleware timing every request; mount it first. */
  httpMiddleware(options?: HttpMiddlewareOptions): RequestHandler;
  /** Serves the registry in Prometheus text format (mount at `/metrics`). */
  readonly handler: RequestHandler;
}

/** Label set for a request whose route could not be determined. */
export const UNMATCHED_ROUTE = 'unmatched';

function routePattern(
  req: Request,
  res: Response,
  fallback?: HttpMiddlewareOptions['fallbackRoute'],
): string {
  const override: unknown = res.locals.metricsRoute;
  if (typeof override === 'string') return override;
  // express types req.route as any; read only what we need.
  const route: unknown = req.route;
  if (typeof route === 'object' && route !== null && 'path' in route) {
    const path: unknown = route.path;
    const pattern = Array.isArray(path) ? path.map(String).join(',') : String(path);
    return `${req.baseUrl}${pattern === '/' && req.baseUrl !== '' ? '' : pattern}`;
  }
  return fallback?.(req.originalUrl.split('?')[0] ?? '', req) ?? UNMATCHED_ROUTE;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const logins = new Counter({
    name: 'kakehashi_logins_total',
    help: 'Logins by source instance and outcome',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  const loginDuration = new Histogram({
    name: 'kakehashi_login_duration_seconds',
    help: 'Time from choosing a source to its result (includes the person’s own time)',
    labelNames: ['source'] as const,
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const httpRequestDuration = new Histogram({
    name: 'kakehashi_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const tokensIssued = new Counter({
    name: 'kakehashi_tokens_issued_total',
    help: 'Tokens issued by client profile',
    labelNames: ['client_profile'] as const,
    registers: [registry],
  });

  const httpMiddleware =
    (options: HttpMiddlewareOptions = {}): RequestHandler =>
    (req: Request, res: Response, next: NextFunction) => {
      const start = performance.now();
      // The method as it arrived: a handler may pass the request on as another (the consent POST continues as
      // oidc-provider's GET resume).
      const method = req.method;
      // A response always ends with one 'close' (after 'finish' when it was sent completely): one listener.
      res.on('close', () => {
        httpRequestDuration.observe(
          {
            method,
            route: routePattern(req, res, options.fallbackRoute),
            // Closed before it finished: the client went away before the response was complete.
            status: res.writableFinished ? String(res.statusCode) : 'aborted',
          },
          (performance.now() - start) / 1000,
        );
      });
      next();
    };

  const handler: RequestHandler = async (_req, res) => {
    const body = await registry.metrics();
    res.set('Content-Type', registry.contentType).send(body);
  };

  return {
    registry,
    logins,
    loginDuration,
    httpRequestDuration,
    tokensIssued,
    recordLogin(source, outcome, durationSeconds) {
      logins.inc({ source, outcome });
      if (durationSeconds !== undefined) loginDuration.observe({ source }, durationSeconds);
    },
    recordTokenIssued(clientProfile) {
      tokensIssued.inc({ client_profile: clientProfile });
    },
    httpMiddleware,
    handler,
  };
}
