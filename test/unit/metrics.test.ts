import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../src/http/metrics.js';

let server: Server;
let base: string;
let metrics: Metrics;

beforeAll(async () => {
  metrics = createMetrics();
  const app = express();
  app.use(
    metrics.httpMiddleware({
      fallbackRoute: (path) => (path.startsWith('/oidc/') ? '/oidc/*' : undefined),
    }),
  );
  app.get('/metrics', metrics.handler);
  app.get('/users/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  const router = express.Router();
  router.post('/tx/:tx/finish', (_req, res) => {
    res.status(204).end();
  });
  router.get('/', (_req, res) => {
    res.send('home');
  });
  app.use('/a/jpki', router);
  app.get('/slow', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial'); // never ended: the client gives up
  });
  app.use('/oidc', (_req, res) => {
    res.status(302).end();
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function scrape(): Promise<{ text: string; contentType: string | null }> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return { text: await res.text(), contentType: res.headers.get('content-type') };
}

describe('createMetrics', () => {
  it('labels HTTP requests by route pattern, never by raw path', async () => {
    for (const id of ['user-qzx1', 'user-qzx2'])
      expect((await fetch(`${base}/users/${id}`)).status).toBe(200);
    expect((await fetch(`${base}/a/jpki/tx/tx-zzq/finish`, { method: 'POST' })).status).toBe(204);
    expect((await fetch(`${base}/a/jpki/`)).status).toBe(200);
    expect((await fetch(`${base}/oidc/auth?client_id=x`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${base}/no/such/nosuch-qqz`)).status).toBe(404);

    const { text, contentType } = await scrape();
    expect(contentType).toContain('text/plain');
    const count = (labels: string) =>
      text.match(
        new RegExp(`^kakehashi_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm'),
      )?.[1];
    expect(count('method="GET",route="/users/:id",status="200"')).toBe('2');
    expect(count('method="POST",route="/a/jpki/tx/:tx/finish",status="204"')).toBe('1');
    expect(count('method="GET",route="/a/jpki",status="200"')).toBe('1');
    expect(count('method="GET",route="/oidc/\\*",status="302"')).toBe('1');
    expect(count('method="GET",route="unmatched",status="404"')).toBe('1');
    for (const raw of ['user-qzx', 'nosuch-qqz', 'tx-zzq', 'client_id']) expect(text).not.toContain(raw);
  });

  it('exposes login, token and default process metrics', async () => {
    metrics.recordLogin('jpki', 'success', 12);
    metrics.recordLogin('jpki', 'refused');
    metrics.recordTokenIssued('fapi2');
    const { text } = await scrape();
    expect(text).toMatch(/^kakehashi_logins_total\{source="jpki",outcome="success"\} 1$/m);
    expect(text).toMatch(/^kakehashi_logins_total\{source="jpki",outcome="refused"\} 1$/m);
    expect(text).toMatch(/^kakehashi_login_duration_seconds_count\{source="jpki"\} 1$/m);
    expect(text).toMatch(/^kakehashi_login_duration_seconds_bucket\{le="20",source="jpki"\} 1$/m);
    expect(text).toMatch(/^kakehashi_tokens_issued_total\{client_profile="fapi2"\} 1$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^# TYPE kakehashi_http_request_duration_seconds histogram$/m);
  });

  it('counts a request once, as aborted when the client left before the response was complete', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/slow`, { signal: controller.signal });
    expect(res.status).toBe(200);
    controller.abort();
    const aborted =
      /^kakehashi_http_request_duration_seconds_count\{method="GET",route="\/slow",status="aborted"\} 1$/m;
    let text = '';
    for (let i = 0; i < 50 && !aborted.test(text); i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = (await scrape()).text;
    }
    expect(text).toMatch(aborted);
    expect(text).not.toMatch(/route="\/slow",status="200"/);
    // A complete response is counted once, not once per 'finish' and 'close'.
    expect((await fetch(`${base}/users/once-qq`)).status).toBe(200);
    expect((await scrape()).text).toMatch(
      /^kakehashi_http_request_duration_seconds_count\{method="GET",route="\/users\/:id",status="200"\} 3$/m,
    );
  });

  it('gives every instance its own registry', async () => {
    const other = createMetrics();
    other.recordLogin('demo', 'success');
    expect(await other.registry.metrics()).toMatch(
      /^kakehashi_logins_total\{source="demo",outcome="success"\} 1$/m,
    );
    expect((await scrape()).text).not.toContain('source="demo"');
  });
});
