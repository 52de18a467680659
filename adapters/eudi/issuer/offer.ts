/**
 * Pre-authorized credential offers (OpenID4VCI 1.0 §4.1, §3.5): `GET /offer` logs the person in through
 * the hub as an internal relying party (any source, consent to the credential's attributes), then
 * `GET /offer/callback` mints a single-use pre-authorized code with a transaction code for the wallet
 * client and shows the offer as a QR code. The offer client has public subjects: its `sub` is the hub
 * account id, which the pre-authorized grant is for (it never leaves the gateway).
 */
import { randomInt } from 'node:crypto';
import express, { type Router } from 'express';
import { importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { AdapterContext } from '../../../src/core/adapter.js';
import { negotiateLocale } from '../../../src/interaction/i18n.js';
import { eudiError } from '../errors.js';
import { renderOfferPage } from './offer-page.js';
import { PID_CONFIGURATION_ID } from './provider-feature.js';

export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const COOKIE = 'kk_eudi_offer';
const PENDING_TTL = 600;

const pendingSchema = z.object({ codeVerifier: z.string(), nonce: z.string() }).strict();

export interface OfferDeps {
  readonly ctx: AdapterContext;
  /** The internal client's id, redirect URI and private key (private_key_jwt). */
  readonly client: { readonly clientId: string; readonly redirectUri: string; readonly privateJwk: JWK };
  /** The credential endpoint resource and the credential scope. */
  readonly resource: string;
  readonly scope: string;
  readonly walletClientId: string;
  readonly txCodeLength: number;
  readonly ttlSeconds: number;
}

/** The offer object (by value) for a pre-authorized code. */
export function credentialOffer(issuer: string, code: string, txCodeLength: number) {
  return {
    credential_issuer: issuer,
    credential_configuration_ids: [PID_CONFIGURATION_ID],
    grants: {
      [PRE_AUTHORIZED_GRANT]: {
        'pre-authorized_code': code,
        tx_code: { input_mode: 'numeric', length: txCodeLength, description: 'Code shown on the offer page' },
      },
    },
  };
}

export function createOfferRouter(d: OfferDeps): Router {
  const { ctx } = d;
  const router = express.Router();
  let config: Promise<oidc.Configuration> | undefined;
  const hub = () => {
    config ??= (async () =>
      oidc.discovery(
        new URL(ctx.issuer),
        d.client.clientId,
        { token_endpoint_auth_method: 'private_key_jwt' },
        oidc.PrivateKeyJwt({
          key: (await importJWK(d.client.privateJwk, 'ES256')) as CryptoKey,
          kid: d.client.privateJwk.kid,
        }),
        ctx.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
      ))();
    config.catch(() => {
      config = undefined;
    });
    return config;
  };
  const cookiePath = new URL(ctx.baseUrl).pathname;

  router.get('/offer', async (req, res) => {
    const cfg = await hub();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await ctx.store.set(`offer:${state}`, { codeVerifier, nonce }, PENDING_TTL);
    const lang = typeof req.query.lang === 'string' ? req.query.lang : undefined;
    const url = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: d.client.redirectUri,
      // The credential scope and resource make the consent page list the credential's attributes.
      scope: `openid ${d.scope}`,
      resource: d.resource,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      prompt: 'login consent',
      ...(lang && { ui_locales: lang }),
    });
    res.cookie(COOKIE, state, {
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.baseUrl.startsWith('https:'),
      path: cookiePath,
      maxAge: PENDING_TTL * 1000,
    });
    res.redirect(303, url.href);
  });

  router.get('/offer/callback', async (req, res) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const cookieState = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`).exec(req.get('cookie') ?? '')?.[1];
    const pending =
      state && cookieState === state
        ? pendingSchema.safeParse(await ctx.store.take(`offer:${state}`))
        : undefined;
    res.clearCookie(COOKIE, { path: cookiePath });
    if (!pending?.success) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_request' });
    const callback = new URL(req.originalUrl, ctx.baseUrl);
    if (callback.searchParams.get('error')) throw eudiError('ERR_EUDI_ISSUANCE');
    const tokens = await oidc.authorizationCodeGrant(await hub(), callback, {
      pkceCodeVerifier: pending.data.codeVerifier,
      expectedState: state,
      expectedNonce: pending.data.nonce,
      idTokenExpected: true,
    });
    const accountId = tokens.claims()?.sub;
    if (!accountId || !(await ctx.accounts.load(accountId))) throw eudiError('ERR_EUDI_ISSUANCE');
    const txCode = Array.from({ length: d.txCodeLength }, () => randomInt(10)).join('');
    if (!ctx.grants) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'server_error' });
    const code = await ctx.grants.preAuthorize({
      accountId,
      clientId: d.walletClientId,
      resource: d.resource,
      scope: d.scope,
      txCode,
      ttlSeconds: d.ttlSeconds,
    });
    const offer = credentialOffer(ctx.issuer, code, d.txCodeLength);
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(
        await renderOfferPage({
          locale: negotiateLocale(undefined, req.get('accept-language')),
          offerUri: `openid-credential-offer://?credential_offer=${encodeURIComponent(JSON.stringify(offer))}`,
          txCode,
          expiresAt: Math.floor(ctx.now() / 1000) + d.ttlSeconds,
        }),
      );
  });

  return router;
}
