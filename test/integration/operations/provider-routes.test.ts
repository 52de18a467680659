/**
 * oidc-provider's own endpoints skip the rest of the express stack (createGateway's fast path): which paths do,
 * and that the security headers, metrics labels and the routes of the hub, the adapters and PAR still apply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directProviderRoute } from '../../../src/app.js';
import { bootGateway, type TestGateway } from '../../helpers/gateway.js';

describe('directProviderRoute', () => {
  it('names the provider endpoints nothing else serves, by their metric label', () => {
    expect(directProviderRoute('/auth')).toBe('/auth');
    expect(directProviderRoute('/auth/abc123')).toBe('/auth');
    expect(directProviderRoute('/token')).toBe('/token');
    expect(directProviderRoute('/token/revocation')).toBe('/token/revocation');
    expect(directProviderRoute('/token/introspection')).toBe('/token/introspection');
    expect(directProviderRoute('/me')).toBe('/me');
    expect(directProviderRoute('/jwks')).toBe('/jwks');
    expect(directProviderRoute('/.well-known/openid-configuration')).toBe(
      '/.well-known/openid-configuration',
    );
    expect(directProviderRoute('/session/end')).toBe('/session/end');
  });

  it('leaves every other path to the express routes', () => {
    for (const path of [
      '/',
      '/authx',
      '/tokens',
      '/interaction/abc',
      '/interaction/abc/consent',
      '/a/demo/login',
      '/request',
      '/healthz',
      '/readyz',
      '/metrics',
      '/demo-rp/',
      '/credential',
      '/.well-known/openid-credential-issuer',
    ])
      expect(directProviderRoute(path), path).toBeUndefined();
  });
});

describe('the fast path in a running gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await bootGateway();
  });
  afterAll(async () => gw?.close());

  it('keeps the security headers and the metric labels, and the other routes still answer', async () => {
    const jwks = await fetch(`${gw.issuer}/jwks`);
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get('x-frame-options')).toBe('DENY');
    expect(jwks.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect((await jwks.json()).keys.length).toBeGreaterThan(0);

    const auth = await fetch(`${gw.issuer}/auth/not-an-interaction`, { redirect: 'manual' });
    expect(auth.status).toBeGreaterThanOrEqual(400);
    expect(auth.headers.get('x-content-type-options')).toBe('nosniff');

    expect((await fetch(`${gw.issuer}/request`)).status).toBe(405);
    expect((await fetch(`${gw.issuer}/healthz`)).status).toBe(200);
    const interaction = await fetch(`${gw.issuer}/interaction/nope`, { headers: { accept: 'text/html' } });
    expect(interaction.status).toBe(400);

    const metrics = await (await fetch(`${gw.issuer}/metrics`)).text();
    expect(metrics).toMatch(
      /kakehashi_http_request_duration_seconds_count\{method="GET",route="\/jwks",status="200"\} 1/,
    );
    expect(metrics).toMatch(
      /kakehashi_http_request_duration_seconds_count\{method="GET",route="\/auth",status="4\d\d"\} 1/,
    );
    expect(metrics).toMatch(
      /kakehashi_http_request_duration_seconds_count\{method="GET",route="\/request",status="405"\} 1/,
    );
    expect(metrics).not.toContain('not-an-interaction');
  });
});
