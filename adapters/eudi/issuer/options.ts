/** Options of the `eudi-issuer` target (OpenID4VCI credential issuer). docs/schemes/eudi.md. */
import { z } from 'zod';
import { loaSchema } from '../../../src/core/loa.js';
import { JP_PID_STYLE_VCT } from '../pid-claims.js';

const walletSchema = z
  .object({
    client_id: z.string().min(1).max(255),
    client_name: z.string().max(255).optional(),
    redirect_uris: z.array(z.url({ protocol: /^https?$/ })).min(1),
  })
  .strict();

export const issuerOptionsSchema = z
  .object({
    vct: z.string().min(1).default(JP_PID_STYLE_VCT).describe('Credential type; never urn:eudi:pid:*.'),
    scope: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/)
      .default('jp_pid_style')
      .describe('OAuth scope of the credential (a scope of the credential endpoint resource).'),
    issuingAuthority: z.string().min(1).max(128).default('Kakehashi (JPKI-derived, TEST)'),
    issuingCountry: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .default('JP'),
    minLoa: loaSchema.default('high').describe('Identities below this level get no credential.'),
    validityDays: z.number().int().min(1).max(3650).default(365),
    mdoc: z
      .object({
        enabled: z.boolean().default(true).describe('Also offer the credential as an ISO 18013-5 mdoc.'),
        validityDays: z
          .number()
          .int()
          .min(1)
          .max(365)
          .default(7)
          .describe('mdoc validity; short, because an mdoc carries no status list entry (not revocable).'),
      })
      .strict()
      .prefault({}),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe(
        'Most credentials one credential request may ask for (one proof each; batch_credential_issuance.batch_size); 1 = no batch issuance.',
      ),
    issuanceThreads: z
      .number()
      .int()
      .min(0)
      .max(16)
      .optional()
      .describe(
        'Worker threads that build and sign SD-JWT VCs, off the event loop; 0 = on it. Default: one per core beyond the first, at most 2.',
      ),
    statusListSize: z.number().int().min(16).max(1_048_576).default(32_768),
    statusListTtlSeconds: z.number().int().min(10).max(86_400).default(300),
    x5c: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('base64 DER chain of the issuer key, leaf first; default: a generated TEST chain.'),
    wallets: z
      .array(walletSchema)
      .default([])
      .describe('Wallets as public OAuth clients (PKCE, no secret) of the hub.'),
    preAuthorized: z
      .object({
        clientId: z
          .string()
          .min(1)
          .optional()
          .describe('Wallet client that redeems offer codes; default: the first wallet.'),
        txCodeLength: z.number().int().min(4).max(8).default(6),
        ttlSeconds: z.number().int().min(60).max(3600).default(600),
      })
      .strict()
      .prefault({}),
    displayName: z.string().min(1).max(128).default('PID-style credential (My Number Card)'),
  })
  .strict();
export type IssuerOptions = z.infer<typeof issuerOptionsSchema>;
