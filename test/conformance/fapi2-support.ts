/**
 * Forgery helpers for the FAPI 2.0 suite: hand-built client assertions, DPoP
 * proofs and request objects (with jose), so tests can vary exactly one claim
 * or header the gateway must check. A control test per helper proves the
 * unforged variant is accepted, so each refusal is about the varied part.
 */
import { createHash, randomUUID } from 'node:crypto';
import { base64url, exportJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { browserLogin } from '../helpers/rp.js';
import { postForm, REDIRECT, type RpConfig } from './support.js';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const now = () => Math.floor(Date.now() / 1000);

export interface SigningKey {
  privateKey: CryptoKey;
  kid?: string | undefined;
  alg: string;
}

/** A private_key_jwt client assertion with the given claims overriding the correct ones. */
export async function clientAssertion(
  key: SigningKey,
  clientId: string,
  issuer: string,
  override: JWTPayload & { [k: string]: unknown } = {},
  drop: string[] = [],
): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: clientId,
    sub: clientId,
    aud: issuer,
    jti: randomUUID(),
    iat: now(),
    exp: now() + 60,
    ...override,
  };
  for (const d of drop) delete claims[d];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, ...(key.kid && { kid: key.kid }) })
    .sign(key.privateKey);
}

/** An unsigned JWT (alg none) with arbitrary header members: jose will not sign these. */
export function unsignedJwt(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
  return `${enc({ ...header, alg: 'none' })}.${enc(payload)}.`;
}

export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  alg: string;
}

export async function dpopKey(pair: CryptoKeyPair, alg = 'ES256'): Promise<DpopKey> {
  return { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey), alg };
}

/** A DPoP proof (RFC 9449 §4.2) for `htm htu`, optionally bound to an access token (`ath`). */
export async function dpopProof(
  key: DpopKey,
  htm: string,
  htu: string,
  opts: { accessToken?: string; override?: Record<string, unknown> } = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    htm,
    htu,
    jti: randomUUID(),
    iat: now(),
    ...(opts.accessToken && { ath: createHash('sha256').update(opts.accessToken).digest('base64url') }),
    ...opts.override,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk })
    .sign(key.privateKey);
}

/** A signed request object (JAR, RFC 9101) with FAPI's exp/nbf/aud; `override`/`drop` vary it. */
export async function requestObject(
  key: SigningKey,
  clientId: string,
  issuer: string,
  params: Record<string, string>,
  override: Record<string, unknown> = {},
  drop: string[] = [],
): Promise<string> {
  const claims: Record<string, unknown> = {
    ...params,
    iss: clientId,
    aud: issuer,
    client_id: clientId,
    jti: randomUUID(),
    iat: now(),
    nbf: now(),
    exp: now() + 60,
    ...override,
  };
  for (const d of drop) delete claims[d];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'oauth-authz-req+jwt', ...(key.kid && { kid: key.kid }) })
    .sign(key.privateKey);
}

/** POST to the PAR endpoint with a (possibly forged) client assertion. */
export async function rawPar(
  c: RpConfig,
  clientId: string,
  assertion: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return postForm(
    c.serverMetadata().pushed_authorization_request_endpoint ?? '',
    { client_id: clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, ...params },
    headers,
  );
}

export interface FapiLogin {
  callbackUrl: URL;
  verifier: string;
  state: string;
  requestUri: string;
}

/** PAR (with DPoP when given) + browser login with the demo source; returns the code callback. */
export async function fapiLogin(
  c: RpConfig,
  dpop: oidc.DPoPHandle | undefined,
  params: Record<string, string> = {},
): Promise<FapiLogin> {
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
      ...params,
    },
    dpop ? { DPoP: dpop } : {},
  );
  const { callbackUrl } = await browserLogin(url.href, REDIRECT);
  return { callbackUrl, verifier, state, requestUri: url.searchParams.get('request_uri') ?? '' };
}

export async function fapiExchange(
  c: RpConfig,
  l: FapiLogin,
  dpop: oidc.DPoPHandle | undefined,
  verifier = l.verifier,
) {
  return oidc.authorizationCodeGrant(
    c,
    l.callbackUrl,
    { pkceCodeVerifier: verifier, expectedState: l.state },
    undefined,
    dpop ? { DPoP: dpop } : {},
  );
}
