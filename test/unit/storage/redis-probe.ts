/**
 * Decide whether the Redis-backed suites run: a reachable server runs them; an
 * unreachable one skips them with a printed reason, except in CI where the
 * suites must fail loudly instead of silently passing.
 */
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** undefined when Redis answers PING, else why not. Throws in CI so the test file fails. */
export async function redisSkipReason(): Promise<string | undefined> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
  });
  let lastError = '';
  probe.on('error', (e: Error) => {
    lastError = e.message;
  });
  let reason: string | undefined;
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    reason = `Redis unreachable at ${REDIS_URL}: ${lastError || (e instanceof Error ? e.message : String(e))}`;
  } finally {
    probe.disconnect();
  }
  if (reason !== undefined && process.env.CI === 'true') {
    throw new Error(`${reason} (CI=true: Redis-backed storage tests must run)`);
  }
  return reason;
}

/** A random key prefix so parallel test files never share keys. */
export function randomPrefix(label: string): string {
  return `test:${label}:${Math.random().toString(36).slice(2, 10)}:`;
}
