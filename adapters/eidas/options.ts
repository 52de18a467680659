/** Options of the eIDAS proxy-service target (validated at config load). */
import { z } from 'zod';
import { ALG } from './constants.js';

/** PEM text, or a path to a PEM file. */
const pemOrFile = z.string().min(1).max(65_536);
const keyPairSchema = z.object({ key: pemOrFile, cert: pemOrFile }).strict();
const countryCode = z.string().regex(/^[A-Z]{2}$/);

export const connectorSchema = z
  .object({
    metadata: z
      .string()
      .min(1)
      .describe('Connector SAML metadata: inline XML or a file path. Its signing key is the trust anchor.'),
    country: countryCode.describe('Country of the connector (PersonIdentifier destination, pairwise scope).'),
    spType: z
      .enum(['public', 'private'])
      .optional()
      .describe('SPType when the request carries none (eIDAS v1.2+ moves SPType to metadata).'),
    notifiedLoa: z
      .boolean()
      .default(false)
      .describe(
        'Assert http://eidas.europa.eu/LoA/<level> instead of the NotNotified URIs. Only true for a notified scheme.',
      ),
  })
  .strict();
export type ConnectorOptions = z.infer<typeof connectorSchema>;

export const eidasTargetOptionsSchema = z
  .object({
    entityId: z.url().optional().describe('IdP entity id; default <baseUrl>/metadata.'),
    country: countryCode.default('JP').describe('NodeCountry and the PersonIdentifier origin.'),
    signing: keyPairSchema.describe('RSA key and certificate signing metadata, responses and assertions.'),
    encryption: keyPairSchema
      .optional()
      .describe('Encryption key pair published in metadata; default: signing.'),
    signatureAlgorithm: z.enum([ALG.rsaSha256, ALG.rsaSha512, ALG.rsaPssSha256]).default(ALG.rsaSha256),
    dataEncryptionAlgorithm: z.enum([ALG.aes256gcm, ALG.aes128gcm]).default(ALG.aes256gcm),
    keyEncryptionAlgorithm: z.enum([ALG.rsaOaepMgf1p]).default(ALG.rsaOaepMgf1p),
    connectors: z.array(connectorSchema).min(1),
    clockSkewSeconds: z.number().int().min(0).max(300).default(60),
    requestMaxAgeSeconds: z.number().int().min(30).max(3600).default(300),
    assertionLifetimeSeconds: z.number().int().min(30).max(3600).default(300),
    metadataValiditySeconds: z.number().int().min(3600).max(2_592_000).default(86_400),
  })
  .strict();
export type EidasTargetOptions = z.infer<typeof eidasTargetOptionsSchema>;
