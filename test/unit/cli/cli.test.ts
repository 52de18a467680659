/**
 * The kakehashi CLI: config check reports every problem with its path; keys
 * rotate keeps the old key published and audits it; audit verify detects a
 * tampered chain.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kakehashi-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function writeConfig(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const good = {
  issuer: 'http://127.0.0.1:3999',
  dataDir: join(dir, 'data'),
  devMode: true,
  sources: [{ adapter: 'demo', name: 'demo' }],
  log: { level: 'silent' },
};

describe('kakehashi config check', () => {
  it('accepts a good file and prints dev-only warnings', async () => {
    const r = await run('config', 'check', '--config', writeConfig('good.json', good));
    expect(r.code).toBe(0);
    expect(r.out).toContain('OK');
    expect(r.out).toContain('DEV ONLY');
  });

  it('prints every problem at once with its field path', async () => {
    const r = await run(
      'config',
      'check',
      '--config',
      writeConfig('bad.json', {
        ...good,
        bogus: 1,
        listen: { port: 'x' },
        clients: [{ client_id: 'a', redirect_uris: ['not a url'] }],
      }),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('bogus');
    expect(r.err).toContain('listen.port');
    expect(r.err).toContain('clients[0].redirect_uris[0]');
  });

  it('names adapter option errors and unknown adapters', async () => {
    const r = await run(
      'config',
      'check',
      '--config',
      writeConfig('adapters.json', {
        ...good,
        sources: [
          { adapter: 'demo', name: 'demo', options: { loa: 'ultra' } },
          { adapter: 'nope', name: 'x' },
        ],
      }),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('sources[0].options.loa');
    expect(r.err).toContain('sources[1].adapter: unknown adapter "nope"');
  });

  it('refuses dev-only settings in production', async () => {
    const prev = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const r = await run('config', 'check', '--config', writeConfig('prod.json', good));
      expect(r.code).toBe(1);
      expect(r.err).toContain('devMode');
      expect(r.err).toContain('keys.source');
      expect(r.err).toContain('sources[0].adapter');
      expect(r.err).toContain('issuer: must be https in production');
    } finally {
      process.env.NODE_ENV = prev;
    }
  });

  it('explains unreadable and invalid files', async () => {
    expect((await run('config', 'check', '--config', join(dir, 'missing.json'))).err).toContain(
      'cannot read',
    );
    expect((await run('config', 'check', '--config', writeConfig('broken.json', '{ nope'))).err).toContain(
      'not valid JSON',
    );
  });
});

describe('kakehashi keys and audit', () => {
  const file = writeConfig('ops.json', good);

  it('rotates the signing key, keeps the old one published, and records it in the audit chain', async () => {
    const before = await run('keys', 'list', '--config', file);
    expect(before.code).toBe(0);
    const activeBefore = /^(\S+)\s+ES256\s+active/m.exec(before.out)?.[1];
    expect(activeBefore).toBeDefined();
    const r = await run('keys', 'rotate', '--config', file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`${activeBefore}\\s+ES256\\s+retiring`));
    expect(r.out).not.toMatch(new RegExp(`${activeBefore}\\s+ES256\\s+active`));
    const v = await run('audit', 'verify', '--config', file);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/audit log OK: [1-9]\d* records/);
  });

  it('detects a tampered audit record', async () => {
    const db = new Database(join(dir, 'data', 'kakehashi.sqlite'));
    const tables = db.prepare("select name from sqlite_master where type='table'").all() as {
      name: string;
    }[];
    const audit = tables.find((t) => t.name.includes('audit'))!.name;
    db.prepare(`update ${audit} set body = replace(body, 'key.rotated', 'key.rotatex')`).run();
    db.close();
    const v = await run('audit', 'verify', '--config', file);
    expect(v.code).toBe(1);
    expect(v.err).toContain('BROKEN');
  });

  it('rejects an unknown command with usage', async () => {
    const r = await run('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command');
  });
});

describe('kakehashi pki and card', () => {
  const pkiDir = join(dir, 'jpki');

  it('creates a test PKI with virtual cards, revokes and renews a card', async () => {
    const init = await run('pki', 'init', '--dir', pkiDir);
    expect(init.code).toBe(0);
    expect(init.out).toContain('card test-1');
    const revoke = await run('pki', 'revoke', 'test-1', '--dir', pkiDir);
    expect(revoke.code).toBe(0);
    const revoked = JSON.parse(readFileSync(join(pkiDir, 'revoked.json'), 'utf8')) as unknown[];
    expect(revoked.length).toBeGreaterThan(0);
    const before = readFileSync(join(pkiDir, 'cards', 'test-2', 'auth.pem'), 'utf8');
    expect((await run('pki', 'renew', 'test-2', '--dir', pkiDir)).code).toBe(0);
    expect(readFileSync(join(pkiDir, 'cards', 'test-2', 'auth.pem'), 'utf8')).not.toBe(before);
  }, 60_000);

  it('explains a missing argument and an unreachable challenge URL', async () => {
    expect((await run('pki', 'revoke', '--dir', pkiDir)).code).toBe(2);
    const r = await run('card', 'sign', 'http://127.0.0.1:9/a/jpki/challenge/nope', '--dir', pkiDir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error/);
    expect(r.err).not.toContain('    at ');
  });
});
