/**
 * The embedded default (SQLite under the data dir): a gateway restarted in the
 * middle of a login loses nothing, and after a full login no personal attribute
 * of the test identity is stored in plaintext (file, WAL and all).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, freePort, privateKeyJwtClient } from '../../helpers/gateway.js';
import { browserLogin, discover } from '../../helpers/rp.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const dataDir = mkdtempSync(join(tmpdir(), 'kakehashi-restart-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('SQLite store', () => {
  it('survives a restart mid-login and keeps no plaintext personal data', async () => {
    const rp = await privateKeyJwtClient('rp-restart', REDIRECT);
    const port = await freePort();
    let gw = await bootGateway({ dataDir, port, clients: [rp.config] });
    const config = await discover(gw.issuer, rp);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile address',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    // Up to the login page: the interaction (and its cookie) now exists only in the store.
    const browser = new TestBrowser();
    const loginPage = await browser.follow(authUrl.href);
    expect(loginPage.body).toContain('data-source="demo"');

    await gw.close();
    gw = await bootGateway({ dataDir, port, clients: [rp.config] });
    try {
      // Same browser, same interaction: continue from the login page after the restart.
      const { callbackUrl } = await browserLogin(loginPage.url, REDIRECT, { browser });
      const config2 = await discover(gw.issuer, rp);
      const tokens = await oidc.authorizationCodeGrant(config2, callbackUrl, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const info = await oidc.fetchUserInfo(config2, tokens.access_token, tokens.claims()!.sub);
      expect(info.given_name).toBe('花子');
    } finally {
      await gw.close();
    }

    const files = ['kakehashi.sqlite', 'kakehashi.sqlite-wal']
      .map((f) => join(dataDir, f))
      .filter((f) => existsSync(f));
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(bytes.includes(Buffer.from('login.success'))).toBe(true); // the scan reads real records
    for (const secret of ['架橋', '花子', 'カケハシ', 'Hanako', '1990-04-01', '千代田', '霞が関']) {
      expect(bytes.includes(Buffer.from(secret)), `plaintext "${secret}" in the SQLite files`).toBe(false);
    }
  });
});
