/**
 * Operations surface: health and readiness, Prometheus metrics after a login,
 * and graceful shutdown finishing an in-flight request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../../src/storage/sqlite-store.js';
import type { Store } from '../../../src/storage/store.js';
import { bootGateway, privateKeyJwtClient } from '../../helpers/gateway.js';
import { browserLogin, discover } from '../../helpers/rp.js';

const dir = mkdtempSync(join(tmpdir(), 'kakehashi-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('operations', () => {
  it('serves healthz, readyz and metrics with login counters by source and outcome', async () => {
    const rp = await privateKeyJwtClient('rp-ops', 'http://127.0.0.1:9/cb');
    const gw = await bootGateway({ clients: [rp.config] });
    try {
      expect(await (await fetch(`${gw.issuer}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${gw.issuer}/readyz`)).json()).toEqual({ status: 'ready', store: 'sqlite' });
      const c = await discover(gw.issuer, rp);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(c, {
        redirect_uri: 'http://127.0.0.1:9/cb',
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const { callbackUrl } = await browserLogin(url.href, 'http://127.0.0.1:9/cb');
      await oidc.authorizationCodeGrant(c, callbackUrl, {
        pkceCodeVerifier: verifier,
        idTokenExpected: true,
      });
      const metrics = await (await fetch(`${gw.issuer}/metrics`)).text();
      expect(metrics).toMatch(/kakehashi_logins_total\{source="demo",outcome="success"\} 1/);
      expect(metrics).toMatch(/kakehashi_tokens_issued_total\{client_profile="default"\} 1/);
      expect(metrics).toMatch(/kakehashi_http_request_duration_seconds_count\{[^}]*route="\/token"/);
      expect(metrics).not.toMatch(/route="\/interaction\/[A-Za-z0-9_-]{10,}/); // patterns, not raw ids
    } finally {
      await gw.close();
    }
  });

  it('reports unready when the store does not answer', async () => {
    const inner = createSqliteStore(join(dir, 'down.sqlite'));
    const store: Store = {
      ...inner,
      kind: 'sqlite',
      ping: async () => Promise.reject(new Error('down')),
    } as Store;
    const gw = await bootGateway({ store });
    try {
      const res = await fetch(`${gw.issuer}/readyz`);
      expect(res.status).toBe(503);
    } finally {
      await gw.close();
      await inner.close();
    }
  });

  it('finishes an in-flight request on shutdown', async () => {
    const inner = createSqliteStore(join(dir, 'slow.sqlite'));
    let release: () => void = () => {};
    const slowPing = new Promise<void>((r) => {
      release = r;
    });
    const store = Object.assign(Object.create(Object.getPrototypeOf(inner)), inner, {
      ping: async () => {
        await slowPing;
        return inner.ping();
      },
    }) as Store;
    const gw = await bootGateway({ store });
    const inflight = fetch(`${gw.issuer}/readyz`);
    await new Promise((r) => setTimeout(r, 100)); // the request is now being handled
    let closed = false;
    const closing = gw.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false); // still waiting for the in-flight request
    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${gw.issuer}/healthz`)).rejects.toThrow(); // no longer accepting
    await inner.close();
  });
});
