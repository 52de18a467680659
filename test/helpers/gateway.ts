/**
 * Boots a real gateway on a loopback port for integration tests, with a fresh
 * data dir, generated keys, the demo source, and test clients whose keys the
 * test holds (so real RP libraries can use private_key_jwt and DPoP).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import pino from 'pino';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadConfigObject } from '../../src/config/load-config.js';
import type { Store } from '../../src/storage/store.js';

export interface TestClient {
  clientId: string;
  redirectUri: string;
  privateJwk: JWK;
  publicJwk: JWK;
  privateKey: CryptoKey;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function makeClientKey(alg: 'ES256' | 'RS256' = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = {
    ...(await exportJWK(privateKey)),
    alg,
    kid: `k-${Math.random().toString(36).slice(2)}`,
  };
  const publicJwk = { ...(await exportJWK(publicKey)), alg, kid: privateJwk.kid, use: 'sig' };
  return { privateKey, privateJwk, publicJwk };
}

export interface BootOptions {
  /** Extra top-level config merged over the defaults. */
  config?: Record<string, unknown>;
  clients?: Record<string, unknown>[];
  store?: Store;
  dataDir?: string;
  port?: number;
  keepDataDir?: boolean;
  env?: Record<string, string>;
}

export interface TestGateway {
  gateway: Gateway;
  issuer: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function bootGateway(options: BootOptions = {}): Promise<TestGateway> {
  const port = options.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kakehashi-test-'));
  const raw = {
    issuer,
    listen: { host: '127.0.0.1', port },
    dataDir,
    devMode: true,
    keys: { source: 'generate' },
    sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'substantial' } }],
    clients: options.clients ?? [],
    log: { level: 'silent' },
    ...options.config,
  };
  const checked = loadConfigObject(raw, options.env ?? {});
  const gateway = await createGateway(checked, {
    env: options.env ?? {},
    log: pino({ level: 'silent' }),
    ...(options.store && { store: options.store }),
  });
  await gateway.listen(port, '127.0.0.1');
  return {
    gateway,
    issuer,
    dataDir,
    async close() {
      await gateway.close();
      if (!options.keepDataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A confidential client using private_key_jwt, with its key pair. */
export async function privateKeyJwtClient(
  clientId: string,
  redirectUri: string,
  extra: Record<string, unknown> = {},
) {
  const key = await makeClientKey('ES256');
  const config = {
    client_id: clientId,
    client_name: `Test RP ${clientId}`,
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [key.publicJwk] },
    ...extra,
  };
  return { config, key, clientId, redirectUri };
}
