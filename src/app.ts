/**
 * createGateway: wires config, store, keys, provider, interaction hub, adapters
 * and the HTTP surface into one express app. main.ts and tests call it; it
 * never reads process.env (the environment comes in through `deps.env`).
 */

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import express from 'express';
import type { Logger } from 'pino';
import { sourceCatalog, targetCatalog } from '../adapters/index.js';
import { type ClientConfig, clientSchema, type GatewayConfig } from '../config/schema.js';
import { createAuditLog } from './audit/audit-log.js';
import { type CheckedConfig, ConfigError } from './config/check-config.js';
import { createIdentityVault } from './core/account.js';
import type {
  AdapterContext,
  AdapterGrants,
  InteractionControl,
  SealedStore,
  SourceInstance,
  TargetInstance,
} from './core/adapter.js';
import type { AuditEventInput } from './core/audit-event.js';
import { createLogger } from './core/logger.js';
import { createDemoRpRouter } from './demo-rp/router.js';
import { createMetrics } from './http/metrics.js';
import { errorHandler, securityHeaders } from './http/middleware.js';
import { createInteractionHub } from './interaction/hub.js';
import { type KeyStore, loadKeyStore } from './keys/key-store.js';
import { deriveCsrfKey } from './keys/secrets.js';
import { createHubGrants, createProvider } from './provider/create-provider.js';
import { createRedisStore } from './storage/redis-store.js';
import { createSealedStore } from './storage/sealed-store.js';
import { createSqliteStore } from './storage/sqlite-store.js';
import type { Store } from './storage/store.js';

export interface GatewayDeps {
  env?: Readonly<Record<string, string | undefined>>;
  log?: Logger;
  now?: () => number;
  /** Use this store instead of the configured one (tests). */
  store?: Store;
}

export interface Gateway {
  readonly app: express.Express;
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly keys: KeyStore;
  readonly log: Logger;
  readonly audit: (e: AuditEventInput) => Promise<void>;
  /** Start listening; resolves with the bound URL. */
  listen(port?: number, host?: string): Promise<{ url: string; server: Server }>;
  /** Graceful shutdown: stop accepting, finish in-flight requests, close adapters and the store. */
  close(): Promise<void>;
}

/** oidc-provider's endpoints, as metric route labels (it is mounted without express routes). */
const PROVIDER_ROUTES = [
  '/.well-known/openid-configuration',
  '/jwks',
  '/auth',
  '/request',
  '/token',
  '/me',
  '/session/end',
  '/token/revocation',
  '/token/introspection',
  '/.well-known/openid-credential-issuer',
  '/credential',
  '/challenge',
];

/**
 * oidc-provider endpoints that nothing else in the app serves (see createGateway's fast path); their metric
 * route label. `/request` (PAR) is not one of them: it has its own 405 handler.
 */
const DIRECT_PROVIDER_ROUTES = [
  '/auth',
  '/token',
  '/me',
  '/jwks',
  '/.well-known/openid-configuration',
  '/session/end',
  '/token/revocation',
  '/token/introspection',
];

/** The route label of a path served by oidc-provider directly, or undefined. */
export function directProviderRoute(path: string): string | undefined {
  let found: string | undefined;
  for (const r of DIRECT_PROVIDER_ROUTES) {
    // The longest match wins: /token/revocation over /token.
    if ((path === r || path.startsWith(`${r}/`)) && (found === undefined || r.length > found.length))
      found = r;
  }
  return found;
}

function openStore(config: GatewayConfig): Store {
  if (config.store.kind === 'redis')
    return createRedisStore(config.store.url, { keyPrefix: config.store.keyPrefix ?? 'kakehashi:' });
  return createSqliteStore(config.store.path ?? join(resolve(config.dataDir), 'kakehashi.sqlite'));
}

export async function createGateway(checked: CheckedConfig, deps: GatewayDeps = {}): Promise<Gateway> {
  const { config } = checked;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? createLogger({ level: config.log.level });
  const store = deps.store ?? openStore(config);
  const dataDir = resolve(config.dataDir);
  const maxTokenLifetimeSeconds = Math.max(
    config.ttl.accessToken,
    config.ttl.idToken,
    config.ttl.refreshToken,
  );
  const keyDir = join(dataDir, 'keys');
  const keys = await loadKeyStore(
    config.keys.source === 'generate'
      ? { source: 'generate', dir: keyDir, defaultAlg: config.keys.alg, maxTokenLifetimeSeconds }
      : config.keys.source === 'files'
        ? { ...config.keys, dir: keyDir, maxTokenLifetimeSeconds }
        : { source: 'env', dir: keyDir, maxTokenLifetimeSeconds },
    { now, log, env: { ...deps.env } },
  );
  const seal = keys.sealKey();
  const sealedRaw = createSealedStore(store, seal.key, {
    keyId: seal.keyId,
    previousKeys: keys.previousSealKeys(),
  });
  // Sealed records get their own namespaces so they never mix with plain ones in the shared store.
  const sealed: SealedStore = {
    put: (ns, k, v, ttl) => sealedRaw.put(`sealed:${ns}`, k, v, ttl),
    get: (ns, k) => sealedRaw.get(`sealed:${ns}`, k),
    take: (ns, k) => sealedRaw.take(`sealed:${ns}`, k),
    delete: (ns, k) => sealedRaw.delete(`sealed:${ns}`, k),
  };
  const auditLog = createAuditLog(store, { now });
  const audit = async (e: AuditEventInput) => {
    await auditLog.record(e);
  };
  const metrics = createMetrics();
  const vault = createIdentityVault(sealed, config.ttl.grant);

  // The hub's InteractionControl exists only once the provider does; adapters get a late-bound handle.
  let hubControl: InteractionControl | undefined;
  const control: InteractionControl = {
    current: (req, res) => hubControl!.current(req, res),
    finish: (req, res, identity) => hubControl!.finish(req, res, identity),
    fail: (req, res, error) => hubControl!.fail(req, res, error),
  };
  // Likewise hub grants (pre-authorized codes), for targets only.
  const hubGrants = new Map<string, AdapterGrants>();
  const makeContext = (name: string, kind: 'source' | 'target'): AdapterContext => ({
    instanceId: name,
    baseUrl: `${config.issuer}/a/${name}`,
    issuer: config.issuer,
    devMode: config.devMode,
    log: log.child({ component: `${kind}:${name}` }),
    now,
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
    fetch: globalThis.fetch,
    store: {
      get: (k) => store.get(`a:${name}`, k),
      set: (k, v, ttl) => store.set(`a:${name}`, k, v, ttl),
      setIfAbsent: (k, v, ttl) => store.setIfAbsent(`a:${name}`, k, v, ttl),
      take: (k) => store.take(`a:${name}`, k),
      delete: (k) => store.delete(`a:${name}`, k),
    },
    sealed: {
      put: (ns, k, v, ttl) => sealed.put(`${name}:${ns}`, k, v, ttl),
      get: (ns, k) => sealed.get(`${name}:${ns}`, k),
      take: (ns, k) => sealed.take(`${name}:${ns}`, k),
      delete: (ns, k) => sealed.delete(`${name}:${ns}`, k),
    },
    keys: { keyPair: (purpose, alg) => keys.adapterKeyPair(`${name}:${purpose}`, alg) },
    interactions: control,
    audit,
    accounts: { load: (accountId) => vault.load(accountId) },
    ...(kind === 'target' && {
      grants: { preAuthorize: (input) => hubGrants.get(name)!.preAuthorize(input) },
    }),
  });

  // Targets first: they contribute clients and provider features.
  const targets = new Map<string, TargetInstance>();
  const clientOwner = new Map<string, TargetInstance>();
  const clients: ClientConfig[] = [...config.clients];
  const providerFeatures: Record<string, unknown> = {};
  for (const entry of config.targets) {
    const adapter = targetCatalog[entry.adapter];
    if (!adapter) continue; // checkConfig refused unknown adapters already
    const instance = await adapter.create(
      checked.adapterOptions.get(entry.name),
      makeContext(entry.name, 'target'),
    );
    targets.set(entry.name, instance);
    for (const [i, c] of (instance.clients ?? []).entries()) {
      const parsed = clientSchema.safeParse(c);
      if (!parsed.success) {
        throw new ConfigError(
          parsed.error.issues.map((issue) => ({
            path: `targets(${entry.name}).clients[${i}].${issue.path.join('.')}`,
            message: issue.message,
          })),
        );
      }
      clients.push(parsed.data);
      clientOwner.set(parsed.data.client_id, instance);
    }
    Object.assign(providerFeatures, instance.providerFeatures);
  }

  const demoRpRedirect = `${config.issuer}/demo-rp/callback`;
  let demoRpKey: Awaited<ReturnType<KeyStore['adapterKeyPair']>> | undefined;
  if (config.demoRp.enabled) {
    demoRpKey = await keys.adapterKeyPair('demo-rp', 'ES256');
    clients.push({
      client_id: config.demoRp.clientId,
      client_name: 'Kakehashi demo RP',
      redirect_uris: [demoRpRedirect],
      post_logout_redirect_uris: [`${config.issuer}/demo-rp/`],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [demoRpKey.publicJwk as Record<string, unknown>] },
      subject_type: 'pairwise',
      profile: 'default',
      dev_only: true,
    });
  }
  const clientMap = new Map<string, ClientConfig>();
  for (const c of clients) {
    if (clientMap.has(c.client_id))
      throw new ConfigError([
        { path: 'clients', message: `duplicate client_id "${c.client_id}" (config, targets or demo RP)` },
      ]);
    clientMap.set(c.client_id, c);
  }

  const provider = createProvider(config, {
    store,
    signingJwks: keys.signingJwks(),
    cookieKeys: keys.cookieKeys(),
    pepper: keys.pepper(),
    accounts: (id) => vault.load(id),
    clients,
    clientOwner,
    features: providerFeatures,
  });
  for (const name of targets.keys())
    hubGrants.set(
      name,
      createHubGrants(provider, () => targets.get(name), clientOwner),
    );
  provider.on('grant.success', (ctx) => {
    metrics.recordTokenIssued(clientMap.get(ctx.oidc.client?.clientId ?? '')?.profile ?? 'unknown');
  });
  provider.on('server_error', (_ctx, err) =>
    log.error({ err: { name: err.name } }, 'oidc-provider server error'),
  );

  const sources = new Map<string, SourceInstance>();
  const csrfKeys = keys.cookieKeys().map(deriveCsrfKey);
  const providerCallback = provider.callback();
  const hub = createInteractionHub({
    provider,
    sources,
    clients: clientMap,
    clientOwner,
    vault,
    pepper: keys.pepper(),
    csrfKeys,
    defaultLocale: config.ui.defaultLocale,
    autoSelectSingleSource: config.ui.autoSelectSingleSource,
    bodyLimit: config.limits.bodyBytes,
    log,
    audit,
    now,
    onLogin: ({ source, outcome, durationSeconds }) => metrics.recordLogin(source, outcome, durationSeconds),
    // The consent form's POST to /auth/<uid>, decision stored: oidc-provider's resume route is GET only, and the
    // request body (already read) means nothing to it.
    resume: (req, res) => {
      req.method = 'GET';
      providerCallback(req, res);
    },
  });
  hubControl = hub.control;

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(securityHeaders);
  app.use(
    metrics.httpMiddleware({
      fallbackRoute: (path) =>
        PROVIDER_ROUTES.find((r) => path === r || path.startsWith(`${r}/`)) ?? undefined,
    }),
  );
  // oidc-provider's own endpoints go straight to it: no express route or router of ours serves these paths, so
  // the layers below (health, metrics, the interaction hub, adapter routers, PAR's 405) would only be matched
  // and skipped on every authorization, token and userinfo request.
  app.use((req, res, next) => {
    const route = directProviderRoute(req.path);
    // A POST to /auth/<uid> is the consent form (the hub's route); oidc-provider serves only GET there.
    if (route === undefined || (route === '/auth' && req.method === 'POST' && req.path !== '/auth')) {
      next();
      return;
    }
    res.locals.metricsRoute = route;
    providerCallback(req, res);
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
      res.json({ status: 'ready', store: store.kind });
    } catch {
      res.status(503).json({ status: 'unavailable', store: store.kind });
    }
  });
  app.get('/metrics', metrics.handler);
  app.use(hub.router);

  for (const entry of config.sources) {
    const adapter = sourceCatalog[entry.adapter];
    if (!adapter) continue; // checkConfig refused unknown adapters already
    const instance = await adapter.create(
      checked.adapterOptions.get(entry.name),
      makeContext(entry.name, 'source'),
    );
    sources.set(entry.name, instance);
    if (instance.router) app.use(`/a/${entry.name}`, instance.router);
  }
  for (const [name, instance] of targets) if (instance.router) app.use(`/a/${name}`, instance.router);

  if (config.demoRp.enabled && demoRpKey) {
    app.use(
      '/demo-rp',
      createDemoRpRouter({
        issuer: config.issuer,
        clientId: config.demoRp.clientId,
        redirectUri: demoRpRedirect,
        privateJwk: demoRpKey.privateJwk,
        now,
      }),
    );
  }

  // RFC 9126 §2.3: the PAR endpoint answers other methods with 405.
  app.all('/request', (req, res, next) => {
    if (req.method === 'POST') return next();
    res.set('allow', 'POST').status(405).json({ error: 'invalid_request', error_description: 'use POST' });
  });
  app.use(providerCallback);
  app.use(errorHandler(log, config.ui.defaultLocale));

  await audit({
    type: 'config.loaded',
    detail: { sources: config.sources.length, clients: clients.length, store: store.kind },
  });
  for (const w of checked.warnings) log.warn(w);

  let server: Server | undefined;
  return {
    app,
    config,
    store,
    keys,
    log,
    audit,
    listen(port = config.listen.port, host = config.listen.host) {
      return new Promise((resolveListen, reject) => {
        const s = createServer(app);
        s.requestTimeout = 30_000;
        s.headersTimeout = 10_000;
        s.once('error', reject);
        s.listen(port, host, () => {
          server = s;
          const { port: bound } = s.address() as AddressInfo;
          resolveListen({ url: `http://${host}:${bound}`, server: s });
        });
      });
    },
    async close() {
      if (server) {
        const s = server;
        server = undefined;
        await new Promise<void>((done) => {
          s.close(() => done());
          s.closeIdleConnections();
          setTimeout(() => s.closeAllConnections(), 10_000).unref();
        });
      }
      for (const instance of [...sources.values(), ...targets.values()]) await instance.close?.();
      if (!deps.store) await store.close();
    },
  };
}
