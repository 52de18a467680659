/**
 * Support for the OID4VCI issuer conformance suite (oid4vci-issuer.test.ts): the OIDF emulated wallet's
 * flow on top of the integration test wallet (test/integration/eudi/wallet.ts): PAR + PKCE + DPoP, the
 * token request, and credential requests with the unknown JSON members the OIDF wallet sprinkles in, extra
 * headers, or the access token where it must not be (the query).
 */
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { TestBrowser } from '../helpers/browser.js';
import { browserLogin } from '../helpers/rp.js';
import { PRE_AUTHORIZED_GRANT, TestWallet } from '../integration/eudi/wallet.js';

export interface WalletToken {
  accessToken: string;
  dpop?: oidc.DPoPHandle;
}

/** Random unknown members (OID4VCI 1.0 §8.2, RFC 6749 §3.1: unknown parameters MUST be ignored). */
export function sprinkle(): Record<string, string> {
  const name = () => `x_oidf_${randomBytes(4).toString('hex')}`;
  return { [name()]: randomBytes(6).toString('base64url'), [name()]: 'unknown-field' };
}

/**
 * The OIDF wallet's authorization: a pushed authorization request (RFC 9126, with DPoP), the browser login
 * at the hub (demo source), and the token request with DPoP; unknown members in the PAR and token requests.
 */
export async function parAuthorize(
  wallet: TestWallet,
  scope: string,
  extra: Record<string, string> = sprinkle(),
): Promise<WalletToken> {
  const cfg = await wallet.oauth();
  const dpop = await wallet.dpop();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = await oidc.buildAuthorizationUrlWithPAR(
    cfg,
    {
      redirect_uri: wallet.redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    },
    dpop ? { DPoP: dpop } : {},
  );
  if (!url.searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:'))
    throw new Error('the authorization request was not pushed');
  const { callbackUrl } = await browserLogin(url.href, wallet.redirectUri, { browser: new TestBrowser() });
  const tokens = await oidc.authorizationCodeGrant(
    cfg,
    callbackUrl,
    { pkceCodeVerifier: verifier, expectedState: state },
    extra,
    dpop ? { DPoP: dpop } : undefined,
  );
  return { accessToken: tokens.access_token, ...(dpop && { dpop }) };
}

export interface CredentialResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** A credential request with openid-client (Authorization header, DPoP proof when bound) and extra headers. */
export function credentialRequest(
  wallet: TestWallet,
  token: WalletToken,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<CredentialResponse> {
  return wallet.requestCredential(token, body, headers);
}

/** A credential request with the access token only in the query (`?access_token=`), no Authorization header. */
export async function credentialRequestTokenInQuery(
  wallet: TestWallet,
  accessToken: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<CredentialResponse> {
  const endpoint = new URL((await wallet.metadata()).credential_endpoint);
  endpoint.searchParams.set('access_token', accessToken);
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

/** Replace the signature of a compact JWS with one that does not verify (same length, other bytes). */
export function corruptSignature(jws: string): string {
  const [h, p, s] = jws.split('.');
  const sig = Buffer.from(s ?? '', 'base64url');
  sig[0] = (sig[0] ?? 0) ^ 0xff;
  sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 0x01;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

/**
 * The pre-authorized code grant variant: the person logs in at the issuer's offer page (demo source), the
 * wallet reads the offer (by value) and the transaction code, and redeems them at the token endpoint with
 * DPoP and unknown members.
 */
export async function preAuthorizedToken(wallet: TestWallet, issuer: string): Promise<WalletToken> {
  const browser = new TestBrowser();
  const start = await browser.request(`${issuer}/a/eudi/offer`);
  const { callbackUrl } = await browserLogin(
    start.headers.get('location') ?? '',
    `${issuer}/a/eudi/offer/callback`,
    { browser },
  );
  const page = await browser.request(callbackUrl.href);
  const uri = /id="offer-link" href="([^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
  const txCode = /id="tx-code"[^>]*>(\d+)</.exec(page.body)?.[1];
  if (!uri || !txCode) throw new Error('no offer on the offer page');
  const grant = TestWallet.parseOffer(uri).grants[PRE_AUTHORIZED_GRANT];
  const dpop = await wallet.dpop();
  const tokens = await oidc.genericGrantRequest(
    await wallet.oauth(),
    PRE_AUTHORIZED_GRANT,
    { 'pre-authorized_code': grant['pre-authorized_code'], tx_code: txCode, ...sprinkle() },
    dpop ? { DPoP: dpop } : undefined,
  );
  return { accessToken: tokens.access_token, ...(dpop && { dpop }) };
}
