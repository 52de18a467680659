/** Redis availability for tests: CI must have it; elsewhere tests skip with a printed reason. */
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisAvailable(): Promise<boolean> {
  const r = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    if (process.env.CI === 'true')
      throw new Error(`Redis is required in CI and is not reachable at ${REDIS_URL}`);
    console.warn(`skipping Redis tests: no Redis at ${REDIS_URL}`);
    return false;
  } finally {
    r.disconnect();
  }
}
