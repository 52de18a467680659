/**
 * Builds the oidc-provider instance: the OIDC hub every relying party talks to.
 * This folder is the only one that imports `oidc-provider`.
 */
import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { ClientConfig, GatewayConfig } from '../../config/schema.js';
import type { AdapterGrants, ResourceServerInfo, TargetInstance } from '../core/adapter.js';
import { GatewayError } from '../core/errors.js';
import { ACR_VALUES } from '../core/loa.js';
import { negotiateLocale } from '../interaction/i18n.js';
import { renderErrorPage } from '../interaction/views/error-page.js';
import { renderLoggedOutPage, renderLogoutPage } from '../interaction/views/logout-page.js';
import type { Store } from '../storage/store.js';
import { SCOPE_CLAIMS } from './claims.js';
import type { AccountLoader } from './find-account.js';
import { findAccountWith } from './find-account.js';
import { createProviderAdapter } from './storage-adapter.js';

export interface ProviderDeps {
  store: Store;
  signingJwks: { keys: JWK[] };
  cookieKeys: string[];
  pepper: Uint8Array;
  accounts: AccountLoader;
  /** Clients to register, e.g. config clients plus the demo RP. */
  clients: readonly ClientConfig[];
  /** Target adapters owning some clients (claim shaping, subject format). */
  clientOwner?: ReadonlyMap<string, TargetInstance>;
  /** Extra oidc-provider features contributed by targets. */
  features?: Readonly<Record<string, unknown>>;
}

const FAPI2_CODE_TTL = 60;

/** oidc-provider client metadata for one configured client. */
export function toClientMetadata(c: ClientConfig): Record<string, unknown> {
  const fapi = c.profile === 'fapi2';
  return {
    client_id: c.client_id,
    ...(c.client_name && { client_name: c.client_name }),
    ...(c.client_secret && { client_secret: c.client_secret }),
    redirect_uris: c.redirect_uris,
    post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
    token_endpoint_auth_method: fapi ? 'private_key_jwt' : c.token_endpoint_auth_method,
    ...(c.jwks && { jwks: c.jwks }),
    ...(c.jwks_uri && { jwks_uri: c.jwks_uri }),
    subject_type: c.subject_type,
    grant_types: c.grant_types ?? ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: c.id_token_signed_response_alg ?? (fapi ? 'ES256' : 'ES256'),
    ...(c.id_token_encrypted_response_alg && {
      id_token_encrypted_response_alg: c.id_token_encrypted_response_alg,
      id_token_encrypted_response_enc: c.id_token_encrypted_response_enc ?? 'A256GCM',
    }),
    ...(fapi && {
      require_pushed_authorization_requests: true,
      dpop_bound_access_tokens: true,
      token_endpoint_auth_signing_alg: 'ES256',
      request_object_signing_alg: 'ES256',
    }),
  };
}

const localeOf = (ctx: KoaContextWithOIDC) => {
  const uiLocales = ctx.oidc?.params?.ui_locales;
  return negotiateLocale(typeof uiLocales === 'string' ? uiLocales : undefined, ctx.get('accept-language'));
};

export function createProvider(config: GatewayConfig, deps: ProviderDeps): Provider {
  const fapiClients = new Set(deps.clients.filter((c) => c.profile === 'fapi2').map((c) => c.client_id));
  const clientConfigs = new Map(deps.clients.map((c) => [c.client_id, c]));
  // Scopes and claims contributed by targets (e.g. Myinfo-like scopes); the hub's own scopes win on conflict.
  const owners = [...new Set(deps.clientOwner?.values() ?? [])];
  const targetClaims: Record<string, string[]> = {};
  for (const t of owners)
    for (const c of t.claims ?? [])
      if (c.scope) targetClaims[c.scope] = [...(targetClaims[c.scope] ?? []), ...c.claims];
  const targetAcrs = owners.flatMap((t) => Object.values(t.acrValues ?? {}));
  // Targets' protected resources (RFC 8707); a client gets tokens only for resources of the target owning it.
  const resources = new Map<string, { info: ResourceServerInfo; owner: TargetInstance }>();
  for (const t of owners)
    for (const [r, info] of Object.entries(t.resourceServers ?? {})) resources.set(r, { info, owner: t });
  const resourceFor = (clientId: string | undefined, r: string) => {
    const hit = resources.get(r);
    return hit && clientId !== undefined && deps.clientOwner?.get(clientId) === hit.owner
      ? hit.info
      : undefined;
  };

  const configuration: Configuration = {
    adapter: createProviderAdapter(deps.store),
    clients: deps.clients.map(toClientMetadata) as unknown as Configuration['clients'],
    jwks: deps.signingJwks as Configuration['jwks'],
    cookies: {
      keys: deps.cookieKeys,
      long: { signed: true, ...(config.provider.httpPostAuthorization && { sameSite: 'none' }) },
      // The interaction cookie must reach the source adapters' routes under /a/<name> too, not only
      // /interaction/<uid> (oidc-provider's default path), or a real browser cannot finish a login.
      short: { signed: true, path: '/' },
    },
    // OIDC Core §3.1.2.1 POST to the authorization endpoint; oidc-provider requires SameSite=None session cookies for it.
    enableHttpPostMethods: config.provider.httpPostAuthorization,
    findAccount: findAccountWith(deps.accounts, clientConfigs, deps.clientOwner),
    // acr and amr ride on the openid scope so every ID token carries them (RP-side assurance checks).
    claims: {
      ...targetClaims,
      ...SCOPE_CLAIMS,
      openid: ['sub', 'acr', 'amr'],
    } as unknown as Configuration['claims'],
    scopes: [
      ...new Set(['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS), ...Object.keys(targetClaims)]),
    ],
    acrValues: [...new Set([...ACR_VALUES, ...targetAcrs])],
    responseTypes: ['code'],
    subjectTypes: ['public', 'pairwise'],
    clientAuthMethods: ['private_key_jwt', 'client_secret_basic', 'none'],
    pkce: { required: () => true },
    pairwiseIdentifier(_ctx, accountId, client) {
      const sector =
        clientConfigs.get(client.clientId)?.sector_identifier ?? client.sectorIdentifier ?? client.clientId;
      const sub = createHmac('sha256', deps.pepper)
        .update(`pairwise\0${sector}\0${accountId}`)
        .digest('base64url');
      const owner = deps.clientOwner?.get(client.clientId);
      return owner?.formatSubject ? owner.formatSubject(sub, client.clientId) : sub;
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      dPoP: { enabled: true },
      requestObjects: { enabled: true },
      encryption: { enabled: true },
      fapi: {
        enabled: true,
        profile: (_ctx: KoaContextWithOIDC, client?: { clientId: string }) =>
          client && fapiClients.has(client.clientId) ? '2.0' : undefined,
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          ctx.type = 'html';
          ctx.body = renderLogoutPage(localeOf(ctx), form);
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = renderLoggedOutPage(localeOf(ctx));
        },
      },
      resourceIndicators: {
        enabled: resources.size > 0,
        // OpenID4VCI §5.1.2: a wallet may ask for a credential scope without `resource`; it gets that resource.
        defaultResource(ctx: KoaContextWithOIDC, client?: { clientId: string }, oneOf?: string[]) {
          if (oneOf) return oneOf;
          const scopes = String(ctx.oidc.params?.scope ?? '').split(' ');
          for (const r of resources.keys())
            if (
              resourceFor(client?.clientId, r)
                ?.scope.split(' ')
                .some((x) => scopes.includes(x))
            )
              return r;
          return undefined;
        },
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx: KoaContextWithOIDC, r: string, client: { clientId: string }) {
          const info = resourceFor(client.clientId, r);
          if (!info) throw new errors.InvalidTarget();
          return {
            scope: info.scope,
            audience: info.audience ?? r,
            accessTokenFormat: info.accessTokenFormat ?? 'opaque',
            ...(info.accessTokenTTL && { accessTokenTTL: info.accessTokenTTL }),
          };
        },
      },
      ...deps.features,
    } as Configuration['features'],
    ttl: {
      AuthorizationCode: (_ctx, _token, client) =>
        fapiClients.has(client.clientId)
          ? Math.min(FAPI2_CODE_TTL, config.ttl.authorizationCode)
          : config.ttl.authorizationCode,
      AccessToken: config.ttl.accessToken,
      IdToken: config.ttl.idToken,
      RefreshToken: config.ttl.refreshToken,
      Session: config.ttl.session,
      Interaction: config.ttl.interaction,
      Grant: config.ttl.grant,
      PushedAuthorizationRequest: 60,
      DPoPProof: 60,
      PreAuthorizedCode: 600,
    },
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: async (ctx, out, _error) => {
      const locale = negotiateLocale(undefined, ctx.get('accept-language'));
      ctx.type = 'html';
      ctx.body = renderErrorPage(locale, {
        error: typeof out.error === 'string' ? out.error : 'server_error',
        description: typeof out.error_description === 'string' ? out.error_description : undefined,
      });
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256', 'PS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256', 'PS256'],
      requestObjectSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      // FAPI 2.0 SP §5.4.1 allows PS256, ES256 and EdDSA only; the list cannot be narrowed per client.
      dPoPSigningAlgValues: ['ES256', 'EdDSA', 'PS256'],
      idTokenEncryptionAlgValues: ['ECDH-ES+A256KW', 'RSA-OAEP-256'],
      idTokenEncryptionEncValues: ['A256GCM', 'A256CBC-HS512'],
      userinfoEncryptionAlgValues: ['ECDH-ES+A256KW', 'RSA-OAEP-256'],
      userinfoEncryptionEncValues: ['A256GCM', 'A256CBC-HS512'],
    },
    discovery: {
      service_documentation: 'https://github.com/kakehashi-id/kakehashi/tree/main/docs',
      claims_in_verified_claims_supported: [
        'family_name',
        'given_name',
        'name',
        'birthdate',
        'gender',
        'address',
      ],
      trust_frameworks_supported: ['jp_jpki', 'eidas', 'sg_singpass', 'demo'],
      evidence_supported: ['electronic_record'],
      verified_claims_supported: true,
      ui_locales_supported: ['ja', 'en'],
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = true;
  return provider;
}

/**
 * Hub grants for one target (AdapterContext.grants): pre-authorized codes (OpenID4VCI 1.0 §4.1.1) for a
 * wallet client and resource of that target only. The grant carries just the resource scope.
 */
export function createHubGrants(
  provider: Provider,
  owner: () => TargetInstance | undefined,
  clientOwner: ReadonlyMap<string, TargetInstance>,
): AdapterGrants {
  return {
    async preAuthorize(i) {
      const target = owner();
      const offered = target?.resourceServers?.[i.resource]?.scope.split(' ') ?? [];
      if (
        !target ||
        clientOwner.get(i.clientId) !== target ||
        !i.scope.split(' ').every((x) => offered.includes(x))
      )
        throw new GatewayError(
          'ERR_PRE_AUTHORIZE',
          'pre-authorized code not allowed for this client or resource',
          {
            oauth: 'server_error',
            status: 500,
          },
        );
      const grant = new provider.Grant({ accountId: i.accountId, clientId: i.clientId });
      grant.addResourceScope(i.resource, i.scope);
      const grantId = await grant.save();
      const code = new provider.PreAuthorizedCode({
        accountId: i.accountId,
        clientId: i.clientId,
        grantId,
        resource: i.resource,
        scope: i.scope,
        expiresIn: i.ttlSeconds,
        ...(i.txCode !== undefined && { txCode: i.txCode }),
      });
      return code.save();
    },
  };
}
