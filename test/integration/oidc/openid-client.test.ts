/**
 * A real RP library (openid-client 6) logs in through the gateway with the demo
 * source: authorization code + PKCE with private_key_jwt, PAR, DPoP; validates
 * the ID token and reads userinfo.
 */

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGateway, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { browserLogin, discover } from '../../helpers/rp.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
let gw: TestGateway;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;

beforeAll(async () => {
  rp = await privateKeyJwtClient('rp-1', REDIRECT);
  gw = await bootGateway({ clients: [rp.config] });
});
afterAll(async () => gw?.close());

async function config() {
  return discover(gw.issuer, rp);
}

describe('openid-client against the gateway', () => {
  it('publishes discovery with our acr values, PAR, DPoP and S256 only', async () => {
    const c = await config();
    const meta = c.serverMetadata();
    expect(meta.issuer).toBe(gw.issuer);
    expect(meta.acr_values_supported).toEqual([
      'urn:kakehashi:loa:low',
      'urn:kakehashi:loa:substantial',
      'urn:kakehashi:loa:high',
    ]);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.pushed_authorization_request_endpoint).toBeDefined();
    expect(meta.dpop_signing_alg_values_supported).toContain('ES256');
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta.subject_types_supported).toContain('pairwise');
  });

  it('completes code + PKCE with private_key_jwt and returns claims', async () => {
    const c = await config();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: REDIRECT,
      scope: 'openid profile address',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      acr_values: 'urn:kakehashi:loa:substantial',
    });
    const { callbackUrl } = await browserLogin(url.href, REDIRECT);
    expect(callbackUrl.searchParams.get('iss')).toBe(gw.issuer); // RFC 9207
    const tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('urn:kakehashi:loa:substantial');
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claims.sub).not.toContain('demo-user');
    const info = await oidc.fetchUserInfo(c, tokens.access_token, claims.sub);
    expect(info.family_name).toBe('架橋');
    expect(info.given_name).toBe('花子');
    expect(info['family_name#ja-Kana-JP']).toBe('カケハシ');
    expect(info.birthdate).toBe('1990-04-01');
    expect((info.address as { formatted: string }).formatted).toContain('千代田区');
  });

  it('completes a PAR + DPoP login with DPoP-bound tokens', async () => {
    const c = await config();
    const dpopKeys = await oidc.randomDPoPKeyPair('ES256');
    const dpop = oidc.getDPoPHandle(c, dpopKeys);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(
      c,
      {
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      },
      { DPoP: dpop },
    );
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const { callbackUrl } = await browserLogin(url.href, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(
      c,
      callbackUrl,
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      { DPoP: dpop },
    );
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const info = await oidc.fetchUserInfo(c, tokens.access_token, tokens.claims()!.sub, { DPoP: dpop });
    expect(info.sub).toBe(tokens.claims()!.sub);
    // The same token without the DPoP proof is refused.
    const bare = await fetch(c.serverMetadata().userinfo_endpoint!, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(bare.status).toBe(401);
  });

  it('gives pseudonymous logins no personal claims', async () => {
    const c = await config();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const { callbackUrl } = await browserLogin(url.href, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const info = await oidc.fetchUserInfo(c, tokens.access_token, tokens.claims()!.sub);
    expect(Object.keys(info).sort()).toEqual(['sub']);
  });
});
