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
    grant_types: z
      .array(
        z.enum([
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:pre-authorized_code',
        ]),
      )
      .min(1)
      .optional()
      .describe(
        'Default authorization_code + refresh_token; wallet clients of a credential issuer add the pre-authorized code grant.',
      ),
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
        host: z.string().default('127.0.0.1').describe('Interface to bind.'),
        port: z.number().int().min(0).max(65535).default(3000).describe('TCP port (0 = any free port).'),
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
        z
          .object({
            kind: z.literal('sqlite').describe('Embedded store, survives restarts.'),
            path: z.string().optional().describe('Default <dataDir>/kakehashi.sqlite.'),
          })
          .strict(),
        z
          .object({
            kind: z.literal('redis').describe('Shared store for several instances.'),
            url: z
              .string()
              .regex(/^rediss?:\/\//)
              // biome-ignore lint/suspicious/noTemplateCurlyInString: our ${env:NAME} secret syntax, not a template
              .describe('redis:// or rediss:// URL; use ${env:NAME} for credentials.'),
            keyPrefix: z.string().optional().describe('Default "kakehashi:".'),
          })
          .strict(),
      ])
      .default({ kind: 'sqlite' }),
    keys: z
      .discriminatedUnion('source', [
        z
          .object({
            source: z
              .literal('generate')
              .describe('Dev only: keys generated on first start into <dataDir>/keys.'),
            alg: z.enum(['ES256', 'RS256']).default('ES256').describe('Default ID token signing algorithm.'),
          })
          .strict(),
        z
          .object({
            source: z.literal('files'),
            signingKeys: z
              .array(z.string())
              .min(1)
              .describe('Private JWK/JWKS or PKCS#8 PEM files; per alg the first signs.'),
            sealKeyFile: z.string().describe('base64url 32-byte AES keys, first current, rest previous.'),
            cookieKeysFile: z.string().optional(),
            pepperFile: z.string().optional(),
            adapterKeysFile: z
              .string()
              .optional()
              .describe(
                'Adapters\' own key pairs (issuer, verifier, upstream client …): a JSON object from "<instance>:<purpose>" to a private JWK or PKCS#8 PEM; required in production for every pair an adapter publishes.',
              ),
          })
          .strict(),
        z
          .object({
            source: z
              .literal('env')
              .describe(
                "KAKEHASHI_SIGNING_KEYS, KAKEHASHI_SEAL_KEY, KAKEHASHI_COOKIE_KEYS, KAKEHASHI_PEPPER, KAKEHASHI_ADAPTER_KEYS (adapters' own key pairs, as keys.adapterKeysFile).",
              ),
          })
          .strict(),
      ])
      .default({ source: 'generate', alg: 'ES256' }),
    ttl: z
      .object({
        authorizationCode: seconds
          .max(600)
          .default(60)
          .describe('Seconds; FAPI 2.0 clients are capped at 60.'),
        accessToken: seconds.default(600),
        idToken: seconds.default(600),
        refreshToken: seconds.default(86_400).describe('Seconds; issued only with the offline_access scope.'),
        session: seconds.default(3_600),
        interaction: seconds.default(600),
        grant: seconds.default(86_400).describe('Seconds; the sealed identity expires with it.'),
      })
      .strict()
      .prefault({}),
    clients: z.array(clientSchema).default([]).describe('Registered relying parties.'),
    sources: z
      .array(adapterEntrySchema)
      .default([])
      .describe('Identity sources offered on the login page, in order.'),
    targets: z
      .array(adapterEntrySchema)
      .default([])
      .describe('Outbound protocol adapters (SAML IdP, credential issuer, profiles).'),
    provider: z
      .object({
        httpPostAuthorization: z
          .boolean()
          .default(false)
          .describe(
            'Accept POST at the authorization endpoint (OIDC Core 3.1.2.1). Needs SameSite=None session cookies, which weakens their cross-site protection; off by default.',
          ),
      })
      .strict()
      .prefault({}),
    ui: z
      .object({
        defaultLocale: z.enum(['ja', 'en']).default('ja'),
        operatorName: z.string().default('Kakehashi'),
        autoSelectSingleSource: z
          .boolean()
          .default(false)
          .describe('Skip the login page when exactly one source can meet the request (it starts at once).'),
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
