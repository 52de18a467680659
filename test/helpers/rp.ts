/** Drives a full login with openid-client as the RP and TestBrowser as the user agent. */
import * as oidc from 'openid-client';
import { type Page, TestBrowser } from './browser.js';

export interface RpClient {
  clientId: string;
  redirectUri: string;
  key: { privateKey: CryptoKey; privateJwk: { kid?: string } };
}

export async function discover(issuer: string, c: RpClient, options: { dpop?: boolean } = {}) {
  void options;
  return oidc.discovery(
    new URL(issuer),
    c.clientId,
    { token_endpoint_auth_method: 'private_key_jwt' },
    oidc.PrivateKeyJwt({ key: c.key.privateKey, kid: c.key.privateJwk.kid }),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
}

export interface LoginResult {
  callbackUrl: URL;
  verifier: string;
  state: string;
  nonce: string;
  browser: TestBrowser;
  pages: Page[];
}

/**
 * Opens `authUrl` in the browser, picks `source`, signs in with the demo source,
 * approves consent (if asked) and returns the redirect to the RP.
 */
export async function browserLogin(
  authUrl: string,
  redirectUri: string,
  opts: { browser?: TestBrowser; source?: string; consent?: 'approve' | 'deny' } = {},
): Promise<{ callbackUrl: URL; browser: TestBrowser; pages: Page[] }> {
  const browser = opts.browser ?? new TestBrowser();
  const atRp = (u: string) => u.startsWith(redirectUri);
  const pages: Page[] = [];
  let page = await browser.follow(authUrl, atRp);
  pages.push(page);
  for (let step = 0; step < 6 && !atRp(page.url); step++) {
    if (page.body.includes('/source/'))
      page = await browser.submit(page, `/source/${opts.source ?? 'demo'}`, {}, atRp);
    else if (page.body.includes('id="demo-login"'))
      page = await browser.submit(page, '/a/demo/login', {}, atRp);
    else if (page.body.includes('id="consent"'))
      page = await browser.submit(page, '#consent', { decision: opts.consent ?? 'approve' }, atRp);
    else throw new Error(`unexpected page ${page.url} (${page.status}):\n${page.body.slice(0, 1500)}`);
    pages.push(page);
  }
  if (!atRp(page.url)) throw new Error(`login did not return to the RP; last page ${page.url}`);
  return { callbackUrl: new URL(page.url), browser, pages };
}
