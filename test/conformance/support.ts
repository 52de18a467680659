/**
 * Shared pieces of the conformance suites: an openid-client RP per test client,
 * a login that returns the code callback, raw authorization URLs for requests a
 * real RP library would refuse to build, and small fetch helpers.
 */

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { Page, TestBrowser } from '../helpers/browser.js';
import { browserLogin } from '../helpers/rp.js';

export const REDIRECT = 'http://127.0.0.1:9/cb';

export interface Rp {
  clientId: string;
  redirectUri: string;
  key: { privateKey: CryptoKey; privateJwk: { kid?: string } };
}

export type RpConfig = oidc.Configuration;

/** openid-client configuration for a private_key_jwt client of the gateway at `issuer`. */
export async function rpConfig(issuer: string, rp: Rp): Promise<RpConfig> {
  const c = await oidc.discovery(
    new URL(issuer),
    rp.clientId,
    { token_endpoint_auth_method: 'private_key_jwt' },
    oidc.PrivateKeyJwt({ key: rp.key.privateKey, kid: rp.key.privateJwk.kid }),
    { execute: [oidc.allowInsecureRequests] },
  );
  return c;
}

export interface Login {
  callbackUrl: URL;
  browser: TestBrowser;
  pages: Page[];
  verifier: string;
  state: string;
  nonce: string;
}

/** A front-channel login with openid-client building the request (code + PKCE S256, state, nonce). */
export async function login(
  c: RpConfig,
  params: Record<string, string> = {},
  opts: { browser?: TestBrowser; redirectUri?: string } = {},
): Promise<Login> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const redirectUri = opts.redirectUri ?? REDIRECT;
  const url = oidc.buildAuthorizationUrl(c, {
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  const r = await browserLogin(url.href, redirectUri, opts.browser ? { browser: opts.browser } : {});
  return { ...r, verifier, state, nonce };
}

/** Code exchange with openid-client (which validates the ID token, state and nonce). */
export async function exchange(c: RpConfig, l: Login, opts: { maxAge?: number } = {}) {
  return oidc.authorizationCodeGrant(c, l.callbackUrl, {
    pkceCodeVerifier: l.verifier,
    expectedState: l.state,
    expectedNonce: l.nonce,
    ...(opts.maxAge !== undefined && { maxAge: opts.maxAge }),
  });
}

/** A raw authorization endpoint URL (for requests openid-client would not build). */
export function authUrl(c: RpConfig, params: Record<string, string>): string {
  const u = new URL(c.serverMetadata().authorization_endpoint ?? '');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

/** Sensible defaults for a raw authorization request; override or delete keys per test. */
export function rawParams(clientId: string, extra: Record<string, string | undefined> = {}) {
  const base: Record<string, string | undefined> = {
    client_id: clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid',
    state: 'st-raw',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    ...extra,
  };
  return Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Query (or fragment) parameters of the redirect to the RP. */
export function responseParams(url: URL): URLSearchParams {
  return url.hash.length > 1 ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

export function claimsOf(idToken: string) {
  return decodeJwt(idToken);
}

/** The thrown OAuth error of an openid-client call, as `{ error, status }`. */
export async function oauthError(
  p: Promise<unknown>,
): Promise<{ error?: string; description?: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as {
      error?: string;
      error_description?: string;
      status?: number;
      cause?: { status?: number };
    };
    return { error: err.error, description: err.error_description, status: err.status ?? err.cause?.status };
  }
  throw new Error('expected the call to fail');
}

/** POST a form; returns status, parsed JSON body (or {}) and headers. */
export async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, headers: res.headers };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
