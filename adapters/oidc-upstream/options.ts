/** Options of the upstream OIDC source (validated at start; errors name `sources[i].options.<field>`). */
import { z } from 'zod';
import { loaSchema } from '../../src/core/loa.js';

const url = z.url({ protocol: /^https?$/ });

export const upstreamOptionsSchema = z
  .object({
    profile: z
      .enum(['generic', 'singpass', 'digital-agency'])
      .default('generic')
      .describe('Scheme profile: protocol defaults, acr vocabulary, subject and claim mapping.'),
    issuer: url.describe('Upstream issuer identifier (exactly as in its ID tokens).'),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Static authorization server metadata; when set, discovery is not used.'),
    clientId: z.string().min(1).max(255),
    scope: z.string().min(1).max(1024).optional().describe('Default: the profile scope.'),
    par: z.boolean().optional().describe('Use pushed authorization requests (RFC 9126).'),
    dpop: z.boolean().optional().describe('DPoP-bound tokens (RFC 9449), one key per login.'),
    userinfo: z.boolean().optional().describe('Fetch userinfo after the token exchange.'),
    requireEncryptedIdToken: z.boolean().optional(),
    idTokenSigningAlg: z.enum(['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA']).optional(),
    userinfoSignedResponseAlg: z
      .enum(['ES256', 'RS256', 'PS256'])
      .optional()
      .describe('Expect signed (JWT) userinfo responses.'),
    signingKeyFile: z
      .string()
      .min(1)
      .optional()
      .describe('Private JWK (ES256) for private_key_jwt; default: a generated, persisted adapter key.'),
    decryptionKeyFiles: z
      .array(z.string().min(1))
      .max(4)
      .default([])
      .describe(
        'Private JWKs (EC P-256 for ECDH-ES+A256KW, RSA for RSA-OAEP-256, with `alg` and `kid`) used to decrypt ID tokens and userinfo; their public halves are published at <baseUrl>/jwks.json.',
      ),
    acrMap: z
      .record(z.string(), loaSchema)
      .optional()
      .describe('Upstream acr -> canonical LoA; replaces the profile mapping.'),
    maxLoa: loaSchema.optional().describe('The highest level this source may deliver (login page filter).'),
    authorizationParams: z.record(z.string(), z.string().max(512)).default({}),
    clientAssertionTyp: z
      .string()
      .max(64)
      .optional()
      .describe('`typ` header of the client assertion (some schemes require one).'),
    label: z
      .object({ ja: z.string().min(1), en: z.string().min(1) })
      .strict()
      .optional(),
    timeoutSeconds: z.number().int().min(1).max(60).default(10),
    allowInsecureRequests: z
      .boolean()
      .default(false)
      .describe('Allow an http:// upstream (dev mode only, e.g. a local test OP).'),
  })
  .strict();

export type UpstreamOptions = z.infer<typeof upstreamOptionsSchema>;
