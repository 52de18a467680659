/**
 * The generic upstream OpenID Connect source: logs the person in at another
 * OpenID Provider (a national scheme such as Singpass or the Digital Agency's
 * authentication app) and turns the verified result into a canonical identity
 * through a per-scheme profile. See docs/schemes/singpass.md and
 * docs/schemes/digital-agency.md.
 *
 * Routes (under `/a/<name>`): `GET /callback` (the redirect URI to register
 * upstream), `GET /jwks.json` (the client JWKS: signing key for
 * private_key_jwt, encryption keys for JWE ID tokens).
 */
import express from 'express';
import { defineSourceAdapter } from '../../src/core/adapter.js';
import { GatewayError } from '../../src/core/errors.js';
import { upstreamClient } from './client.js';
import { toUpstreamError } from './errors.js';
import { loadClientKeys } from './keys.js';
import { beginLogin, completeLogin, type LoginSettings, takePending } from './login.js';
import { type UpstreamOptions, upstreamOptionsSchema } from './options.js';
import { profileFor } from './profiles/index.js';

export { type UpstreamOptions, upstreamOptionsSchema } from './options.js';

export const oidcUpstreamSource = defineSourceAdapter<UpstreamOptions>({
  kind: 'source',
  id: 'oidc-upstream',
  options: upstreamOptionsSchema,
  async create(options, ctx) {
    if (options.allowInsecureRequests && !ctx.devMode) {
      throw new GatewayError('ERR_UPSTREAM_CONFIG', 'allowInsecureRequests needs dev mode', { status: 500 });
    }
    const profile = profileFor(options.profile, options.acrMap ?? {});
    const d = profile.defaults;
    const keys = await loadClientKeys(ctx, options);
    const requireEncryptedIdToken = options.requireEncryptedIdToken ?? d.requireEncryptedIdToken;
    if (requireEncryptedIdToken && keys.decryption.length === 0) {
      throw new GatewayError(
        'ERR_UPSTREAM_CONFIG',
        `the ${profile.id} profile needs decryptionKeyFiles (encrypted ID tokens)`,
        { status: 500 },
      );
    }
    const client = upstreamClient(
      ctx,
      {
        issuer: options.issuer,
        metadata: options.metadata,
        clientId: options.clientId,
        idTokenSigningAlg: options.idTokenSigningAlg ?? d.idTokenSigningAlg,
        userinfoSignedResponseAlg: options.userinfoSignedResponseAlg,
        clientAssertionTyp: options.clientAssertionTyp ?? d.clientAssertionTyp,
        allowInsecureRequests: options.allowInsecureRequests,
        timeoutSeconds: options.timeoutSeconds,
      },
      keys,
    );
    const settings: LoginSettings = {
      scope: options.scope ?? d.scope,
      par: options.par ?? d.par,
      dpop: options.dpop ?? d.dpop,
      userinfo: options.userinfo ?? d.userinfo,
      requireEncryptedIdToken,
      acrMap: { ...profile.acrMap, ...options.acrMap },
      authorizationParams: { ...d.authorizationParams, ...options.authorizationParams },
      redirectUri: `${ctx.baseUrl}/callback`,
      issuer: options.issuer,
    };

    const router = express.Router();
    router.get('/jwks.json', (_req, res) => {
      res.set('cache-control', 'public, max-age=300').json(keys.jwks);
    });
    router.get('/callback', async (req, res) => {
      const state = typeof req.query.state === 'string' ? req.query.state : undefined;
      try {
        const current = await ctx.interactions.current(req, res);
        const pending = await takePending(ctx, state, current.uid);
        const config = await client.get();
        // openid-client validates the response against the URL the upstream redirected to.
        const query = req.originalUrl.includes('?')
          ? req.originalUrl.slice(req.originalUrl.indexOf('?'))
          : '';
        const identity = await completeLogin(
          ctx,
          config,
          settings,
          profile,
          pending,
          new URL(`${settings.redirectUri}${query}`),
          state ?? '',
        );
        await ctx.interactions.finish(req, res, identity);
      } catch (e) {
        const err = toUpstreamError(e, 'callback');
        ctx.log.warn({ code: err.code, cause: (e as { code?: unknown })?.code }, 'upstream login failed');
        await ctx.interactions.fail(req, res, err);
      }
    });

    return {
      label: options.label ?? d.label,
      maxLoa: options.maxLoa ?? d.maxLoa,
      router,
      async begin(interaction, req, res) {
        try {
          const config = await client.get().catch((e: unknown) => {
            throw toUpstreamError(e, 'discovery');
          });
          const url = await beginLogin(ctx, config, settings, interaction).catch((e: unknown) => {
            throw toUpstreamError(e, 'authorize');
          });
          res.redirect(303, url.href);
        } catch (e) {
          const err = toUpstreamError(e, 'authorize');
          ctx.log.warn({ code: err.code, cause: (e as { code?: unknown })?.code }, 'upstream login failed');
          await ctx.interactions.fail(req, res, err);
        }
      },
    };
  },
});
