/**
 * Bad input gets a clear error, never a stack trace: malformed authorization
 * requests, oversized bodies, wrong content types, unknown interactions, and
 * broken config files through the CLI (every problem at once, with its path).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli.js';
import { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const TWO_MB = 2 * 1024 * 1024;

let gw: TestGateway;

beforeAll(async () => {
  const rp = await privateKeyJwtClient('rp-1', REDIRECT);
  gw = await bootGateway({ clients: [rp.config] });
});
afterAll(async () => gw?.close());

/** No stack frames, no server file paths. */
function expectNoLeak(body: string) {
  expect(body).not.toContain('    at ');
  expect(body).not.toContain('/work/');
  expect(body).not.toContain('node_modules');
}

async function send(path: string, init: RequestInit = {}) {
  const res = await fetch(`${gw.issuer}${path}`, { redirect: 'manual', ...init });
  const body = await res.text();
  expectNoLeak(body);
  return {
    status: res.status,
    body,
    type: res.headers.get('content-type') ?? '',
    location: res.headers.get('location'),
  };
}

function authPath(params: Record<string, string>) {
  const base = {
    response_type: 'code',
    scope: 'openid',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: 'st-1',
  };
  return `/auth?${new URLSearchParams({ ...base, ...params })}`;
}

/** The error an authorization request redirected back to the RP (query or fragment). */
function redirectedError(location: string | null) {
  expect(location).toBeTruthy();
  const u = new URL(location!);
  expect(`${u.origin}${u.pathname}`).toBe(REDIRECT);
  const p = new URLSearchParams(u.hash ? u.hash.slice(1) : u.search);
  return { error: p.get('error'), description: p.get('error_description') ?? '', state: p.get('state') };
}

describe('malformed authorization requests', () => {
  it('missing client_id: 400 error page, no redirect', async () => {
    const r = await send(authPath({ redirect_uri: REDIRECT }), { headers: { accept: 'text/html' } });
    expect(r.status).toBe(400);
    expect(r.location).toBeNull();
    expect(r.type).toMatch(/^text\/html/);
    expect(r.body).toContain('<code>invalid_request</code>');
    expect(r.body).toContain('client_id');
  });

  it('unknown client: 400 invalid_client, no redirect', async () => {
    const r = await send(authPath({ client_id: 'no-such-client', redirect_uri: REDIRECT }));
    expect(r.status).toBe(400);
    expect(r.location).toBeNull();
    expect(r.body).toContain('<code>invalid_client</code>');
  });

  it('unregistered redirect_uri: 400 invalid_redirect_uri, never redirected there', async () => {
    const r = await send(authPath({ client_id: 'rp-1', redirect_uri: 'https://evil.example/cb' }));
    expect(r.status).toBe(400);
    expect(r.location).toBeNull();
    expect(r.body).toContain('<code>invalid_redirect_uri</code>');
  });

  it('unsupported response_type: unsupported_response_type back to the RP', async () => {
    const r = await send(authPath({ client_id: 'rp-1', redirect_uri: REDIRECT, response_type: 'token' }));
    expect(r.status).toBe(303);
    const e = redirectedError(r.location);
    expect(e.error).toBe('unsupported_response_type');
    expect(e.state).toBe('st-1');
  });

  it('claims that is not JSON: invalid_request naming the claims parameter', async () => {
    const r = await send(authPath({ client_id: 'rp-1', redirect_uri: REDIRECT, claims: '{"userinfo":' }));
    expect(r.status).toBe(303);
    const e = redirectedError(r.location);
    expect(e.error).toBe('invalid_request');
    expect(e.description).toMatch(/claims parameter JSON/);
  });

  it('claims of the wrong shape: invalid_request', async () => {
    const r = await send(authPath({ client_id: 'rp-1', redirect_uri: REDIRECT, claims: '{"userinfo":5}' }));
    const e = redirectedError(r.location);
    expect(e.error).toBe('invalid_request');
    expect(e.description).toContain('claims.userinfo');
  });

  it.each(['abc', '-1', '1.5'])('max_age=%s: invalid_request naming max_age', async (maxAge) => {
    const r = await send(authPath({ client_id: 'rp-1', redirect_uri: REDIRECT, max_age: maxAge }));
    expect(r.status).toBe(303);
    const e = redirectedError(r.location);
    expect(e.error).toBe('invalid_request');
    expect(e.description).toContain('max_age');
  });
});

describe('oversized bodies', () => {
  const big = `client_id=rp-1&junk=${'x'.repeat(TWO_MB)}`;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  it.each(['/token', '/request'])('2 MB to %s: 4xx JSON error', async (path) => {
    const r = await send(path, {
      method: 'POST',
      body: big,
      headers: { ...form, accept: 'application/json' },
    });
    expect([400, 413]).toContain(r.status);
    expect(r.type).toMatch(/^application\/json/);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'invalid_request' });
  });

  it('2 MB to the consent form of a live interaction: 4xx HTML error page', async () => {
    const browser = new TestBrowser();
    const login = await browser.follow(
      `${gw.issuer}${authPath({ client_id: 'rp-1', redirect_uri: REDIRECT })}`,
    );
    const uid = /^\/interaction\/([\w-]+)$/.exec(new URL(login.url).pathname)?.[1];
    expect(uid).toBeDefined();
    const r = await browser.request(`${gw.issuer}/auth/${uid}`, {
      method: 'POST',
      body: `csrf=x&decision=approve&junk=${'x'.repeat(TWO_MB)}`,
      headers: { ...form, accept: 'text/html' },
    });
    expectNoLeak(r.body);
    expect([400, 413]).toContain(r.status);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.body).toContain('<code>invalid_request</code>');
  });
});

describe('wrong content types', () => {
  it('JSON body to /token: invalid_request asking for a form', async () => {
    const r = await send('/token', {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'authorization_code', code: 'x' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      error: 'invalid_request',
      error_description: expect.stringContaining('application/x-www-form-urlencoded'),
    });
  });

  it('text/plain to PAR: invalid_request asking for a form', async () => {
    const r = await send('/request', {
      method: 'POST',
      body: 'client_id=rp-1&response_type=code',
      headers: { 'content-type': 'text/plain' },
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      error: 'invalid_request',
      error_description: expect.stringContaining('application/x-www-form-urlencoded'),
    });
  });
});

describe('unknown interactions', () => {
  const html = { accept: 'text/html', 'accept-language': 'en' };

  it('GET /interaction/<nonexistent>: 400 HTML error page', async () => {
    const r = await send('/interaction/nonexistent-uid', { headers: html });
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^text\/html/);
    expect(r.body).toContain('<code>invalid_request</code>');
    expect(r.body).toContain('the login session has expired or does not exist');
  });

  it.each([
    '/auth/nonexistent-uid',
    '/interaction/nonexistent-uid/source/demo',
    '/interaction/nonexistent-uid/abort',
  ])('garbage POST to %s: 400', async (p) => {
    const r = await send(p, {
      method: 'POST',
      body: 'csrf=%00%ff&decision=<script>&&&==',
      headers: { ...html, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^text\/html/);
    expect(r.body).toContain('<code>invalid_request</code>');
    expect(r.body).not.toContain('<script>');
  });

  it('a malformed %-escape in the uid: 400, not 500', async () => {
    const r = await send('/interaction/%E0%A4%A', { headers: html });
    expect(r.status).toBe(400);
  });
});

describe('bad config files (kakehashi config check)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kakehashi-badcfg-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function check(name: string, content?: unknown, nodeEnv?: string) {
    const file = join(dir, name);
    if (content !== undefined)
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    const out: string[] = [];
    const err: string[] = [];
    const previous = process.env.NODE_ENV;
    if (nodeEnv) process.env.NODE_ENV = nodeEnv;
    try {
      const code = await runCli(
        ['config', 'check', '--config', file],
        (l) => out.push(l),
        (l) => err.push(l),
      );
      const text = [...out, ...err].join('\n');
      expect(text).not.toContain('    at ');
      return { code, out, err: err.join('\n') };
    } finally {
      process.env.NODE_ENV = previous;
    }
  }

  it('reports every schema problem at once, each with its field path', async () => {
    const r = await check('many.json', {
      issuer: 'not a url',
      listen: { port: 'eighty' },
      colour: 'blue',
      clients: [{ client_id: 'rp', redirect_uris: ['https://rp.example/cb', 'not-a-url'] }],
      ttl: { accessToken: -5 },
    });
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    const lines = r.err.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toHaveLength(5);
    expect(r.err).toMatch(/^ {2}- issuer: .*URL/m);
    expect(r.err).toMatch(/^ {2}- listen\.port: .*expected number/m);
    expect(r.err).toMatch(/^ {2}- ttl\.accessToken: /m);
    expect(r.err).toMatch(/^ {2}- clients\[0\]\.redirect_uris\[1\]: .*URL/m);
    expect(r.err).toMatch(/^ {2}- \(root\): .*colour/m);
  });

  it('reports bad adapter entries with their paths', async () => {
    const r = await check('adapters.json', {
      issuer: 'http://127.0.0.1:3000',
      devMode: true,
      dataDir: dir,
      sources: [
        { adapter: 'no-such-adapter', name: 'x' },
        { adapter: 'demo', name: 'demo', options: { loa: 'extreme' } },
      ],
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ {2}- sources\[0\]\.adapter: unknown adapter "no-such-adapter"/m);
    expect(r.err).toMatch(/^ {2}- sources\[1\]\.options\.loa: /m);
  });

  it('an unset environment variable is reported once, by name, for a required and for an optional field', async () => {
    delete process.env.KAKEHASHI_TEST_UNSET_URL;
    delete process.env.KAKEHASHI_TEST_UNSET_LEVEL;
    // `${env:NAME}` as the config file spells it (not a template literal).
    const ref = (name: string) => `\${env:${name}}`;
    const r = await check('unset-env.json', {
      issuer: 'http://127.0.0.1:3000',
      devMode: true,
      dataDir: dir,
      store: { kind: 'redis', url: ref('KAKEHASHI_TEST_UNSET_URL') },
      log: { level: ref('KAKEHASHI_TEST_UNSET_LEVEL') },
    });
    expect(r.code).toBe(1);
    const lines = r.err.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toEqual([
      '  - store.url: environment variable KAKEHASHI_TEST_UNSET_URL is not set',
      '  - log.level: environment variable KAKEHASHI_TEST_UNSET_LEVEL is not set',
    ]);
  });

  it('the production template config/production.example.json passes the production check', async () => {
    const previous = process.env.KAKEHASHI_REDIS_URL;
    process.env.KAKEHASHI_REDIS_URL = 'redis://127.0.0.1:6379';
    try {
      const r = await check(
        'production.example.json',
        readFileSync(new URL('../../../config/production.example.json', import.meta.url), 'utf8'),
        'production',
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.KAKEHASHI_REDIS_URL;
      else process.env.KAKEHASHI_REDIS_URL = previous;
    }
  });

  it('invalid JSON: one clear problem', async () => {
    const r = await check('broken.json', '{"issuer": "https://id.example",');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ {2}- \(file\): .*broken\.json is not valid JSON/m);
  });

  it('missing file: names the file and the reason', async () => {
    const r = await check('absent.json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ {2}- \(file\): cannot read .*absent\.json: ENOENT/m);
  });

  it('NODE_ENV=production: every dev-only setting is refused at once', async () => {
    const r = await check(
      'prod.json',
      {
        issuer: 'http://id.example.jp',
        devMode: true,
        keys: { source: 'generate' },
        sources: [{ adapter: 'demo', name: 'demo' }],
        demoRp: { enabled: true },
        clients: [
          { client_id: 'rp', redirect_uris: ['http://rp.example/cb'], jwks: { keys: [{ kty: 'EC' }] } },
        ],
      },
      'production',
    );
    expect(r.code).toBe(1);
    for (const path of [
      'devMode',
      'keys.source',
      'demoRp.enabled',
      'issuer',
      'sources[0].adapter',
      'clients[0].redirect_uris',
    ])
      expect(r.err).toMatch(new RegExp(`^ {2}- ${path.replace(/[.[\]]/g, '\\$&')}: `, 'm'));
  });

  it('the same file passes outside production, with DEV ONLY warnings', async () => {
    const r = await check('dev.json', {
      issuer: 'http://127.0.0.1:3000',
      devMode: true,
      dataDir: dir,
      keys: { source: 'generate' },
      sources: [{ adapter: 'demo', name: 'demo' }],
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'warning: DEV ONLY: generated signing keys (keys.source) — never use this in production',
    );
  });

  // Schema errors do not hide production violations: one run shows both.
  it('schema errors and production violations are reported together', async () => {
    const r = await check(
      'mixed.json',
      { issuer: 'https://id.example.jp', keys: { source: 'generate' }, colour: 1 },
      'production',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ {2}- \(root\): .*colour/m);
    expect(r.err).toMatch(/^ {2}- keys\.source: /m);
  });
});
