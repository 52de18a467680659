/**
 * Adapters' own key pairs for instances that share no data directory (keys.source 'env' and 'files'): two key
 * stores over two directories, loaded from the same operator-supplied material, must hand every adapter the
 * same pair; what they cannot share is refused in production instead of silently diverging.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../../src/app.js';
import type { ConfigError } from '../../../src/config/check-config.js';
import { loadConfigObject } from '../../../src/config/load-config.js';
import { deriveAdapterKeyPair, INTERNAL_PURPOSES } from '../../../src/keys/adapter-keys.js';
import { type KeyStore, loadKeyStore } from '../../../src/keys/key-store.js';
import { adapterKeys, sharedSecrets } from '../../helpers/spawn-gateway.js';
import { testIssuer } from '../../unit/eudi/fixtures.js';

let root: string;
let secrets: Record<string, string>;
const now = () => 1_700_000_000_000;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kakehashi-adapter-keys-'));
  secrets = await sharedSecrets();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A key store as one instance loads it: env source, its own (fresh) data directory. */
async function instance(
  env: Record<string, string>,
  options: { production?: boolean; dir?: string; log?: pino.Logger } = {},
): Promise<KeyStore> {
  const dir = options.dir ?? join(root, `instance-${n++}`);
  return loadKeyStore(
    { source: 'env', dir },
    {
      now,
      env: { ...env, ...(options.production && { NODE_ENV: 'production' }) },
      ...(options.log && { log: options.log }),
    },
  );
}

/** A pino logger writing JSON lines into `lines`. */
function capture(lines: string[]): pino.Logger {
  return pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
}

describe('adapter key pairs across instances', () => {
  it('gives both instances the supplied pair (JWK or PKCS#8 PEM), in production too', async () => {
    const es = await generateKeyPair('ES256', { extractable: true });
    const env = {
      ...secrets,
      ...(await adapterKeys(['eudi:issuer'])),
    };
    const map = JSON.parse(env.KAKEHASHI_ADAPTER_KEYS!) as Record<string, unknown>;
    map['wallet:verifier'] = await exportPKCS8(es.privateKey);
    env.KAKEHASHI_ADAPTER_KEYS = JSON.stringify(map);
    const [a, b] = [await instance(env, { production: true }), await instance(env, { production: true })];
    for (const purpose of ['eudi:issuer', 'wallet:verifier']) {
      const [pa, pb] = [await a.adapterKeyPair(purpose, 'ES256'), await b.adapterKeyPair(purpose, 'ES256')];
      expect(pa.publicJwk).toEqual(pb.publicJwk);
      expect(pa.privateJwk.d).toBe(pb.privateJwk.d);
    }
    const supplied = map['eudi:issuer'] as JWK;
    expect((await a.adapterKeyPair('eudi:issuer', 'ES256')).publicJwk).toMatchObject({
      x: supplied.x,
      y: supplied.y,
    });
    expect((await a.adapterKeyPair('wallet:verifier', 'ES256')).publicJwk.x).toBe(
      (await exportJWK(es.publicKey)).x,
    );
    // A supplied purpose without a key of the alg asked for is an error, not a fresh key.
    await expect(a.adapterKeyPair('eudi:issuer', 'RS256')).rejects.toMatchObject({
      code: 'ERR_KEYS_ADAPTER',
      message: expect.stringContaining('KAKEHASHI_ADAPTER_KEYS: "eudi:issuer" has no RS256 key'),
    });
  });

  it('derives internal pairs (pseudonym secrets, own-hub clients) from the pepper: equal per pepper, distinct per purpose', async () => {
    const dirA = join(root, 'derived-a');
    const [a, b] = [await instance(secrets, { production: true, dir: dirA }), await instance(secrets)];
    const purposes = [
      'eidas:eidas-pseudonym',
      'wallet:pseudonym',
      'eudi:c-nonce',
      'eudi:offer-client',
      'se:hub-client',
    ];
    const seen = new Set<string>();
    for (const purpose of purposes) {
      expect(INTERNAL_PURPOSES.has(purpose.split(':')[1]!)).toBe(true);
      const [pa, pb] = [await a.adapterKeyPair(purpose, 'ES256'), await b.adapterKeyPair(purpose, 'ES256')];
      expect(pa.privateJwk).toEqual(pb.privateJwk);
      seen.add(String(pa.privateJwk.d));
    }
    expect(seen.size).toBe(purposes.length);
    // Another deployment (another pepper) derives other pairs; the derivation is a valid P-256 pair.
    const other = await instance({ ...secrets, KAKEHASHI_PEPPER: randomBytes(32).toString('base64url') });
    expect((await other.adapterKeyPair('eudi:c-nonce', 'ES256')).privateJwk.d).not.toBe(
      (await a.adapterKeyPair('eudi:c-nonce', 'ES256')).privateJwk.d,
    );
    const jwk = await deriveAdapterKeyPair(a.pepper(), 'eudi:c-nonce');
    expect(jwk).toEqual((await a.adapterKeyPair('eudi:c-nonce', 'ES256')).privateJwk);
    // Nothing was written to the data directory.
    await expect(readdir(join(dirA, 'adapter'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses in production a published pair the operator did not supply, naming the field', async () => {
    const a = await instance(secrets, { production: true });
    await expect(a.adapterKeyPair('eudi:issuer', 'ES256')).rejects.toMatchObject({
      code: 'ERR_KEYS_ADAPTER',
      message: expect.stringContaining('KAKEHASHI_ADAPTER_KEYS: no key for "eudi:issuer" (ES256)'),
    });
    // An internal purpose asked for with RS256 cannot be derived: it is refused too.
    await expect(a.adapterKeyPair('eudi:c-nonce', 'RS256')).rejects.toMatchObject({
      code: 'ERR_KEYS_ADAPTER',
    });
    // With keys.source 'files' the message names keys.adapterKeysFile.
    const dir = join(root, 'files-instance');
    await mkdir(dir, { recursive: true });
    const write = async (name: string, text: string) => {
      const p = join(dir, name);
      await writeFile(p, text, { mode: 0o600 });
      return p;
    };
    const files = await loadKeyStore(
      {
        source: 'files',
        signingKeys: [await write('signing.json', secrets.KAKEHASHI_SIGNING_KEYS!)],
        sealKeyFile: await write('seal', secrets.KAKEHASHI_SEAL_KEY!),
        pepperFile: await write('pepper', secrets.KAKEHASHI_PEPPER!),
        adapterKeysFile: await write('adapter-keys.json', '{}'),
        dir: join(dir, 'keys'),
      },
      { now, env: { NODE_ENV: 'production' } },
    );
    await expect(files.adapterKeyPair('wallet:verifier', 'ES256')).rejects.toMatchObject({
      code: 'ERR_KEYS_ADAPTER',
      message: expect.stringContaining('keys.adapterKeysFile: no key for "wallet:verifier"'),
    });
  });

  it('outside production generates an unsupplied published pair per data directory, and warns', async () => {
    const lines: string[] = [];
    const a = await instance(secrets, { log: capture(lines) });
    const b = await instance(secrets);
    const [pa, pb] = [
      await a.adapterKeyPair('eudi:issuer', 'ES256'),
      await b.adapterKeyPair('eudi:issuer', 'ES256'),
    ];
    expect(pa.publicJwk).not.toEqual(pb.publicJwk);
    expect(lines.join('\n')).toContain('other instances will not share it');
    expect(lines.join('\n')).not.toContain(String(pa.privateJwk.d));
  });

  it('refuses in production a pair an earlier version generated into this data directory, instead of switching keys', async () => {
    const dir = join(root, 'upgraded');
    // The earlier behaviour of 'files'/'env' was that of 'generate': the pair generated into <dir>/adapter/.
    const before = await loadKeyStore({ source: 'generate', dir }, { now });
    const old = await before.adapterKeyPair('eidas:eidas-pseudonym', 'ES256');
    const pepper = new Uint8Array(Buffer.from(secrets.KAKEHASHI_PEPPER!, 'base64url'));
    expect(old.privateJwk).not.toEqual(await deriveAdapterKeyPair(pepper, 'eidas:eidas-pseudonym'));
    const lines: string[] = [];
    const dev = await instance(secrets, { dir, log: capture(lines) });
    expect((await dev.adapterKeyPair('eidas:eidas-pseudonym', 'ES256')).privateJwk).toEqual(old.privateJwk);
    expect(lines.join('\n')).toContain("using this instance's own file");
    const prod = await instance(secrets, { dir, production: true });
    await expect(prod.adapterKeyPair('eidas:eidas-pseudonym', 'ES256')).rejects.toMatchObject({
      code: 'ERR_KEYS_ADAPTER',
      message: expect.stringContaining('holds a key generated by this instance'),
    });
    // Moved into the map, as the message says, it is used on every instance.
    const moved = await instance(
      { ...secrets, KAKEHASHI_ADAPTER_KEYS: JSON.stringify({ 'eidas:eidas-pseudonym': old.privateJwk }) },
      { dir, production: true },
    );
    expect((await moved.adapterKeyPair('eidas:eidas-pseudonym', 'ES256')).privateJwk.d).toBe(
      old.privateJwk.d,
    );
  });

  it('rejects a malformed map with the purpose and without echoing key material', async () => {
    const d = randomBytes(32).toString('base64url');
    const two = JSON.parse((await adapterKeys(['x', 'y'])).KAKEHASHI_ADAPTER_KEYS!) as Record<string, JWK>;
    for (const [value, reason] of [
      [JSON.stringify({ 'eudi:issuer': [two.x, two.y] }), '"eudi:issuer": more than one key for one alg'],
      [JSON.stringify({ '': two.x }), 'purpose "" must be 1..128 characters'],
      ['[]', 'expected a JSON object'],
      [
        `{"eudi:issuer": {"kty": "EC", "crv": "P-256", "d": "${d}"}}`,
        '"eudi:issuer": not a private EC P-256',
      ],
      ['not json', 'not JSON'],
    ] as const) {
      const err = await instance({ ...secrets, KAKEHASHI_ADAPTER_KEYS: value }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain(`KAKEHASHI_ADAPTER_KEYS is invalid: ${reason}`);
      expect((err as Error).message).not.toContain(d);
    }
  });
});

/** A production config with every adapter that publishes a pair of its own. */
async function productionConfig(keys: Record<string, unknown> = { source: 'env' }) {
  const { rootPem } = await testIssuer();
  return {
    issuer: 'https://id.example.jp',
    dataDir: join(root, `production-${n++}`),
    keys,
    sources: [
      {
        adapter: 'eudi-wallet',
        name: 'wallet',
        options: {
          trustedIssuers: [{ name: 'pid', anchors: [rootPem], vcts: ['urn:example:pid'], loa: 'high' }],
        },
      },
      {
        adapter: 'oidc-upstream',
        name: 'up',
        options: { issuer: 'https://op.example.jp', clientId: 'kakehashi', profile: 'digital-agency' },
      },
    ],
    targets: [{ adapter: 'eudi-issuer', name: 'eudi', options: {} }],
    log: { level: 'silent' },
  };
}

const PUBLISHED = [
  'wallet:verifier',
  'wallet:verifier-test-root',
  'up:client',
  'eudi:issuer',
  'eudi:issuer-test-root',
];

describe('production: the adapter key map is checked with the config and at start', () => {
  it('config check: names the field and every published pair when the map is missing', async () => {
    const env = { ...secrets, NODE_ENV: 'production' };
    const problems = async (keys?: Record<string, unknown>, e: Record<string, string> = env) => {
      try {
        loadConfigObject(await productionConfig(keys), e);
        return [];
      } catch (x) {
        return (x as ConfigError).problems ?? [];
      }
    };
    const envProblem = (await problems()).find((p) => p.message.includes('published key pairs'));
    expect(envProblem?.path).toBe('keys.source');
    expect(envProblem?.message).toContain('KAKEHASHI_ADAPTER_KEYS is required in production');
    for (const purpose of PUBLISHED) expect(envProblem?.message).toContain(purpose);
    const files = {
      source: 'files',
      signingKeys: ['/run/secrets/signing.json'],
      sealKeyFile: '/run/secrets/seal',
      pepperFile: '/run/secrets/pepper',
    };
    const fileProblem = (await problems(files)).find((p) => p.message.includes('published key pairs'));
    expect(fileProblem?.path).toBe('keys.adapterKeysFile');
    expect(
      (await problems({ ...files, adapterKeysFile: '/run/secrets/adapter-keys.json' })).map((p) => p.path),
    ).not.toContain('keys.adapterKeysFile');
    expect(await problems(undefined, { ...env, ...(await adapterKeys(PUBLISHED)) })).toEqual([]);
  });

  it('start: the listed pairs are exactly what the adapters ask for; a map without one fails with its purpose', async () => {
    const complete: Record<string, string> = {
      ...secrets,
      NODE_ENV: 'production',
      ...(await adapterKeys(PUBLISHED)),
    };
    const gateway = await createGateway(loadConfigObject(await productionConfig(), complete), {
      env: complete,
      log: pino({ level: 'silent' }),
    });
    await gateway.close();
    const map = JSON.parse(complete.KAKEHASHI_ADAPTER_KEYS!) as Record<string, unknown>;
    delete map['wallet:verifier'];
    const partial = { ...complete, KAKEHASHI_ADAPTER_KEYS: JSON.stringify(map) };
    await expect(
      createGateway(loadConfigObject(await productionConfig(), partial), {
        env: partial,
        log: pino({ level: 'silent' }),
      }),
    ).rejects.toMatchObject({
      code: 'ERR_KEYS_ADAPTER',
      message: expect.stringContaining('KAKEHASHI_ADAPTER_KEYS: no key for "wallet:verifier" (ES256)'),
    });
  });
});
