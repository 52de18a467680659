/**
 * The eIDAS connector SP (source `eidas-node`) across two gateway instances on one Redis, each with its own
 * data directory: the EU node reads the SP metadata from B, the AuthnRequest is issued by A, the node's
 * response is posted to the ACS on B (cross-site POST without cookies), and /finish and consent alternate.
 * Then the other way round: the same EU person must get the same pseudonymous subject whichever instance
 * took the response — the source's pseudonym secret (`eu:eidas-pseudonym`) is derived from the shared pepper.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Page, TestBrowser } from '../../helpers/browser.js';
import { codeFlow } from '../../helpers/code-flow.js';
import { privateKeyJwtClient } from '../../helpers/gateway.js';
import { redisAvailable } from '../../helpers/redis.js';
import { discover } from '../../helpers/rp.js';
import { eidasNodeSource, serveTestNode } from '../eidas/fixtures.js';
import { rsaKeyPair, type TestKeyPair } from '../eidas/support.js';
import { readRedirectRequest, type TestNode } from '../eidas/test-node.js';
import { balance } from './balancer.js';
import { type Pair, spawnPair } from './pair.js';

const haveRedis = await redisAvailable();
const REDIRECT = 'http://127.0.0.1:9/cb';
let pair: Pair;
let issuer: string;
let closeNode: (() => Promise<void>) | undefined;
let node: TestNode;
let spKeys: TestKeyPair;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;

describe.skipIf(!haveRedis)(
  'eIDAS connector SP across two instances (request from one, response to the other)',
  () => {
    beforeAll(async () => {
      ({ node, close: closeNode } = await serveTestNode());
      spKeys = await rsaKeyPair('Kakehashi eIDAS connector SP');
      rp = await privateKeyJwtClient('rp-eu-multi', REDIRECT);
      pair = await spawnPair({
        sources: [eidasNodeSource(node, spKeys)],
        clients: [rp.config],
      });
      issuer = pair.issuer;
    }, 60_000);

    afterAll(async () => {
      await pair?.stop();
      await closeNode?.();
    });

    /** One login: the AuthnRequest from `requestFrom`, the node's response posted to `acsOn`. */
    async function login(requestFrom: 'A' | 'B', acsOn: 'A' | 'B') {
      const lb = balance(pair, ({ path }) => {
        if (/^\/interaction\/[^/]+\/source\/eu$/.test(path)) return requestFrom;
        if (path === '/a/eu/acs' || path === '/a/eu/metadata') return acsOn;
        return undefined;
      });
      try {
        const acsUrl = `${issuer}/a/eu/acs`;
        // The node's view of the SP: the metadata of the instance it will post to.
        const metadata = await (await fetch(`${issuer}/a/eu/metadata`)).text();
        expect(metadata).toContain(`Location="${acsUrl}"`);

        const flow = await codeFlow(await discover(issuer, rp), REDIRECT, {
          scope: 'openid profile',
          acr_values: 'urn:kakehashi:loa:substantial',
        });
        const browser = new TestBrowser();
        const atNode = (u: string) => u.startsWith(node.ssoUrl);
        let page: Page = await browser.follow(flow.url.href, atNode);
        if (!atNode(page.url)) page = await browser.submit(page, '/source/eu', {}, atNode);
        expect(page.url.startsWith(node.ssoUrl), lb.log()).toBe(true);
        const xml = readRedirectRequest(page.url, spKeys.certPem);
        const id = /ID="([^"]+)"/.exec(xml)?.[1] ?? '';

        const response = await node.respond(
          {
            inResponseTo: id,
            acsUrl,
            audience: `${issuer}/a/eu/metadata`,
            attributes: { Gender: ['Female'] },
          },
          spKeys.certPem,
        );
        // The node's auto-submitted form: a cross-site POST, without the browser's cookies.
        const posted = await fetch(acsUrl, {
          method: 'POST',
          body: new URLSearchParams({ SAMLResponse: Buffer.from(response).toString('base64') }),
          redirect: 'manual',
        });
        expect(posted.status, lb.log()).toBe(303);
        const finishUrl = new URL(posted.headers.get('location') ?? '', acsUrl).href;
        const atRp = (u: string) => u.startsWith(REDIRECT);
        page = await browser.follow(finishUrl, atRp);
        if (!atRp(page.url)) page = await browser.submit(page, '#consent', { decision: 'approve' }, atRp);
        expect(page.url.startsWith(REDIRECT), `${lb.log()}\n${page.body.slice(0, 500)}`).toBe(true);
        const { claims, info } = await flow.redeem(new URL(page.url));
        const by = (p: RegExp) => lb.served.filter((s) => p.test(s.path)).map((s) => s.by);
        expect(by(/^\/interaction\/[^/]+\/source\/eu$/), lb.log()).toEqual([requestFrom]);
        expect(by(/^\/a\/eu\/acs$/), lb.log()).toEqual([acsOn]);
        return { claims, info };
      } finally {
        lb.restore();
      }
    }

    it('takes at B the response to A’s AuthnRequest and the other way round; same subject both times', async () => {
      const first = await login('A', 'B');
      expect(first.claims.acr).toBe('urn:kakehashi:loa:substantial');
      expect(first.info.family_name).toBe('Müller');
      expect(first.info.birthdate).toBe('1964-08-12');
      const second = await login('B', 'A');
      expect(second.claims.sub).toBe(first.claims.sub);
    });
  },
);
