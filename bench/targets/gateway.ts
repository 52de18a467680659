/**
 * The gateway as deployed for a single node: SQLite store in a fresh data dir,
 * generated keys, the demo source (a login page, a sign-in form, a consent
 * page, a sealed identity, audit records), logging off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createGateway } from '../../src/app.js';
import { loadConfigObject } from '../../src/config/load-config.js';
import { createMemoryStore } from '../../src/storage/memory-store.js';
import type { RunningTarget } from '../registry.js';
import { BENCH_REDIRECT_URI, BENCH_SCOPE, type BenchClient } from './client.js';
import { closeServer, listenEphemeral } from './listen.js';

export interface GatewayTargetOptions {
  /** 'memory' swaps SQLite for the in-memory store, to isolate the storage cost. */
  store?: 'sqlite' | 'memory';
  /**
   * 'direct' (default) is the flow of the issue: authorize -> interaction (the only source starts at once and
   * signs in) -> consent -> code -> token -> userinfo. 'pages' adds the source picker and the demo sign-in page.
   */
  flow?: 'direct' | 'pages';
}

export async function startGateway(
  client: BenchClient,
  options: GatewayTargetOptions = {},
): Promise<RunningTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kakehashi-bench-'));
  // Bind first: the issuer must carry the port before the gateway is built.
  const server = createServer();
  const port = await listenEphemeral(server);
  const issuer = `http://127.0.0.1:${port}`;
  const checked = loadConfigObject(
    {
      issuer,
      listen: { host: '127.0.0.1', port },
      dataDir,
      devMode: true,
      store: { kind: 'sqlite' },
      keys: { source: 'generate' },
      sources: [
        { adapter: 'demo', name: 'demo', options: { loa: 'substantial', confirm: options.flow === 'pages' } },
      ],
      ui: { autoSelectSingleSource: options.flow !== 'pages' },
      clients: [client.metadata],
      log: { level: 'silent' },
    },
    {},
  );
  const store = options.store === 'memory' ? createMemoryStore() : undefined;
  const gateway = await createGateway(checked, {
    env: {},
    log: pino({ level: 'silent' }),
    ...(store && { store }),
  });
  server.on('request', gateway.app);
  return {
    workload: {
      kind: 'oidc-login',
      issuer,
      clientId: client.clientId,
      redirectUri: BENCH_REDIRECT_URI,
      privateJwk: client.privateJwk,
      scope: BENCH_SCOPE,
      expectClaim: 'family_name',
    },
    async close() {
      await closeServer(server);
      await gateway.close();
      await store?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
