/**
 * Two gateway processes share one Redis: the user logs in on instance A, the RP
 * exchanges the code and calls userinfo on instance B. Afterwards, no personal
 * attribute of the test identity sits in plaintext anywhere in Redis. A balancer
 * without sticky sessions may send every browser request to the other instance.
 */
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFlow } from '../../helpers/code-flow.js';
import { privateKeyJwtClient } from '../../helpers/gateway.js';
import { REDIS_URL, redisAvailable } from '../../helpers/redis.js';
import { browserLogin, discover } from '../../helpers/rp.js';
import type { GatewayProcess } from '../../helpers/spawn-gateway.js';
import { balance } from './balancer.js';
import { type Pair, spawnPair } from './pair.js';

const haveRedis = await redisAvailable();
const REDIRECT = 'http://127.0.0.1:9/cb';
let pair: Pair;
let a: GatewayProcess;
let b: GatewayProcess;
let issuer: string;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;

describe.skipIf(!haveRedis)('two gateway instances on one Redis', () => {
  beforeAll(async () => {
    rp = await privateKeyJwtClient('rp-multi', REDIRECT);
    pair = await spawnPair({
      sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'substantial' } }],
      clients: [rp.config],
    });
    ({ a, b, issuer } = pair);
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
  });

  it('logs in on A and serves token and userinfo from B', async () => {
    const config = await discover(issuer, rp);
    // Route token and userinfo calls to instance B (as a load balancer might).
    config[oidc.customFetch] = (url, options) => {
      const u = new URL(url);
      if (u.pathname === '/token' || u.pathname === '/me') u.host = new URL(b.url).host;
      return fetch(u, options as RequestInit);
    };
    const flow = await codeFlow(config, REDIRECT, { scope: 'openid profile address' });
    expect(flow.url.host).toBe(new URL(a.url).host);
    const { callbackUrl } = await browserLogin(flow.url.href, REDIRECT);
    const { info } = await flow.redeem(callbackUrl);
    expect(info.family_name).toBe('架橋');
    expect(info.birthdate).toBe('1990-04-01');

    // Nothing personal in plaintext anywhere under our prefix.
    const r = new Redis(REDIS_URL);
    try {
      const keys = await r.keys(`${pair.prefix}*`);
      expect(keys.length).toBeGreaterThan(5);
      let dump = '';
      for (const k of keys) {
        const type = await r.type(k);
        if (type === 'string') dump += await r.get(k);
        else if (type === 'set') dump += (await r.smembers(k)).join('\n');
        else if (type === 'zset') dump += (await r.zrange(k, '0', '-1')).join('\n');
        else if (type === 'hash') dump += JSON.stringify(await r.hgetall(k));
        else if (type === 'list') dump += (await r.lrange(k, '0', '-1')).join('\n');
      }
      expect(dump).toContain('login.success'); // the audit log is there, so the scan sees real data
      for (const secret of ['架橋', '花子', 'カケハシ', 'Hanako', '1990-04-01', '千代田', '霞が関'])
        expect(dump).not.toContain(secret);
    } finally {
      r.disconnect();
    }
  });

  it('completes a login whose browser requests alternate between A and B (no sticky sessions)', async () => {
    const flow = await codeFlow(await discover(issuer, rp), REDIRECT, { scope: 'openid profile' });
    // Every second request of the browser to A goes to B: the consent page is rendered by one instance and its
    // form posted to the other, so the form's CSRF token must verify on both.
    const lb = balance(pair);
    let callbackUrl: URL;
    try {
      ({ callbackUrl } = await browserLogin(flow.url.href, REDIRECT));
    } finally {
      lb.restore();
    }
    const consent = lb.served.find((s) => s.method === 'POST' && s.path.startsWith('/auth/'));
    expect(consent, lb.log()).toBeDefined();
    expect(lb.served.some((s) => s.by === 'B')).toBe(true);
    const { claims } = await flow.redeem(callbackUrl);
    expect(claims.sub).toBeTruthy();
  });
});
