/**
 * JPKI login across two gateway instances on one Redis, each with its own data directory: the browser's
 * requests alternate between A and B, while the card client (the user's phone or PC app) fetches the
 * challenge from and posts the card's answer to B, and the waiting page's long poll is held by A. A learns
 * of the answer B verified from the shared store (JPKI `statusRecheckMs`), the login completes, and the RP
 * exchanges the code on whichever instance. A virtual My Number Card, a real OCSP responder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IssuedCard, TEST_HOLDERS } from '../../../adapters/jpki/pki/index.js';
import { TestBrowser } from '../../helpers/browser.js';
import { codeFlow } from '../../helpers/code-flow.js';
import { privateKeyJwtClient } from '../../helpers/gateway.js';
import {
  answerWithCard,
  finishJpkiLogin,
  type JpkiPeers,
  openJpkiChallenge,
  startJpki,
} from '../../helpers/jpki.js';
import { redisAvailable } from '../../helpers/redis.js';
import { discover } from '../../helpers/rp.js';
import { balance } from './balancer.js';
import { type Pair, spawnPair } from './pair.js';

const haveRedis = await redisAvailable();
const REDIRECT = 'http://127.0.0.1:9/cb';
const HIGH = 'urn:kakehashi:loa:high';
let pair: Pair;
let issuer: string;
let jpki: JpkiPeers;
let card: IssuedCard;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;

describe.skipIf(!haveRedis)('JPKI login across two instances (card client on B, long poll on A)', () => {
  beforeAll(async () => {
    jpki = await startJpki([TEST_HOLDERS[0]!]);
    card = jpki.cards[0]!;
    rp = await privateKeyJwtClient('rp-jpki-multi', REDIRECT);
    pair = await spawnPair({ sources: [jpki.source], clients: [rp.config] });
    issuer = pair.issuer;
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
    await jpki?.revocation.close();
  });

  /** One card login; returns the tokens' claims, the userinfo, and who served what. */
  async function login(params: Record<string, string>) {
    const lb = balance(pair, ({ path }) => {
      if (path.startsWith('/a/jpki/challenge/') || path.startsWith('/a/jpki/response/')) return 'B';
      if (path.startsWith('/a/jpki/status/')) return 'A';
      return undefined;
    });
    try {
      const flow = await codeFlow(await discover(issuer, rp), REDIRECT, { acr_values: HIGH, ...params });
      const browser = new TestBrowser();
      const atRp = (u: string) => u.startsWith(REDIRECT);
      const challengeUrl = await openJpkiChallenge(browser, flow.url.href, atRp);
      // The waiting page's long poll, held by A while the card answers at B.
      const statusUrl = `${challengeUrl.replace('/challenge/', '/status/').split('?')[0]}?wait=1`;
      const polled = browser.request(statusUrl, { headers: { accept: 'application/json' } });
      const { answer } = await answerWithCard(challengeUrl, card);
      expect(answer.status).toBe(200);
      const answered = Date.now();
      const status = await polled;
      expect(JSON.parse(status.body), status.body).toMatchObject({
        state: expect.not.stringMatching(/^pending$/),
      });
      // Released by A's re-read of the store (every 2 s), well before the 25 s hold would end.
      expect(Date.now() - answered).toBeLessThan(10_000);
      const page = await finishJpkiLogin(browser, challengeUrl, atRp);
      expect(page.url.startsWith(REDIRECT), lb.log()).toBe(true);
      const { claims, info } = await flow.redeem(new URL(page.url));
      return { claims, info, served: [...lb.served], log: lb.log() };
    } finally {
      lb.restore();
    }
  }

  it('pseudonymous login: card client on B, long poll on A, the rest alternating', async () => {
    const r = await login({ scope: 'openid' });
    const by = (p: string) => r.served.filter((s) => s.path.startsWith(p)).map((s) => s.by);
    expect(by('/a/jpki/challenge/'), r.log).toEqual(['B']);
    expect(by('/a/jpki/response/'), r.log).toEqual(['B']);
    expect(by('/a/jpki/status/'), r.log).toEqual(['A']);
    expect(by('/a/jpki/finish/').length, r.log).toBe(1);
    expect(new Set(r.served.map((s) => s.by)), r.log).toEqual(new Set(['A', 'B']));
    expect(r.claims.acr).toBe(HIGH);
    expect(Object.keys(r.info)).toEqual(['sub']);
  });

  it('basic four attributes after a consent rendered by one instance and posted to the other; same sub both times', async () => {
    const first = await login({ scope: 'openid' });
    const r = await login({ scope: 'openid profile address' });
    // The consent form is posted to POST /auth/<uid>, rendered by the GET just before it.
    const posted = r.served.findIndex((s) => s.method === 'POST' && /^\/auth\/[^/]+$/.test(s.path));
    const rendered = r.served.slice(0, posted).findLastIndex((s) => s.method === 'GET');
    expect(posted, r.log).toBeGreaterThan(0);
    expect(r.served[rendered]?.by, r.log).not.toBe(r.served[posted]?.by);
    expect(r.info.family_name).toBe(TEST_HOLDERS[0]!.familyName);
    expect(r.info.birthdate).toBe(TEST_HOLDERS[0]!.birthDate);
    // The pseudonymous subject does not depend on the instance that verified the card.
    expect(r.claims.sub).toBe(first.claims.sub);
  });
});
