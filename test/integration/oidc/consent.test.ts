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
    const uid = /id="consent" method="post" action="\/auth\/([^"]+)"/.exec(consent.body)?.[1];
    const english = await browser.request(`${gw.issuer}/interaction/${uid}?lang=en`);
    expect(english.body).toContain('Consent to share information');
    const done = await browser.submit(english, '#consent', { decision: 'approve' }, atRp);
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
    const back = await browser.submit(consent, '#consent', { decision: 'deny' }, atRp);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    const events = (await gw.gateway.store.readAudit(0)).map((r) => JSON.parse(r.body) as { type: string });
    expect(events.some((e) => e.type === 'consent.denied')).toBe(true);
  });

  it('refuses a consent form without the CSRF token', async () => {
    const browser = new TestBrowser();
    const consent = await start(browser, 'openid');
    const uid = /id="consent" method="post" action="\/auth\/([^"]+)"/.exec(consent.body)?.[1];
    const forged = await browser.request(`${gw.issuer}/auth/${uid}`, {
      method: 'POST',
      body: new URLSearchParams({ decision: 'approve' }),
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
  });

  it('posts the decision to the resume URL, which answers with the redirect to the RP in the same response', async () => {
    const browser = new TestBrowser();
    const consent = await start(browser, 'openid address');
    const action = /id="consent" method="post" action="([^"]+)"/.exec(consent.body)?.[1] ?? '';
    expect(action).toMatch(/^\/auth\/[\w-]+$/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(consent.body)?.[1] ?? '';
    const r = await browser.request(`${gw.issuer}${action}`, {
      method: 'POST',
      body: new URLSearchParams({ csrf, decision: 'approve' }),
    });
    expect(r.status).toBe(303);
    const back = new URL(r.headers.get('location') ?? '', gw.issuer);
    expect(back.href.startsWith(REDIRECT)).toBe(true);
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('s');
    // Metrics see the request as it came: a POST to the consent route, not the GET it continued as.
    const metrics = await (await fetch(`${gw.issuer}/metrics`)).text();
    expect(metrics).toMatch(
      /^kakehashi_http_request_duration_seconds_count\{method="POST",route="\/auth\/:uid",status="303"\} [1-9]/m,
    );
    // The interaction is consumed: the same decision again is refused without a second grant.
    const again = await browser.request(`${gw.issuer}${action}`, {
      method: 'POST',
      body: new URLSearchParams({ csrf, decision: 'approve' }),
    });
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
  });

  it('refuses a decision without the resume cookie, before any grant or audit record is written', async () => {
    const browser = new TestBrowser();
    const consent = await start(browser, 'openid birthdate');
    const before = (await gw.gateway.store.readAudit(0)).length;
    browser.forget('_interaction_resume');
    const r = await browser.submit(consent, '#consent', { decision: 'approve' }, atRp);
    expect(r.status).toBe(400);
    expect(r.body).toContain('the login session has expired or does not exist');
    expect(await gw.gateway.store.readAudit(0)).toHaveLength(before);
  });

  it("refuses another login's consent page once a second login took over the browser's interaction", async () => {
    const browser = new TestBrowser();
    const first = await start(browser, 'openid address');
    await start(browser, 'openid birthdate');
    const r = await browser.submit(first, '#consent', { decision: 'approve' }, atRp);
    expect(r.status).toBe(400);
    expect(r.body).toContain('this page belongs to another login');
    expect(r.headers.get('location')).toBeNull();
  });
});

describe('consent with response_mode=form_post', () => {
  it('answers the decision with the auto-submitting form to the RP, carrying the code', async () => {
    const browser = new TestBrowser();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: REDIRECT,
      scope: 'openid address',
      response_mode: 'form_post',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'fp',
    });
    const login = await browser.follow(url.href, atRp);
    const demo = await browser.submit(login, '/source/demo', {}, atRp);
    const consent = await browser.submit(demo, '/a/demo/login', {}, atRp);
    expect(consent.body).toContain('id="consent"');
    const answer = await browser.submit(consent, '#consent', { decision: 'approve' }, atRp);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    const form = /<form[^>]*method="post"[^>]*action="([^"]+)"/.exec(answer.body);
    expect(form?.[1]).toBe(REDIRECT);
    expect(answer.body).toMatch(/name="code" value="[^"]+"/);
    expect(answer.body).toContain('name="state" value="fp"');
  });
});
