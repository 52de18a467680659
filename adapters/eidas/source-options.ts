/** Options of the eIDAS connector-side SP source (validated at config load). */
import { z } from 'zod';
import { loaSchema } from '../../src/core/loa.js';
import { ALG } from './constants.js';

const pemOrFile = z.string().min(1).max(65_536);
const keyPairSchema = z.object({ key: pemOrFile, cert: pemOrFile }).strict();
const localized = z.object({ ja: z.string().min(1).max(80), en: z.string().min(1).max(80) }).strict();

export const eidasSourceOptionsSchema = z
  .object({
    entityId: z.url().optional().describe('Our SP entity id; default <baseUrl>/metadata.'),
    node: z
      .object({
        metadata: z
          .string()
          .min(1)
          .optional()
          .describe('eIDAS node (proxy service) IdP metadata: inline XML or a file path.'),
        metadataUrl: z.url().optional().describe('Where to fetch the node metadata (refreshed hourly).'),
        metadataSigningCert: pemOrFile
          .optional()
          .describe('When set, the metadata must carry a valid enveloped signature by this certificate.'),
        entityId: z.string().min(1).optional().describe('Expected entityID of the node metadata.'),
      })
      .strict()
      .refine((n) => Boolean(n.metadata) !== Boolean(n.metadataUrl), {
        message: 'give exactly one of metadata or metadataUrl',
      }),
    signing: keyPairSchema.describe('RSA key and certificate signing our AuthnRequests and metadata.'),
    encryption: keyPairSchema
      .optional()
      .describe('Key pair the node encrypts assertions to (published in our metadata); default: signing.'),
    signatureAlgorithm: z.enum([ALG.rsaSha256, ALG.rsaSha512, ALG.rsaPssSha256]).default(ALG.rsaSha256),
    binding: z.enum(['redirect', 'post']).default('redirect').describe('AuthnRequest binding.'),
    spType: z.enum(['public', 'private']).default('public'),
    notNotifiedLoa: z
      .enum(['accept', 'refuse'])
      .default('accept')
      .describe(
        'accept: a NotNotified/LoA/<level> assertion counts as <level>; refuse: only notified URIs are requested and accepted.',
      ),
    minimumLoa: loaSchema.default('low').describe('LoA requested when the relying party asked for none.'),
    wantEncryptedAssertions: z.boolean().default(true),
    clockSkewSeconds: z.number().int().min(0).max(300).default(30),
    requestTtlSeconds: z.number().int().min(60).max(3600).default(900),
    label: localized.optional(),
  })
  .strict();
export type EidasSourceOptions = z.infer<typeof eidasSourceOptionsSchema>;
