/**
 * Drives a browser login through the gateway into an upstream source: picks the
 * source, follows the redirects through the upstream (test OPs finish their own
 * interaction without a page) back to the gateway, approves consent, and stops
 * at the relying party's redirect URI.
 */
import * as oidc from 'openid-client';
import { TestBrowser } from '../../../helpers/browser.js';

export async function upstreamLogin(
  authUrl: string,
  redirectUri: string,
  source: string,
  opts: { browser?: TestBrowser; rewriteUpstream?: (url: string) => string | undefined } = {},
): Promise<URL> {
  const browser = opts.browser ?? new TestBrowser();
  const atRp = (u: string) => u.startsWith(redirectUri);
  let page = await browser.follow(authUrl, atRp);
  for (let step = 0; step < 6 && !atRp(page.url); step++) {
    if (page.body.includes(`/source/${source}`)) {
      // Stop at the upstream authorization request so a test can rewrite it (e.g. a mockpass custom profile).
      const isUpstream = (u: string) => atRp(u) || opts.rewriteUpstream?.(u) !== undefined;
      page = await browser.submit(page, `/source/${source}`, {}, isUpstream);
      const rewritten = opts.rewriteUpstream?.(page.url);
      if (rewritten) page = await browser.follow(rewritten, atRp);
    } else if (page.body.includes('id="consent"')) {
      page = await browser.submit(page, '#consent', { decision: 'approve' }, atRp);
    } else throw new Error(`unexpected page ${page.url} (${page.status}):\n${page.body.slice(0, 1500)}`);
  }
  if (!atRp(page.url)) throw new Error(`login did not return to the RP; last page ${page.url}`);
  return new URL(page.url);
}

export interface Rp {
  clientId: string;
  redirectUri: string;
  key: { privateKey: CryptoKey; privateJwk: { kid?: string } };
}

/** An authorization request to the gateway with code + PKCE; returns what the RP keeps. */
export async function rpAuthorization(
  config: oidc.Configuration,
  rp: Rp,
  params: Record<string, string> = {},
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}
