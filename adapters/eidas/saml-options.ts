/** Options of the plain SAML 2.0 IdP target (validated at config load). docs/schemes/saml.md. */
import { z } from 'zod';
import { LOA_LEVELS } from '../../src/core/loa.js';
import { ALG } from './constants.js';
import { SAML_ATTRIBUTE_KEYS } from './saml-attributes.js';

const pemOrFile = z.string().min(1).max(65_536);
const keyPairSchema = z.object({ key: pemOrFile, cert: pemOrFile }).strict();

export const samlSpSchema = z
  .object({
    metadata: z
      .string()
      .min(1)
      .describe(
        'SP SAML metadata: inline XML or a file path. Its keys and endpoints are the only ones used.',
      ),
    profile: z
      .enum(['saml2-uri', 'basic'])
      .default('saml2-uri')
      .describe("Attribute naming: 'saml2-uri' (urn:oid names, NameFormat uri) or 'basic' (plain names)."),
    attributes: z
      .array(z.enum(SAML_ATTRIBUTE_KEYS))
      .default([])
      .describe('Attributes this SP may receive (after consent at the hub); nothing else is released.'),
    nameIdFormats: z
      .array(z.enum(['persistent', 'transient']))
      .min(1)
      .default(['persistent'])
      .describe(
        'NameID formats the SP may ask for in NameIDPolicy; the first is used when it asks for none.',
      ),
    requireSignedRequests: z
      .boolean()
      .default(true)
      .describe('Refuse unsigned AuthnRequests. A signature that is present is always verified.'),
    signAssertion: z.boolean().default(true),
    signResponse: z.boolean().default(true),
    encryptAssertion: z
      .boolean()
      .default(false)
      .describe("Encrypt the assertion to the metadata's encryption key."),
    minimumLoa: z
      .enum(LOA_LEVELS)
      .optional()
      .describe('Floor applied to every login of this SP, whatever RequestedAuthnContext says.'),
  })
  .strict()
  .refine((s) => s.signAssertion || s.signResponse, {
    message: 'at least one of signAssertion and signResponse must be true',
  });
export type SamlSpOptions = z.infer<typeof samlSpSchema>;

export const samlTargetOptionsSchema = z
  .object({
    entityId: z.url().optional().describe('IdP entity id; default <baseUrl>/metadata.'),
    signing: keyPairSchema.describe('RSA key and certificate signing metadata, responses and assertions.'),
    signatureAlgorithm: z.enum([ALG.rsaSha256, ALG.rsaSha512]).default(ALG.rsaSha256),
    dataEncryptionAlgorithm: z.enum([ALG.aes256gcm, ALG.aes128gcm]).default(ALG.aes256gcm),
    keyEncryptionAlgorithm: z.enum([ALG.rsaOaepMgf1p]).default(ALG.rsaOaepMgf1p),
    scope: z
      .string()
      .regex(/^[a-z0-9.-]+$/)
      .optional()
      .describe('Scope of eduPersonPrincipalName and pairwise-id (default: the issuer host name).'),
    sps: z.array(samlSpSchema).min(1),
    clockSkewSeconds: z.number().int().min(0).max(300).default(60),
    requestMaxAgeSeconds: z.number().int().min(30).max(3600).default(300),
    assertionLifetimeSeconds: z.number().int().min(30).max(3600).default(300),
    sessionLifetimeSeconds: z
      .number()
      .int()
      .min(300)
      .max(86_400)
      .default(28_800)
      .describe('How long the SP sessions of a browser are remembered for Single Logout.'),
    metadataValiditySeconds: z.number().int().min(3600).max(2_592_000).default(86_400),
  })
  .strict();
export type SamlTargetOptions = z.infer<typeof samlTargetOptionsSchema>;
