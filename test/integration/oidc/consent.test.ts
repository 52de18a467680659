/**
 * Consent: shown right after the first login for a client (no extra round trip),
 * lists exactly the requested attribute names, switches language without losing
 * the pending login, can be refused, and is not asked again once granted.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { discover } from '../../helpers/rp.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
let gw: TestGateway;
let c: oidc.Configuration;
beforeAll(async () => {
  const rp = await privateKeyJwtClient('rp-consent', REDIRECT);
  gw = await bootGateway({ clients: [rp.config] });
  c = await discover(gw.issuer, rp);
});
afterAll(async () => gw?.close());

const atRp = (u: string) => u.startsWith(REDIRECT);

async function start(browser: TestBrowser, scope: string) {
  const url = oidc.buildAuthorizationUrl(c, {
    redirect_uri: REDIRECT,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: 's',
  });
  const login = await browser.follow(url.href, atRp);
  const demo = await browser.submit(login, '/source/demo', {}, atRp);
  return browser.submit(demo, '/a/demo/login', {}, atRp);
}

describe('consent', () => {
  it('lists the requested attributes, survives a language switch, and is remembered once granted', async () => {
    const browser = new TestBrowser();
    const consent = await start(browser, 'openid birthdate address');
    expect(consent.body).toContain('情報提供への同意');
    const listed = [...consent.body.matchAll(/data-attribute="([^"]+)"/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(['address', 'birthDate']);
    const uid = /action="\/interaction\/([^/]+)\/consent"/.exec(consent.body)?.[1];
    const english = await browser.request(`${gw.issuer}/interaction/${uid}?lang=en`);
    expect(english.body).toContain('Consent to share information');
    const done = await browser.submit(english, '/consent', { decision: 'approve' }, atRp);
    expect(new URL(done.url).searchParams.get('code')).toBeTruthy();

    // Same browser, same client, same scopes: the session and the grant are reused, no pages at all.
    const again = oidc.buildAuthorizationUrl(c, {
      redirect_uri: REDIRECT,
      scope: 'openid birthdate address',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const silent = await browser.follow(again.href, atRp);
    expect(new URL(silent.url).searchParams.get('code')).toBeTruthy();
  });

  it('sends access_denied to the RP when the user refuses, and audits it', async () => {
    const browser = new TestBrowser();
    const consent = await start(browser, 'openid address');
    const back = await browser.submit(consent, '/consent', { decision: 'deny' }, atRp);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    const events = (await gw.gateway.store.readAudit(0)).map((r) => JSON.parse(r.body) as { type: string });
    expect(events.some((e) => e.type === 'consent.denied')).toBe(true);
  });

  it('refuses a consent form without the CSRF token', async () => {
    const browser = new TestBrowser();
    const consent = await start(browser, 'openid');
    const uid = /action="\/interaction\/([^/]+)\/consent"/.exec(consent.body)?.[1];
    const forged = await browser.request(`${gw.issuer}/interaction/${uid}/consent`, {
      method: 'POST',
      body: new URLSearchParams({ decision: 'approve' }),
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
  });
});
