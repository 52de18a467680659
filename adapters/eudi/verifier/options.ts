/** Options of the `eudi-wallet` source (OpenID4VP 1.0 verifier). docs/schemes/eudi.md. */
import { z } from 'zod';
import { JP_PID_STYLE_DOCTYPE } from '../issuer/mdoc.js';
import { EU_PID_DOCTYPE, EU_PID_VCTS, JP_PID_STYLE_VCT } from '../pid-claims.js';
import { trustedIssuerSchema } from './trust-list.js';

export const walletSourceOptionsSchema = z
  .object({
    trustedIssuers: z
      .array(trustedIssuerSchema)
      .min(1)
      .describe(
        'Credential issuers accepted, by X.509 trust anchor (required: there is no trust-everyone mode).',
      ),
    vcts: z
      .array(z.string().min(1))
      .min(1)
      .default([...EU_PID_VCTS, JP_PID_STYLE_VCT])
      .describe('Credential types asked for in the DCQL query (intersected with each trust list entry).'),
    doctypes: z
      .array(z.string().min(1))
      .default([EU_PID_DOCTYPE, JP_PID_STYLE_DOCTYPE])
      .describe(
        'mdoc docTypes asked for as alternatives to the SD-JWT VC (each only if a trust list entry lists it in `doctypes`).',
      ),
    responseMode: z
      .enum(['direct_post.jwt', 'direct_post'])
      .default('direct_post.jwt')
      .describe('direct_post.jwt encrypts the response to an ephemeral key of the request (OpenID4VP §8.3).'),
    x5c: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('base64 DER chain of the verifier key (leaf first); default: a generated TEST certificate.'),
    requestTtlSeconds: z
      .number()
      .int()
      .min(30)
      .max(900)
      .default(300)
      .describe('Lifetime of a presentation request (QR code, request object, nonce).'),
    statusListCacheSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(60)
      .describe('How long a fetched status list is reused: a revocation takes effect after at most this.'),
  })
  .strict();
export type WalletSourceOptions = z.infer<typeof walletSourceOptionsSchema>;
