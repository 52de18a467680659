import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyStore } from '../../../src/keys/key-store.js';

let root: string;
let esPem: string;
let esKid: string;
let rsJwk: JWK;
let rsKid: string;
let es2Jwk: JWK;
const seal = randomBytes(32).toString('base64url');
const oldSeal = randomBytes(32).toString('base64url');
const now = () => 1_700_000_000_000;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kakehashi-keys-ext-'));
  const es = await generateKeyPair('ES256', { extractable: true });
  esPem = await exportPKCS8(es.privateKey);
  esKid = await calculateJwkThumbprint(await exportJWK(es.publicKey));
  const rs = await generateKeyPair('RS256', { extractable: true });
  rsJwk = { ...(await exportJWK(rs.privateKey)), kid: 'operator-kid' };
  rsKid = await calculateJwkThumbprint(await exportJWK(rs.publicKey));
  es2Jwk = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)) };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

describe("source 'files'", () => {
  it('loads PKCS#8 PEM and JWK files, publishes every key, derives cookie keys and pepper', async () => {
    const signingKeys = [
      await file('es.pem', esPem),
      await file('rs.jwk.json', JSON.stringify(rsJwk)),
      await file('es2.jwks.json', JSON.stringify({ keys: [es2Jwk] })),
    ];
    const sealKeyFile = await file('seal', `${seal}\n${oldSeal}\n`);
    const opts = { source: 'files', signingKeys, sealKeyFile, dir: join(root, 'files-dir') } as const;
    const store = await loadKeyStore(opts, { now });
    const info = store.signingKeyInfo();
    expect(info.map((i) => [i.kid, i.alg, i.status])).toEqual([
      [esKid, 'ES256', 'active'],
      [rsKid, 'RS256', 'active'],
      [await calculateJwkThumbprint(es2Jwk), 'ES256', 'published'],
    ]);
    expect(store.signingJwks().keys[0]).toMatchObject({ kid: esKid, use: 'sig', alg: 'ES256', kty: 'EC' });
    expect(store.isDevOnly).toBe(false);
    expect(Buffer.from(store.sealKey().key).toString('base64url')).toBe(seal);
    expect(store.previousSealKeys().map((k) => Buffer.from(k.key).toString('base64url'))).toEqual([oldSeal]);
    expect(store.sealKey().keyId).not.toBe(store.previousSealKeys()[0]!.keyId);
    expect(store.pepper()).toHaveLength(32);
    expect(store.cookieKeys()).toHaveLength(1);
    // Derived secrets are stable across instances sharing the seal key.
    const again = await loadKeyStore(opts, { now });
    expect(again.pepper()).toEqual(store.pepper());
    expect(again.cookieKeys()).toEqual(store.cookieKeys());

    await expect(store.rotate()).rejects.toMatchObject({
      code: 'ERR_KEYS_EXTERNAL',
      message: 'keys are managed outside the gateway; rotate by replacing the files',
    });
    const pair = await store.adapterKeyPair('issuer', 'ES256');
    expect((await again.adapterKeyPair('issuer', 'ES256')).publicJwk).toEqual(pair.publicJwk);
  });

  it('uses supplied cookie keys and pepper', async () => {
    const pepper = randomBytes(32).toString('base64url');
    const cookie = ['a'.repeat(32), 'b'.repeat(40)];
    const store = await loadKeyStore(
      {
        source: 'files',
        signingKeys: [await file('es-only.pem', esPem)],
        sealKeyFile: await file('seal1', seal),
        cookieKeysFile: await file('cookies', cookie.join(',')),
        pepperFile: await file('pepper', pepper),
        dir: join(root, 'files-2'),
      },
      { now },
    );
    expect(store.cookieKeys()).toEqual(cookie);
    expect(Buffer.from(store.pepper()).toString('base64url')).toBe(pepper);
  });

  const bad: [string, string, string][] = [
    ['garbage.pem', 'not a key', 'neither a PKCS#8 PEM nor JSON'],
    ['sec1.pem', '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----', 'not PKCS#8'],
    ['public.jwk', '{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}', 'not a private EC P-256 or RSA JWK'],
  ];
  it.each(bad)('refuses %s with an error naming the file', async (name, text, reason) => {
    const path = await file(name, text);
    const err = loadKeyStore(
      {
        source: 'files',
        signingKeys: [path],
        sealKeyFile: await file('seal2', seal),
        dir: join(root, 'bad'),
      },
      { now },
    );
    await expect(err).rejects.toMatchObject({ code: 'ERR_KEYS_FILE' });
    await expect(err).rejects.toThrow(`cannot load key file ${path}: `);
    await expect(err).rejects.toThrow(reason);
  });

  it('refuses a missing file and a short seal key, naming the file', async () => {
    const missing = join(root, 'nope.pem');
    await expect(
      loadKeyStore(
        {
          source: 'files',
          signingKeys: [missing],
          sealKeyFile: await file('seal3', seal),
          dir: join(root, 'bad'),
        },
        { now },
      ),
    ).rejects.toThrow(`cannot load key file ${missing}: file not found`);
    const short = await file('short-seal', randomBytes(16).toString('base64url'));
    await expect(
      loadKeyStore(
        {
          source: 'files',
          signingKeys: [await file('es3.pem', esPem)],
          sealKeyFile: short,
          dir: join(root, 'bad'),
        },
        { now },
      ),
    ).rejects.toMatchObject({
      code: 'ERR_KEYS_FILE',
      message: expect.stringContaining(`${short}: seal key #1 must be 32 bytes`),
    });
  });
});

describe("source 'env'", () => {
  it('reads signing keys, seal key, cookie keys and pepper from the given env', async () => {
    const pepper = randomBytes(48).toString('base64url');
    const env = {
      KAKEHASHI_SIGNING_KEYS: JSON.stringify([rsJwk, es2Jwk]),
      KAKEHASHI_SEAL_KEY: `${seal},${oldSeal}`,
      KAKEHASHI_COOKIE_KEYS: `${'c'.repeat(32)},${'d'.repeat(32)}`,
      KAKEHASHI_PEPPER: pepper,
    };
    const store = await loadKeyStore({ source: 'env', dir: join(root, 'env') }, { now, env });
    expect(store.signingJwks().keys.map((k) => k.alg)).toEqual(['ES256', 'RS256']);
    expect(store.signingJwks().keys[1]!.kid).toBe(rsKid);
    expect(store.previousSealKeys()).toHaveLength(1);
    expect(store.cookieKeys()).toEqual(['c'.repeat(32), 'd'.repeat(32)]);
    expect(store.pepper()).toHaveLength(48);
    await expect(store.rotate()).rejects.toMatchObject({ code: 'ERR_KEYS_EXTERNAL' });
    expect(await store.prune()).toEqual([]);
  });

  it('names the bad variable without echoing its value', async () => {
    const dir = join(root, 'env-bad');
    const secretLooking = 'x'.repeat(20);
    const err = loadKeyStore(
      { source: 'env', dir },
      { now, env: { KAKEHASHI_SIGNING_KEYS: JSON.stringify([es2Jwk]), KAKEHASHI_SEAL_KEY: secretLooking } },
    );
    await expect(err).rejects.toMatchObject({
      code: 'ERR_KEYS_ENV',
      message: expect.stringMatching(/^KAKEHASHI_SEAL_KEY is invalid/),
    });
    await expect(err).rejects.not.toThrow(secretLooking);
    await expect(loadKeyStore({ source: 'env', dir }, { now, env: {} })).rejects.toThrow(
      'KAKEHASHI_SIGNING_KEYS is not set',
    );
  });
});
