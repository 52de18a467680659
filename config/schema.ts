/**
 * The gateway's configuration schema (zod 4). One typed object, validated once
 * at start, every unknown key refused, every error naming its field path, then
 * deep-frozen. Adapter options are validated by each adapter's own schema in
 * src/config/check-config.ts. docs/configuration.md describes every field.
 */
import { z } from 'zod';

const url = z.url({ protocol: /^https?$/ });
const seconds = z.number().int().positive();

export const clientSchema = z
  .object({
    client_id: z.string().min(1).max(255).describe('OAuth client identifier.'),
    client_name: z.string().max(255).optional().describe('Shown on the consent page.'),
    client_secret: z
      .string()
      .min(32)
      .optional()
      .describe('Only for client_secret_basic; prefer private_key_jwt.'),
    redirect_uris: z.array(url).min(1),
    post_logout_redirect_uris: z.array(url).optional(),
    token_endpoint_auth_method: z
      .enum(['private_key_jwt', 'client_secret_basic', 'none'])
      .default('private_key_jwt'),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
    jwks_uri: url.optional(),
    subject_type: z.enum(['pairwise', 'public']).default('pairwise'),
    sector_identifier: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Pairwise sector; defaults to the host of the redirect URIs.'),
    id_token_signed_response_alg: z.enum(['ES256', 'RS256', 'PS256']).optional(),
    id_token_encrypted_response_alg: z.enum(['ECDH-ES+A256KW', 'RSA-OAEP-256']).optional(),
    id_token_encrypted_response_enc: z.enum(['A256GCM', 'A256CBC-HS512']).optional(),
    profile: z
      .enum(['default', 'fapi2'])
      .default('default')
      .describe(
        "'fapi2' switches the client to the FAPI 2.0 profile: PAR required, PKCE S256, DPoP-bound tokens, private_key_jwt, 60 s codes.",
      ),
    allowed_claims: z
      .array(z.string().min(1))
      .optional()
      .describe('Claims this client may ever receive (data minimisation); default: all standard claims.'),
    dev_only: z.boolean().default(false).describe('A demo client; refused when NODE_ENV=production.'),
  })
  .strict();
export type ClientConfig = z.infer<typeof clientSchema>;

export const adapterEntrySchema = z
  .object({
    adapter: z.string().min(1).describe('Catalogue id of the adapter, e.g. "jpki", "demo".'),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/)
      .describe('Instance name; also the route prefix /a/<name>.'),
    options: z.unknown().optional().describe("Validated by the adapter's own schema."),
  })
  .strict();
export type AdapterEntry = z.infer<typeof adapterEntrySchema>;

export const configSchema = z
  .object({
    issuer: url.describe('Public issuer URL of the OpenID Provider (no trailing slash).'),
    listen: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(3000),
      })
      .strict()
      .prefault({}),
    dataDir: z
      .string()
      .default('./data')
      .describe('Where the embedded store, generated keys and test PKI live.'),
    devMode: z
      .boolean()
      .default(false)
      .describe('Allows dev-only settings (generated keys, demo source, demo RP). Refused in production.'),
    store: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('sqlite'), path: z.string().optional() }).strict(),
        z
          .object({
            kind: z.literal('redis'),
            url: z.string().regex(/^rediss?:\/\//),
            keyPrefix: z.string().optional(),
          })
          .strict(),
      ])
      .default({ kind: 'sqlite' }),
    keys: z
      .discriminatedUnion('source', [
        z
          .object({ source: z.literal('generate'), alg: z.enum(['ES256', 'RS256']).default('ES256') })
          .strict(),
        z
          .object({
            source: z.literal('files'),
            signingKeys: z.array(z.string()).min(1),
            sealKeyFile: z.string(),
            cookieKeysFile: z.string().optional(),
            pepperFile: z.string().optional(),
          })
          .strict(),
        z.object({ source: z.literal('env') }).strict(),
      ])
      .default({ source: 'generate', alg: 'ES256' }),
    ttl: z
      .object({
        authorizationCode: seconds.max(600).default(60),
        accessToken: seconds.default(600),
        idToken: seconds.default(600),
        refreshToken: seconds.default(86_400),
        session: seconds.default(3_600),
        interaction: seconds.default(600),
        grant: seconds.default(86_400),
      })
      .strict()
      .prefault({}),
    clients: z.array(clientSchema).default([]),
    sources: z.array(adapterEntrySchema).default([]),
    targets: z.array(adapterEntrySchema).default([]),
    ui: z
      .object({
        defaultLocale: z.enum(['ja', 'en']).default('ja'),
        operatorName: z.string().default('Kakehashi'),
      })
      .strict()
      .prefault({}),
    demoRp: z
      .object({ enabled: z.boolean().default(false), clientId: z.string().default('demo-rp') })
      .strict()
      .prefault({})
      .describe('The demo relying party page at /demo-rp (dev only).'),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({ bodyBytes: z.number().int().min(1024).max(10_000_000).default(65_536) })
      .strict()
      .prefault({}),
  })
  .strict();

export type GatewayConfigInput = z.input<typeof configSchema>;
export type GatewayConfig = z.infer<typeof configSchema>;
