import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyStore, loadKeyStore } from '../../../src/keys/key-store.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kakehashi-keys-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function clock(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

async function sign(store: KeyStore, alg: 'ES256' | 'RS256'): Promise<string> {
  const jwk = store.signingJwks().keys.find((k) => k.alg === alg)!;
  return new SignJWT({ sub: 'pseudo-1' })
    .setProtectedHeader({ alg, kid: jwk.kid! })
    .setIssuer('https://gw.example')
    .setIssuedAt()
    .sign(await importJWK(jwk, alg));
}

describe("source 'generate'", () => {
  let dir: string;
  let first: KeyStore;
  const c = clock(1_700_000_000_000);

  beforeAll(async () => {
    dir = join(root, 'gen');
    first = await loadKeyStore({ source: 'generate', dir }, { now: c.now });
  });

  it('generates an active ES256 key first and an RS256 key, with thumbprint kids', async () => {
    const { keys } = first.signingJwks();
    expect(keys.map((k) => k.alg)).toEqual(['ES256', 'RS256']);
    for (const k of keys) {
      expect(k.use).toBe('sig');
      expect(k.d).toBeTypeOf('string');
    }
    const pub = first.publicJwks().keys;
    expect(pub.map((k) => k.kid)).toEqual(keys.map((k) => k.kid));
    expect(pub.some((k) => 'd' in k || 'p' in k)).toBe(false);
    expect(first.isDevOnly).toBe(true);
    expect(first.signingKeyInfo().map((i) => i.status)).toEqual(['active', 'active']);
  });

  it('reuses the same keys and secrets after a restart', async () => {
    const second = await loadKeyStore({ source: 'generate', dir }, { now: c.now });
    expect(second.publicJwks()).toEqual(first.publicJwks());
    expect(second.sealKey()).toEqual(first.sealKey());
    expect(second.cookieKeys()).toEqual(first.cookieKeys());
    expect(second.pepper()).toEqual(first.pepper());
  });

  it('has a 32-byte seal key, a cookie key and a pepper', () => {
    expect(first.sealKey().key).toHaveLength(32);
    expect(first.sealKey().keyId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(first.previousSealKeys()).toEqual([]);
    expect(first.cookieKeys()[0]!.length).toBeGreaterThanOrEqual(32);
    expect(first.pepper().length).toBe(32);
  });

  it('persists adapter key pairs per purpose across reloads', async () => {
    const a = await first.adapterKeyPair('vc-issuer', 'ES256');
    const b = await first.adapterKeyPair('other', 'ES256');
    expect(b.publicJwk.kid).not.toBe(a.publicJwk.kid);
    expect(a.publicJwk).not.toHaveProperty('d');
    const reloaded = await loadKeyStore({ source: 'generate', dir }, { now: c.now });
    expect(await reloaded.adapterKeyPair('vc-issuer', 'ES256')).toEqual(a);
    const rsa = await reloaded.adapterKeyPair('vc-issuer', 'RS256');
    expect(rsa.publicJwk.kty).toBe('RSA');
    expect(rsa.publicJwk.kid).not.toBe(a.publicJwk.kid);
  });

  it('writes every key file with mode 0600', async () => {
    const files = [
      join(dir, 'keystore.json'),
      ...(await readdir(join(dir, 'adapter'))).map((f) => join(dir, 'adapter', f)),
    ];
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect((await stat(f)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('rotation and pruning', () => {
  it('keeps the rotated-out key published until its window has passed', async () => {
    const dir = join(root, 'rot');
    const c = clock(1_700_000_000_000);
    const opts = { source: 'generate', dir, maxTokenLifetimeSeconds: 3600 } as const;
    const store = await loadKeyStore(opts, { now: c.now });
    const [oldEs, oldRs] = store.signingJwks().keys.map((k) => k.kid);
    const oldToken = await sign(store, 'ES256');

    c.t += 1000;
    const { newKid, retiring } = await store.rotate();
    expect(retiring).toEqual([oldEs]);
    const kids = store.publicJwks().keys.map((k) => k.kid);
    expect(kids).toEqual([newKid, oldRs, oldEs]);
    expect(store.signingKeyInfo()[2]).toMatchObject({ kid: oldEs, status: 'retiring', retiredAt: c.t });

    // A restart sees the same rotation.
    const reloaded = await loadKeyStore(opts, { now: c.now });
    expect(reloaded.publicJwks().keys.map((k) => k.kid)).toEqual(kids);

    const jwks = () => createLocalJWKSet(store.publicJwks() as { keys: JWK[] });
    const verify = (token: string) => jwtVerify(token, jwks(), { issuer: 'https://gw.example' });
    await expect(verify(oldToken)).resolves.toMatchObject({ payload: { sub: 'pseudo-1' } });
    await expect(verify(await sign(store, 'ES256'))).resolves.toMatchObject({
      protectedHeader: { kid: newKid },
    });

    c.t += 3600_000 - 1;
    expect(await store.prune()).toEqual([]);
    await expect(verify(oldToken)).resolves.toBeDefined();

    c.t += 1;
    expect(await store.prune()).toEqual([oldEs]);
    expect(store.publicJwks().keys.map((k) => k.kid)).toEqual([newKid, oldRs]);
    await expect(verify(oldToken)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });

    // Pruning was persisted.
    const afterPrune = await loadKeyStore(opts, { now: c.now });
    expect(afterPrune.publicJwks().keys.map((k) => k.kid)).toEqual([newKid, oldRs]);
  });

  it('rotates RS256 on request and orders by defaultAlg', async () => {
    const dir = join(root, 'rs');
    const store = await loadKeyStore({ source: 'generate', dir, defaultAlg: 'RS256' }, { now: () => 1 });
    const [rs, es] = store.signingJwks().keys;
    expect([rs!.alg, es!.alg]).toEqual(['RS256', 'ES256']);
    const { newKid, retiring } = await store.rotate({ alg: 'ES256' });
    expect(retiring).toEqual([es!.kid]);
    expect(store.signingJwks().keys.map((k) => k.kid)).toEqual([rs!.kid, newKid, es!.kid]);
  });
});

describe('corrupt state', () => {
  it('refuses a damaged keystore.json, naming it, instead of silently regenerating keys', async () => {
    const dir = join(root, 'corrupt');
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'keystore.json');
    await writeFile(file, '{"version":1,"signing":[]}', { mode: 0o600 });
    await expect(loadKeyStore({ source: 'generate', dir }, { now: () => 1 })).rejects.toMatchObject({
      code: 'ERR_KEYS_STATE',
      message: expect.stringContaining(`corrupt key state file ${file}`),
    });
  });
});
