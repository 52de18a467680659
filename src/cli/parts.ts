/** Opens just the store and key store of a configured gateway for offline CLI commands. */
import { join, resolve } from 'node:path';
import { createAuditLog } from '../audit/audit-log.js';
import { loadConfigFile } from '../config/load-config.js';
import type { AuditEventInput } from '../core/audit-event.js';
import { type KeyStore, loadKeyStore } from '../keys/key-store.js';
import { createRedisStore } from '../storage/redis-store.js';
import { createSqliteStore } from '../storage/sqlite-store.js';
import type { Store } from '../storage/store.js';

export interface GatewayParts {
  store: Store;
  keys: KeyStore;
  audit: (e: AuditEventInput) => Promise<void>;
}

export async function withGatewayParts<T>(
  configFile: string,
  fn: (parts: GatewayParts) => Promise<T>,
): Promise<T> {
  const { config } = loadConfigFile(configFile, process.env);
  const dataDir = resolve(config.dataDir);
  const store =
    config.store.kind === 'redis'
      ? createRedisStore(config.store.url, { keyPrefix: config.store.keyPrefix ?? 'kakehashi:' })
      : createSqliteStore(config.store.path ?? join(dataDir, 'kakehashi.sqlite'));
  try {
    const dir = join(dataDir, 'keys');
    const keys = await loadKeyStore(
      config.keys.source === 'generate'
        ? { source: 'generate', dir, defaultAlg: config.keys.alg }
        : config.keys.source === 'files'
          ? { ...config.keys, dir }
          : { source: 'env', dir },
      { now: Date.now, env: process.env },
    );
    const log = createAuditLog(store, { now: Date.now });
    return await fn({ store, keys, audit: async (e) => void (await log.record(e)) });
  } finally {
    await store.close();
  }
}
