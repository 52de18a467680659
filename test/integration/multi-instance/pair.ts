/**
 * Two instances of one deployment, as every two-instance test starts them: the same config and the same
 * operator environment (KAKEHASHI_* secrets, and whatever the test adds), each instance with its own port and
 * data directory, all on one Redis under a fresh key prefix. Instance A's address is the issuer: clients
 * address A, and the balancer sends some of their requests on to B.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { freePort } from '../../helpers/gateway.js';
import { REDIS_URL } from '../../helpers/redis.js';
import { type GatewayProcess, sharedSecrets, spawnGateway } from '../../helpers/spawn-gateway.js';

/** A fresh Redis key prefix, and its cleanup (deletes every key under it). */
export function redisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `kakehashi-test-${randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    cleanup: async () => {
      const r = new Redis(REDIS_URL);
      try {
        const keys = await r.keys(`${prefix}*`);
        if (keys.length) await r.del(...keys);
      } finally {
        r.disconnect();
      }
    },
  };
}

/** Where the two instances listen; `issuer` is A's address. */
export interface PairAddress {
  readonly issuer: string;
  readonly portA: number;
  readonly portB: number;
}

/** Free ports for A (unless a peer has already chosen A's) and B. */
export async function pairAddress(portA?: number): Promise<PairAddress> {
  const a = portA ?? (await freePort());
  return { issuer: `http://127.0.0.1:${a}`, portA: a, portB: await freePort() };
}

export interface Pair {
  readonly a: GatewayProcess;
  readonly b: GatewayProcess;
  readonly issuer: string;
  /** The Redis key prefix both instances share. */
  readonly prefix: string;
  /** Stops both instances, then deletes their data directories and every key under the prefix. */
  stop(): Promise<void>;
}

export interface PairOptions {
  /** Where to listen (default: fresh ports); give it when peers must know the issuer before the start. */
  address?: PairAddress;
  /** Added to fresh shared secrets (e.g. KAKEHASHI_ADAPTER_KEYS); both instances get the same environment. */
  env?: Record<string, string>;
}

/**
 * Starts A and B with `config` (sources, targets, clients) on top of what every instance of the deployment
 * shares: A's address as issuer, dev mode, keys from the environment, the Redis store under a fresh prefix and
 * silent logs. If one instance does not start, the other is stopped and the keys are deleted before the error.
 */
export async function spawnPair(config: object, options: PairOptions = {}): Promise<Pair> {
  const { issuer, portA, portB } = options.address ?? (await pairAddress());
  const { prefix, cleanup } = redisPrefix();
  const env = { ...(await sharedSecrets()), ...options.env };
  const base = {
    issuer,
    devMode: true,
    keys: { source: 'env' },
    store: { kind: 'redis', url: REDIS_URL, keyPrefix: prefix },
    ...config,
    log: { level: 'silent' },
  };
  const dataDirs = [`/tmp/${prefix}a`, `/tmp/${prefix}b`];
  const started = await Promise.allSettled(
    [portA, portB].map((port, i) =>
      spawnGateway({ ...base, dataDir: dataDirs[i], listen: { host: '127.0.0.1', port } }, env),
    ),
  );
  const stop = async () => {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
    await cleanup();
  };
  const [a, b] = started;
  if (a?.status !== 'fulfilled' || b?.status !== 'fulfilled') {
    await stop();
    throw started.find((s) => s.status === 'rejected')?.reason;
  }
  return { a: a.value, b: b.value, issuer, prefix, stop };
}
