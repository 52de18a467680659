/**
 * The gateway as deployed for a single node: SQLite store in a fresh data dir,
 * generated keys, one source (the demo source by default, or JPKI with a test
 * PKI, a real OCSP responder on loopback and virtual cards), a consent page, a
 * sealed identity, audit records, logging off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  createTestPki,
  issueCard,
  type RevocationServer,
  saveCard,
  startRevocationServer,
  TEST_HOLDERS,
} from '../../adapters/jpki/pki/index.js';
import { createGateway } from '../../src/app.js';
import { loadConfigObject } from '../../src/config/load-config.js';
import { createMemoryStore } from '../../src/storage/memory-store.js';
import { jpkiSource, revocationUrls } from '../../test/helpers/jpki-source.js';
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
  /**
   * 'jpki': the only source is JPKI; each login is answered by a virtual card (authentication and signing
   * certificates, the basic four attributes, acr high) checked against a real OCSP responder, whose answers
   * the gateway caches until nextUpdate.
   */
  source?: 'demo' | 'jpki';
}

const JPKI_CARDS = 8;

/** A test PKI with its OCSP/CRL/platform server on loopback and saved virtual cards in `dir`. */
async function jpkiFixture(dir: string) {
  const pki = await createTestPki();
  const server: RevocationServer = await startRevocationServer(pki);
  const cardDirs: string[] = [];
  for (let i = 0; i < JPKI_CARDS; i++) {
    const card = await issueCard(
      pki,
      TEST_HOLDERS[i % TEST_HOLDERS.length]!,
      revocationUrls(server, { crl: false }),
    );
    server.linkCertificates({ auth: card.auth.certificate, sign: card.sign.certificate });
    const cardDir = join(dir, 'cards', card.id);
    await saveCard(card, cardDir);
    cardDirs.push(cardDir);
  }
  return { server, cardDirs, source: jpkiSource(pki, server) };
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
  const jpki = options.source === 'jpki' ? await jpkiFixture(dataDir) : undefined;
  const checked = loadConfigObject(
    {
      issuer,
      listen: { host: '127.0.0.1', port },
      dataDir,
      devMode: true,
      store: { kind: 'sqlite' },
      keys: { source: 'generate' },
      sources: [
        jpki?.source ?? {
          adapter: 'demo',
          name: 'demo',
          options: { loa: 'substantial', confirm: options.flow === 'pages' },
        },
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
  const login = {
    issuer,
    clientId: client.clientId,
    redirectUri: BENCH_REDIRECT_URI,
    privateJwk: client.privateJwk,
    scope: BENCH_SCOPE,
    expectClaim: 'family_name',
  };
  return {
    workload: jpki
      ? {
          ...login,
          kind: 'jpki-login',
          cardDirs: jpki.cardDirs,
          params: { acr_values: 'urn:kakehashi:loa:high' },
        }
      : { ...login, kind: 'oidc-login' },
    async close() {
      await closeServer(server);
      await gateway.close();
      await jpki?.server.close();
      await store?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
