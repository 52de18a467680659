/**
 * A relying party configured exactly as a Singpass FAPI RP (openid-client:
 * PAR, DPoP, PKCE S256, private_key_jwt ES256, decrypting the ECDH-ES+A256KW /
 * A256CBC-HS512 ID token with its own `use: enc` key) logs in at the gateway's
 * Singpass-like target with the demo source at LoA high.
 */
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGateway, makeClientKey, type TestGateway } from '../../helpers/gateway.js';
import { browserLogin } from '../../helpers/rp.js';

const REDIRECT = 'http://127.0.0.1:9/sg-cb';
let gw: TestGateway;
let sig: Awaited<ReturnType<typeof makeClientKey>>;
let encPrivate: CryptoKey;
let config: oidc.Configuration;

beforeAll(async () => {
  sig = await makeClientKey('ES256');
  const enc = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
  encPrivate = enc.privateKey;
  const encPublic = { ...(await exportJWK(enc.publicKey)), alg: 'ECDH-ES+A256KW', kid: 'rp-enc', use: 'enc' };
  gw = await bootGateway({
    config: {
      sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'high' } }],
      targets: [
        {
          adapter: 'singpass',
          name: 'sg',
          options: {
            clients: [
              {
                client_id: 'sgrp0000000000000000000000000001',
                client_name: 'Singapore service',
                redirect_uris: [REDIRECT],
                jwks: { keys: [sig.publicJwk, encPublic] },
              },
            ],
          },
        },
      ],
    },
  });
  config = await oidc.discovery(
    new URL(gw.issuer),
    'sgrp0000000000000000000000000001',
    { id_token_signed_response_alg: 'ES256' },
    oidc.PrivateKeyJwt({ key: sig.privateKey, kid: sig.privateJwk.kid }),
    { execute: [oidc.allowInsecureRequests] },
  );
  oidc.enableDecryptingResponses(config, ['A256CBC-HS512'], {
    key: encPrivate,
    alg: 'ECDH-ES+A256KW',
    kid: 'rp-enc',
  });
});
afterAll(async () => gw?.close());

async function fapiLogin(scope: string) {
  const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = await oidc.buildAuthorizationUrlWithPAR(
    config,
    {
      redirect_uri: REDIRECT,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      acr_values: 'urn:kakehashi:loa:high',
    },
    { DPoP: dpop },
  );
  const { callbackUrl } = await browserLogin(url.href, REDIRECT, { source: 'demo' });
  const tokens = await oidc.authorizationCodeGrant(
    config,
    callbackUrl,
    { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce },
    undefined,
    { DPoP: dpop },
  );
  return { tokens, dpop };
}

describe('Singpass-like target with a Singpass FAPI RP', () => {
  it('refuses an authorization request without PAR (the client is fapi2)', async () => {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
    });
    const res = await fetch(url, { redirect: 'manual' });
    const location = res.headers.get('location') ?? '';
    const body = location ? '' : await res.text();
    expect(`${location} ${body}`).toContain('invalid_request');
  });

  it('logs in with PAR + DPoP + private_key_jwt and an encrypted ID token; Myinfo-like name in Latin', async () => {
    const { tokens, dpop } = await fapiLogin('openid name');
    expect(tokens.id_token?.split('.')).toHaveLength(5); // JWE compact serialization
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256CBC-HS512', kid: 'rp-enc' });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const claims = tokens.claims()!;
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP: dpop });
    expect(info.name).toEqual({ value: 'KAKEHASHI HANAKO', source: '1', classification: 'C' });
    expect(JSON.stringify(info)).not.toMatch(/uinfin|架橋/);
  });

  it('gives sub in the u=<pairwise UUID> form, stable across logins', async () => {
    const first = (await fapiLogin('openid')).tokens.claims()!;
    const second = (await fapiLogin('openid')).tokens.claims()!;
    expect(first.sub).toMatch(/^u=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.sub).toBe(first.sub);
  });

  it('releases dob, sex, nationality and regadd only through their Myinfo scopes', async () => {
    const { tokens, dpop } = await fapiLogin('openid name dob sex nationality regadd');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP: dpop });
    expect(Object.keys(info).sort()).toEqual(['dob', 'name', 'nationality', 'regadd', 'sex', 'sub']);
    expect((info.dob as { value: string }).value).toBe('1990-04-01');
    const narrow = await fapiLogin('openid dob');
    const info2 = await oidc.fetchUserInfo(config, narrow.tokens.access_token, narrow.tokens.claims()!.sub, {
      DPoP: narrow.dpop,
    });
    expect(Object.keys(info2).sort()).toEqual(['dob', 'sub']);
  });

  it('carries acr in the Singpass vocabulary, and reads Singpass acr_values', async () => {
    const { tokens } = await fapiLogin('openid');
    expect(tokens.claims()!.acr).toBe('urn:singpass:authentication:loa:3');
    expect(config.serverMetadata().acr_values_supported).toContain('urn:singpass:authentication:loa:3');
  });
});
