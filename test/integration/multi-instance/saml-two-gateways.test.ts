/**
 * The plain SAML IdP (target `saml`) across two gateway instances on one Redis, each with its own data
 * directory: one browser logs in to SP 1 entirely through A and to SP 2 entirely through B (one SAML session,
 * found by its cookie on either instance), then the IdP-initiated Single Logout runs with its requests
 * alternating — the logout chain, its LogoutRequest ids and the session live in the shared store, and each
 * instance's hub client (`saml:hub-client`, derived from the pepper) is the client the other registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../helpers/browser.js';
import { redisAvailable } from '../../helpers/redis.js';
import { samlLogin } from '../eidas/flow.js';
import { makeSp, postedForm, samlIdp, type TestSp } from '../saml/support.js';
import { balance } from './balancer.js';
import { type Pair, pairAddress, spawnPair } from './pair.js';

const haveRedis = await redisAvailable();
let pair: Pair;
let idp: Awaited<ReturnType<typeof samlIdp>>;
let sp1: TestSp;
let sp2: TestSp;

describe.skipIf(!haveRedis)('SAML IdP across two instances (SSO on each, Single Logout alternating)', () => {
  beforeAll(async () => {
    idp = await samlIdp();
    sp1 = await makeSp(idp, 'multi-sp1');
    sp2 = await makeSp(idp, 'multi-sp2');
    pair = await spawnPair(
      {
        sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'substantial' } }],
        targets: [
          {
            adapter: 'saml',
            name: 'saml',
            options: {
              signing: { key: idp.keys.keyPem, cert: idp.keys.certPem },
              sps: [
                { metadata: sp1.metadata, attributes: ['givenName'] },
                { metadata: sp2.metadata, attributes: ['givenName'] },
              ],
            },
          },
        ],
      },
      { address: await pairAddress(idp.port) },
    );
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
  });

  async function loginVia(browser: TestBrowser, sp: TestSp, instance: 'A' | 'B') {
    const lb = balance(pair, () => instance);
    try {
      const saml = sp.saml();
      const posted = await samlLogin(await saml.getAuthorizeUrlAsync('', undefined, {}), sp.acsUrl, {
        browser,
      });
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse });
      if (!profile) throw new Error('no profile');
      expect(new Set(lb.served.map((s) => s.by))).toEqual(new Set([instance]));
      return profile;
    } finally {
      lb.restore();
    }
  }

  it('one SAML session over both instances; IdP-initiated logout reaches both SPs and ends it', async () => {
    const browser = new TestBrowser();
    const p1 = await loginVia(browser, sp1, 'A');
    const p2 = await loginVia(browser, sp2, 'B');
    const logoutUrl = idp.sloUrl.replace(/\/slo$/, '/logout');

    const lb = balance(pair);
    try {
      const confirm = await browser.request(logoutUrl);
      expect(/id="session-count">(\d+)</.exec(confirm.body)?.[1], confirm.body.slice(0, 400)).toBe('2');
      let page = await browser.submit(confirm, '/logout');
      for (const [sp, profile] of [
        [sp1, p1],
        [sp2, p2],
      ] as const) {
        const form = postedForm(page, sp.sloUrl);
        expect(form, `${lb.log()}\n${page.body.slice(0, 600)}`).toBeDefined();
        const saml = sp.saml();
        const { profile: req, loggedOut } = await saml.validatePostRequestAsync({
          SAMLRequest: form?.value ?? '',
        });
        expect(loggedOut).toBe(true);
        expect(req?.nameID).toBe(profile.nameID);
        // The SP answers with a signed HTTP-Redirect LogoutResponse to the IdP (whichever instance).
        page = await browser.follow(await saml.getLogoutResponseUrlAsync(req as never, '', {}, true));
      }
      expect(page.body, lb.log()).toContain('/session/end/confirm');
      const done = await browser.submit(page, '/session/end/confirm', { logout: 'yes' });
      expect(done.body, lb.log()).toContain('id="logged-out"');
      expect(done.body).not.toContain('id="partial"');
      const after = await browser.request(logoutUrl);
      expect(after.body).toContain('id="no-session"');
      expect(new Set(lb.served.map((s) => s.by))).toEqual(new Set(['A', 'B']));
    } finally {
      lb.restore();
    }
  });
});
