/**
 * The openid-client Configuration for the upstream: discovery (or static
 * metadata), private_key_jwt, decryption keys and the context's fetch.
 * A successful discovery is cached; a failed one is retried on the next login.
 */
import * as oidc from 'openid-client';
import type { AdapterContext } from '../../src/core/adapter.js';
import { upstreamError } from './errors.js';
import type { ClientKeys } from './keys.js';

export interface ClientSettings {
  readonly issuer: string;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  readonly clientId: string;
  readonly idTokenSigningAlg?: string | undefined;
  readonly userinfoSignedResponseAlg?: string | undefined;
  readonly clientAssertionTyp?: string | undefined;
  readonly allowInsecureRequests: boolean;
  readonly timeoutSeconds: number;
}

/** JWE content encryption we accept: Singpass documents A256CBC-HS512, its mock uses A256GCM. */
export const CONTENT_ENCRYPTION = ['A256CBC-HS512', 'A256GCM'];

function fetchVia(ctx: AdapterContext): oidc.CustomFetch {
  return (url, options) => ctx.fetch(url, options as RequestInit);
}

export function upstreamClient(ctx: AdapterContext, s: ClientSettings, keys: ClientKeys) {
  let cached: oidc.Configuration | undefined;
  const clientMetadata: Partial<oidc.ClientMetadata> = {
    token_endpoint_auth_method: 'private_key_jwt',
    ...(s.idTokenSigningAlg && { id_token_signed_response_alg: s.idTokenSigningAlg }),
    ...(s.userinfoSignedResponseAlg && { userinfo_signed_response_alg: s.userinfoSignedResponseAlg }),
  };
  const auth = oidc.PrivateKeyJwt(
    { key: keys.signingKey, kid: keys.signingKid },
    s.clientAssertionTyp
      ? {
          [oidc.modifyAssertion]: (header) => {
            header.typ = s.clientAssertionTyp;
          },
        }
      : undefined,
  );
  const configure = (config: oidc.Configuration) => {
    config[oidc.customFetch] = fetchVia(ctx);
    config.timeout = s.timeoutSeconds;
    if (s.allowInsecureRequests) oidc.allowInsecureRequests(config);
    // openid-client trusts TLS for ID tokens from the token endpoint; we verify signatures regardless,
    // since the token may have travelled encrypted to us and the audit relies on the upstream's signature.
    oidc.enableNonRepudiationChecks(config);
    if (keys.decryption.length > 0) {
      oidc.enableDecryptingResponses(
        config,
        CONTENT_ENCRYPTION,
        ...keys.decryption.map((k) => ({ key: k.key, alg: k.alg, kid: k.kid })),
      );
    }
    return config;
  };

  return {
    /** The upstream configuration; throws ERR_UPSTREAM_DISCOVERY when metadata cannot be had. */
    async get(): Promise<oidc.Configuration> {
      if (cached) return cached;
      try {
        if (s.metadata) {
          cached = configure(
            new oidc.Configuration(
              { ...s.metadata, issuer: s.issuer } as oidc.ServerMetadata,
              s.clientId,
              clientMetadata,
              auth,
            ),
          );
        } else {
          const config = await oidc.discovery(new URL(s.issuer), s.clientId, clientMetadata, auth, {
            [oidc.customFetch]: fetchVia(ctx),
            ...(s.allowInsecureRequests && { execute: [oidc.allowInsecureRequests] }),
          });
          cached = configure(config);
        }
        return cached;
      } catch (e) {
        throw upstreamError('ERR_UPSTREAM_DISCOVERY', e);
      }
    },
  };
}
