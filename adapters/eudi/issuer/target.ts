/**
 * The `eudi-issuer` target: an OpenID4VCI 1.0 credential issuer on the hub (decision 0003). oidc-provider's
 * `openid4vci` feature serves `/.well-known/openid-credential-issuer`, the nonce endpoint (`/challenge`),
 * the credential endpoint (`/credential`, audience-bound access tokens through a resource server of this
 * target) and the pre-authorized code grant; this target adds the PID-style SD-JWT VC, the status list
 * (`GET <base>/status/<n>`, n = 1, 2, …), the offer page (`GET <base>/offer`) and the wallet clients.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import { defineTargetAdapter, type TargetClient } from '../../../src/core/adapter.js';
import type { PersonAttribute } from '../../../src/core/identity.js';
import { createCredentialService } from './credential-service.js';
import { createOfferRouter, PRE_AUTHORIZED_GRANT } from './offer.js';
import { type IssuerOptions, issuerOptionsSchema } from './options.js';
import { openid4vciFeature } from './provider-feature.js';

/**
 * How long a used proof is remembered: longer than oidc-provider accepts its c_nonce (five 60-second steps,
 * `CHALLENGE_OK_WINDOW`), plus a minute of clock steps.
 */
const PROOF_REPLAY_TTL_SECONDS = 360;

/** What the credential can disclose (consent page). */
const CREDENTIAL_ATTRIBUTES: readonly PersonAttribute[] = [
  'familyName',
  'givenName',
  'birthDate',
  'gender',
  'address',
  'nationality',
  'email',
];

/** The credential endpoint's resource indicator and audience (oidc-provider's default route). */
export const credentialEndpoint = (issuer: string) => `${issuer}/credential`;

export const eudiIssuerTarget = defineTargetAdapter<IssuerOptions>({
  kind: 'target',
  id: 'eudi-issuer',
  options: issuerOptionsSchema,
  async create(o, ctx) {
    const service = await createCredentialService(ctx, {
      vct: o.vct,
      issuingAuthority: o.issuingAuthority,
      issuingCountry: o.issuingCountry,
      validityDays: o.validityDays,
      mdocValidityDays: o.mdoc.validityDays,
      statusListSize: o.statusListSize,
      statusListTtlSeconds: o.statusListTtlSeconds,
      minLoa: o.minLoa,
      ...(o.x5c && { x5c: o.x5c }),
      ...(o.issuanceThreads !== undefined && { issuanceThreads: o.issuanceThreads }),
    });
    // c_nonce secret: derived from a persisted key so every instance and restart agrees.
    const nonceKey = await ctx.keys.keyPair('c-nonce', 'ES256');
    const nonceSecret = createHash('sha256')
      .update('openid4vci c_nonce\0')
      .update(String(nonceKey.privateJwk.d))
      .digest();
    const offerKey = await ctx.keys.keyPair('offer-client', 'ES256');
    const offerClient = {
      clientId: `${ctx.instanceId}-offer`,
      redirectUri: `${ctx.baseUrl}/offer/callback`,
      privateJwk: { ...offerKey.privateJwk, kid: 'offer', alg: 'ES256' },
    };
    const resource = credentialEndpoint(ctx.issuer);
    const walletClientId = o.preAuthorized.clientId ?? o.wallets[0]?.client_id;

    const clients: TargetClient[] = [
      {
        client_id: offerClient.clientId,
        client_name: o.displayName,
        redirect_uris: [offerClient.redirectUri],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...offerKey.publicJwk, kid: 'offer', alg: 'ES256', use: 'sig' }] },
        subject_type: 'public',
      },
      ...o.wallets.map((w) => ({
        client_id: w.client_id,
        client_name: w.client_name ?? w.client_id,
        redirect_uris: w.redirect_uris,
        token_endpoint_auth_method: 'none',
        subject_type: 'pairwise',
        grant_types: ['authorization_code', PRE_AUTHORIZED_GRANT],
      })),
    ];

    const router = express.Router();
    router.get('/status/:list', async (req, res) => {
      const n = /^[1-9][0-9]{0,8}$/.test(req.params.list) ? Number(req.params.list) : 0;
      const token = n ? await service.statusToken(n) : undefined;
      if (!token) {
        res
          .status(404)
          .set('cache-control', 'no-store')
          .json({
            error: 'not_found',
            error_description: `no status list ${JSON.stringify(req.params.list)} at this issuer`,
          });
        return;
      }
      res
        .set('cache-control', `max-age=${Math.min(60, o.statusListTtlSeconds)}`)
        .type('application/statuslist+jwt')
        .send(token);
    });
    // Development: the generated TEST root, for a verifier's trust list (production configures a real chain).
    if (ctx.devMode && service.testRootPem) {
      const pem = service.testRootPem;
      router.get('/test-root.pem', (_req, res) => {
        res.type('application/x-pem-file').send(pem);
      });
    }
    if (walletClientId)
      router.use(
        createOfferRouter({
          ctx,
          client: offerClient,
          resource,
          scope: o.scope,
          walletClientId,
          txCodeLength: o.preAuthorized.txCodeLength,
          ttlSeconds: o.preAuthorized.ttlSeconds,
        }),
      );

    return {
      close: () => service.close(),
      router,
      clients,
      resourceServers: {
        [resource]: { scope: o.scope, attributes: CREDENTIAL_ATTRIBUTES, accessTokenFormat: 'opaque' },
      },
      providerFeatures: {
        openid4vci: openid4vciFeature({
          vct: o.vct,
          scope: o.scope,
          nonceSecret,
          display: [
            { name: o.displayName, locale: 'en' },
            { name: 'PID形式の証明書（マイナンバーカード）', locale: 'ja' },
          ],
          mdoc: o.mdoc.enabled,
          batchSize: o.batchSize,
          claimProofs: async (proofs) => {
            // In one event-loop turn, so the store writes them in one commit.
            const fresh = await Promise.all(
              proofs.map((proof) =>
                ctx.store.setIfAbsent(
                  `proof:${createHash('sha256').update(proof).digest('base64url')}`,
                  1,
                  PROOF_REPLAY_TTL_SECONDS,
                ),
              ),
            );
            return fresh.every(Boolean);
          },
          issueBatch: (accountId, jwks, format, identity) =>
            service.issueBatch(accountId, jwks, format, identity),
        }),
      },
    };
  },
});
