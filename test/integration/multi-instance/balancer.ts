/**
 * A load balancer without sticky sessions, in the test process: every fetch addressed to instance A (the
 * issuer's host) is sent to A or B as `route` decides (default: alternating), and each request is recorded
 * with the instance that served it. Clients keep seeing A's host (cookies, redirects, issuer), and B is told
 * A's host in X-Forwarded-Host, as behind a reverse proxy.
 */
import type { GatewayProcess } from '../../helpers/spawn-gateway.js';

export interface Served {
  readonly method: string;
  readonly path: string;
  readonly by: 'A' | 'B';
}

export interface Balancer {
  readonly served: Served[];
  /** Restores the real fetch. */
  restore(): void;
  /** The recorded requests as text, for assertion messages. */
  log(): string;
}

/** `route` returns who serves a request; undefined means "the next one in turn". */
export function balance(
  { a, b }: { readonly a: GatewayProcess; readonly b: GatewayProcess },
  route: (req: { method: string; path: string }) => 'A' | 'B' | undefined = () => undefined,
): Balancer {
  const realFetch = globalThis.fetch;
  const hostA = new URL(a.url).host;
  const hostB = new URL(b.url).host;
  const served: Served[] = [];
  let n = 0;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const u = new URL(input instanceof Request ? input.url : input);
    if (u.host !== hostA) return realFetch(input, init);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const by = route({ method, path: u.pathname }) ?? (n++ % 2 === 0 ? 'A' : 'B');
    served.push({ method, path: u.pathname, by });
    if (by === 'A') return realFetch(input, init);
    u.host = hostB;
    // As a reverse proxy does, B learns the host the client addressed (DPoP htu and redirects are built from
    // it). fetch does not let a caller set Host, so X-Forwarded-Host (the gateway trusts its proxy).
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('x-forwarded-host', hostA);
    headers.set('x-forwarded-proto', 'http');
    // A Request carries its own method and body: re-target it without reading it.
    return input instanceof Request
      ? realFetch(new Request(u, input), { ...init, headers })
      : realFetch(u, { ...init, headers });
  }) as typeof fetch;
  return {
    served,
    restore: () => {
      globalThis.fetch = realFetch;
    },
    log: () => served.map((s) => `${s.method} ${s.path} ${s.by}`).join('\n'),
  };
}
