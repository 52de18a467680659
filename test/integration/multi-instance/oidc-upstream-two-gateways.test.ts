/**
 * An upstream OIDC login across two gateway instances on one Redis, each with its own data directory: the
 * login starts at A (which parks state, nonce and PKCE verifier in the sealed store and redirects to the
 * upstream OP), the upstream's callback lands on B, and B exchanges the code with a private_key_jwt client
 * assertion. The OP (oidc-provider) checks that assertion against the client JWKS it fetches from A's
 * `jwks_uri`, as an OP registered with one published JWKS does — so both instances need the same upstream
 * client key (KAKEHASHI_ADAPTER_KEYS `up:client`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFlow } from '../../helpers/code-flow.js';
import { privateKeyJwtClient } from '../../helpers/gateway.js';
import { redisAvailable } from '../../helpers/redis.js';
import { discover } from '../../helpers/rp.js';
import { adapterKeys, type GatewayProcess } from '../../helpers/spawn-gateway.js';
import { upstreamLogin } from '../oidc-upstream/support/login.js';
import { startTestOp, type TestOp } from '../oidc-upstream/support/test-op.js';
import { balance } from './balancer.js';
import { type Pair, pairAddress, spawnPair } from './pair.js';

const haveRedis = await redisAvailable();
const REDIRECT = 'http://127.0.0.1:9/cb';
let pair: Pair;
let a: GatewayProcess;
let b: GatewayProcess;
let issuer: string;
let op: TestOp;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;

describe.skipIf(!haveRedis)('upstream OIDC login across two instances (start at A, callback at B)', () => {
  beforeAll(async () => {
    rp = await privateKeyJwtClient('rp-upstream-multi', REDIRECT);
    const address = await pairAddress();
    issuer = address.issuer;
    op = await startTestOp({
      fapi: false,
      clients: [
        {
          client_id: 'kakehashi-up',
          redirect_uris: [`${issuer}/a/up/callback`],
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          // The OP reaches the gateway directly: this is always instance A.
          jwks_uri: `${issuer}/a/up/jwks.json`,
          id_token_signed_response_alg: 'ES256',
          userinfo_signed_response_alg: 'ES256',
        },
      ],
      acrValues: ['aal3', 'aal2'],
      login: { accountId: 'da-subject-multi', acr: 'aal3', amr: ['hwk', 'pin'] },
      account: { name: '架橋 花子', birthdate: '1990-04-01' },
      claims: { name: ['name'], birthdate: ['birthdate'] },
    });
    pair = await spawnPair(
      {
        sources: [
          {
            adapter: 'oidc-upstream',
            name: 'up',
            options: {
              issuer: op.issuer,
              allowInsecureRequests: true,
              profile: 'digital-agency',
              clientId: 'kakehashi-up',
              userinfoSignedResponseAlg: 'ES256',
            },
          },
        ],
        clients: [rp.config],
      },
      { address, env: await adapterKeys(['up:client']) },
    );
    ({ a, b } = pair);
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
    await op?.close();
  });

  it('completes at B a login A started; B authenticates to the OP with the key A publishes', async () => {
    const lb = balance(pair, ({ path }) => {
      if (path === '/a/up/callback') return 'B';
      // Should the OP fetch the JWKS through this process's fetch: from A.
      if (path === '/a/up/jwks.json') return 'A';
      if (/^\/interaction\/[^/]+\/source\/up$/.test(path)) return 'A';
      return undefined;
    });
    try {
      const flow = await codeFlow(
        await discover(issuer, rp),
        REDIRECT,
        { scope: 'openid profile', acr_values: 'urn:kakehashi:loa:high' },
        { nonce: true },
      );
      const callbackUrl = await upstreamLogin(flow.url.href, REDIRECT, 'up');
      expect(callbackUrl.searchParams.get('error'), lb.log()).toBeNull();
      const by = (p: RegExp) => lb.served.filter((s) => p.test(s.path)).map((s) => s.by);
      expect(by(/^\/interaction\/[^/]+\/source\/up$/), lb.log()).toEqual(['A']);
      expect(by(/^\/a\/up\/callback$/), lb.log()).toEqual(['B']);
      const { claims, info } = await flow.redeem(callbackUrl);
      expect(claims.acr).toBe('urn:kakehashi:loa:high');
      expect(info.birthdate).toBe('1990-04-01');
    } finally {
      lb.restore();
    }
  });

  it('both instances publish the same client JWKS', async () => {
    const [ja, jb] = await Promise.all(
      [a, b].map(async (g) => (await fetch(`${g.url}/a/up/jwks.json`)).json()),
    );
    expect(ja).toEqual(jb);
    expect((ja as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
  });
});
