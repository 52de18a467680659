/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the user confirms
 * on the gateway's own page (ja/en), the session ends, the browser returns to the
 * registered post-logout URI with the RP's state, and the next login asks again.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { browserLogin, discover } from '../../helpers/rp.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const AFTER_LOGOUT = 'http://127.0.0.1:9/bye';
let gw: TestGateway;
let c: oidc.Configuration;

beforeAll(async () => {
  const rp = await privateKeyJwtClient('rp-logout', REDIRECT, { post_logout_redirect_uris: [AFTER_LOGOUT] });
  gw = await bootGateway({ clients: [rp.config] });
  c = await discover(gw.issuer, rp);
});
afterAll(async () => gw?.close());

async function authUrl(verifier: string) {
  return oidc.buildAuthorizationUrl(c, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
}

describe('RP-initiated logout', () => {
  it('ends the session after confirmation and returns to the registered URI with state', async () => {
    const browser = new TestBrowser();
    const verifier = oidc.randomPKCECodeVerifier();
    const { callbackUrl } = await browserLogin((await authUrl(verifier)).href, REDIRECT, { browser });
    const tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
      pkceCodeVerifier: verifier,
      idTokenExpected: true,
    });

    const end = oidc.buildEndSessionUrl(c, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: AFTER_LOGOUT,
      state: 'bye-1',
      ui_locales: 'en',
    });
    const confirm = await browser.follow(end.href);
    expect(confirm.body).toContain('Do you want to sign out of Kakehashi?');
    const back = await browser.submit(confirm, '/session/end/confirm', { logout: 'yes' }, (u) =>
      u.startsWith(AFTER_LOGOUT),
    );
    expect(back.url).toBe(`${AFTER_LOGOUT}?state=bye-1`);

    // The session is gone: the next authorization request shows the login page again.
    const again = await browser.follow((await authUrl(oidc.randomPKCECodeVerifier())).href, (u) =>
      u.startsWith(REDIRECT),
    );
    expect(again.body).toContain('data-source="demo"');
  });

  it('refuses an unregistered post_logout_redirect_uri', async () => {
    const browser = new TestBrowser();
    const verifier = oidc.randomPKCECodeVerifier();
    const { callbackUrl } = await browserLogin((await authUrl(verifier)).href, REDIRECT, { browser });
    const tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
      pkceCodeVerifier: verifier,
      idTokenExpected: true,
    });
    const end = oidc.buildEndSessionUrl(c, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'https://evil.example/bye',
    });
    const page = await browser.request(end.href);
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.body).toContain('invalid_request');
  });
});
