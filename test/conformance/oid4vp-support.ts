/**
 * Support for the OID4VP verifier conformance suite (oid4vp-verifier.test.ts). The OIDF suite is a mock
 * wallet with its own mock issuer: here the mock issuer signs SD-JWT VCs of type `urn:eudi:pid:1` with
 * @sd-jwt/sd-jwt-vc (independent of the gateway's SD-JWT code) under a TEST X.509 chain the verifier's trust
 * list names, and the mock wallet builds the SD-JWT+KB itself with jose, so each negative module varies
 * exactly one part (KB-JWT signature, nonce, aud, iat, sd_hash; the issuer signature). Requests are read and
 * answers posted with the integration wallet's OpenID4VP side (test/integration/eudi/vp-wallet.ts).
 */
import { createHash } from 'node:crypto';
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { importJWK, type JWK, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { EUDI_ERRORS, type EudiErrorCode } from '../../adapters/eudi/errors.js';
import { issuePidMdoc } from '../../adapters/eudi/issuer/mdoc.js';
import { TestBrowser } from '../helpers/browser.js';
import { discover, type RpClient } from '../helpers/rp.js';
import { fetchVpRequest, type VpRequest } from '../integration/eudi/vp-wallet.js';
import { jpkiIdentity, type TestIssuer } from '../unit/eudi/fixtures.js';
import { corruptSignature } from './oid4vci-support.js';

export const EU_PID_VCT = 'urn:eudi:pid:1';
export const REDIRECT = 'http://127.0.0.1:9/cb';
const atRp = (u: string) => u.startsWith(REDIRECT);
const now = () => Math.floor(Date.now() / 1000);

/** The `eudi-wallet` source trusting only the mock issuer's TEST root. */
export function walletSource(name: string, rootPem: string, options: Record<string, unknown> = {}) {
  return {
    adapter: 'eudi-wallet',
    name,
    options: {
      trustedIssuers: [
        {
          name: 'oidf-mock-issuer',
          anchors: [rootPem],
          vcts: [EU_PID_VCT],
          doctypes: options.doctypes ?? [],
          loa: 'high',
        },
      ],
      statusListCacheSeconds: 0,
      ...options,
    },
  };
}

export interface VpLogin {
  c: oidc.Configuration;
  verifier: string;
  state: string;
  browser: TestBrowser;
  /** The waiting page (QR code and same-device link). */
  page: string;
  req: VpRequest;
  source: string;
  issuer: string;
}

/** The RP (openid-client) sends the person to the hub, who picks the wallet source: the verifier's request. */
export async function startVpLogin(
  issuer: string,
  rp: RpClient,
  source: string,
  scope = 'openid',
): Promise<VpLogin> {
  const c = await discover(issuer, rp);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(c, {
    redirect_uri: REDIRECT,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = new TestBrowser();
  const login = await browser.follow(url.href, atRp);
  const page = await browser.submit(login, `/source/${source}`, {}, atRp);
  expect(page.status).toBe(200);
  return {
    c,
    verifier,
    state,
    browser,
    page: page.body,
    req: await fetchVpRequest(page.body),
    source,
    issuer,
  };
}

/** The browser's poller saw the answer: /finish, consent if asked, back at the RP. */
export async function finishVpLogin(s: VpLogin): Promise<URL> {
  const status = await s.browser.request(`${s.issuer}/a/${s.source}/status/${s.req.state}`);
  expect(JSON.parse(status.body).state).not.toBe('pending');
  let page = await s.browser.follow(`${s.issuer}/a/${s.source}/finish/${s.req.state}`, atRp);
  if (page.body.includes('id="consent"'))
    page = await s.browser.submit(page, '#consent', { decision: 'approve' }, atRp);
  expect(page.url.startsWith(REDIRECT)).toBe(true);
  return new URL(page.url);
}

/** The presentation was accepted and the login completes: the RP gets tokens with the wallet's LoA. */
export async function expectLoggedIn(s: VpLogin, answer: { status: number; body: unknown }) {
  expect(answer).toMatchObject({ status: 200, body: {} });
  const tokens = await oidc.authorizationCodeGrant(s.c, await finishVpLogin(s), {
    pkceCodeVerifier: s.verifier,
    expectedState: s.state,
  });
  const claims = tokens.claims()!;
  expect(claims.amr).toEqual(['pop']);
  expect(claims.acr).toBe('urn:kakehashi:loa:high');
  return { claims, info: await oidc.fetchUserInfo(s.c, tokens.access_token, claims.sub) };
}

/**
 * The presentation is refused with a 4xx (the module then passes at once) carrying `code`, and the login
 * does not complete: the RP gets access_denied and no code.
 */
export async function expectRefused(
  s: VpLogin,
  answer: { status: number; body: { error?: string; error_description?: string } },
  code: EudiErrorCode,
) {
  expect(answer.status).toBe(400);
  expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: EUDI_ERRORS[code] });
  const callbackUrl = await finishVpLogin(s);
  expect(callbackUrl.searchParams.get('code')).toBeNull();
  expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
  expect(callbackUrl.searchParams.get('error_description')).toBe(EUDI_ERRORS[code]);
}

export interface Holder {
  privateJwk: JWK;
  publicJwk: JWK;
}

/**
 * An SD-JWT VC `urn:eudi:pid:1` from the mock issuer (via @sd-jwt/sd-jwt-vc), the PID base claims each
 * behind a disclosure, bound to `cnfJwk` (the holder's public key, with or without JWK metadata).
 */
export async function mockPid(issuer: TestIssuer, cnfJwk: JWK): Promise<string> {
  const privateJwk = issuer.signer.privateKey.export({ format: 'jwk' }) as JWK;
  const lib = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    signer: await ES256.getSigner(privateJwk),
    signAlg: 'ES256',
  });
  const iat = now();
  return lib.issue(
    {
      iss: 'https://oidf-mock-issuer.example',
      iat,
      exp: iat + 86_400,
      vct: EU_PID_VCT,
      cnf: { jwk: cnfJwk },
      family_name: 'Mustermann',
      given_name: 'Erika',
      birthdate: '1984-01-26',
      nationalities: ['DE'],
      issuing_country: 'DE',
    },
    { _sd: ['family_name', 'given_name', 'birthdate', 'nationalities', 'issuing_country'] },
    { header: { typ: 'dc+sd-jwt', x5c: [...issuer.signer.x5c] } },
  );
}

/** The mock issuer's JP PID-style mdoc (the iso_mdl variant) for the holder key `holderJwk`, valid a day. */
export async function mockPidMdoc(issuer: TestIssuer, holderJwk: JWK): Promise<string> {
  const { credential } = await issuePidMdoc({
    identity: jpkiIdentity(),
    holderJwk,
    signer: issuer.signer,
    issuingAuthority: 'OIDF mock issuer',
    issuingCountry: 'JP',
    validitySeconds: 86_400,
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  return credential;
}

/** Hand-built KB-JWT claims and a corrupted signature: the one part a negative module varies. */
export interface KbForgery {
  nonce?: string;
  aud?: string;
  iat?: number;
  sdHash?: string;
  corruptSignature?: boolean;
}

/** The mock wallet's SD-JWT+KB: every disclosure, and a KB-JWT (typ kb+jwt) over nonce, aud, iat, sd_hash. */
export async function mockPresentation(
  credential: string,
  holder: Holder,
  req: VpRequest,
  f: KbForgery = {},
): Promise<string> {
  const withoutKb = credential.endsWith('~') ? credential : `${credential}~`;
  const kb = await new SignJWT({
    iat: f.iat ?? now(),
    aud: f.aud ?? req.client_id,
    nonce: f.nonce ?? req.nonce,
    sd_hash: f.sdHash ?? createHash('sha256').update(withoutKb).digest('base64url'),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' })
    .sign(await importJWK(holder.privateJwk, 'ES256'));
  return withoutKb + (f.corruptSignature ? corruptSignature(kb) : kb);
}

/** @sd-jwt/sd-jwt-vc as the wallet: its own KB-JWT (nonce, aud, iat, sd_hash) over the chosen disclosures. */
export async function libraryPresentation(credential: string, holder: Holder, req: VpRequest) {
  const lib = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(holder.privateJwk),
    kbSignAlg: 'ES256',
  });
  return lib.present(
    credential,
    { family_name: true, given_name: true, birthdate: true },
    { kb: { payload: { nonce: req.nonce, aud: req.client_id, iat: now() } } },
  );
}

/** The SD-JWT with the issuer JWT's signature corrupted (disclosures untouched). */
export function corruptIssuerSignature(credential: string): string {
  const [jwt, ...rest] = credential.split('~');
  return [corruptSignature(jwt ?? ''), ...rest].join('~');
}
