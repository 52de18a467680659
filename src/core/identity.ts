/**
 * The canonical identity: what every source produces and every target consumes.
 *
 * Sources parse their protocol into this shape; targets map it out. It is
 * validated with zod at every boundary (`parseCanonicalIdentity`). The raw
 * `subject.id` is source-scoped and never released: targets derive pairwise
 * identifiers from the gateway's account id instead.
 */
import { z } from 'zod';
import { loaSchema } from './loa.js';

/** ISO 15924 script codes we carry names in. `Jpan` = kanji (with kana), `Kana` = katakana reading (furigana), `Latn` = Latin. */
export const scriptSchema = z.enum(['Jpan', 'Kana', 'Hira', 'Latn']);
export type Script = z.infer<typeof scriptSchema>;

export const scriptedNameSchema = z
  .object({
    value: z.string().min(1).max(256),
    script: scriptSchema,
    /** The source replaced characters outside its character set with substitute characters (JPKI 代替文字). */
    containsSubstitutes: z.boolean().optional(),
  })
  .strict();
export type ScriptedName = z.infer<typeof scriptedNameSchema>;

export const addressSchema = z
  .object({
    formatted: z.string().min(1).max(512),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
    postalCode: z.string().max(32).optional(),
    region: z.string().max(128).optional(),
    locality: z.string().max(128).optional(),
    streetAddress: z.string().max(256).optional(),
    script: scriptSchema.optional(),
    containsSubstitutes: z.boolean().optional(),
  })
  .strict();
export type Address = z.infer<typeof addressSchema>;

/** RFC 8176 authentication method reference values we use. */
export const amrSchema = z.enum([
  'face',
  'fpt',
  'geo',
  'hwk',
  'iris',
  'kba',
  'mca',
  'mfa',
  'otp',
  'pin',
  'pop',
  'pwd',
  'rba',
  'retina',
  'sc',
  'sms',
  'swk',
  'tel',
  'user',
  'vbm',
  'wia',
]);
export type Amr = z.infer<typeof amrSchema>;

export const evidenceSchema = z
  .object({
    /** What was checked, e.g. `x509` for a certificate, `sd-jwt-vc`, `saml-assertion`, `id-token`. */
    type: z.string().min(1).max(64),
    /** OIDC4IDA trust framework, e.g. `jp_individual_number_card` is a document type; framework e.g. `jp_jpki`. */
    trustFramework: z.string().min(1).max(128),
    /** OIDC4IDA evidence document/electronic record type, e.g. `jp_individual_number_card`. */
    documentType: z.string().max(128).optional(),
    /** Issuer of the evidence (CA DN, eIDAS node entity id, credential issuer). */
    issuer: z.string().max(1024).optional(),
    /** SHA-256 thumbprint (base64url) of the certificate or key that proved the identity. Never the certificate itself. */
    thumbprint: z.string().max(128).optional(),
    /** Epoch seconds at which the source verified the evidence. */
    verifiedAt: z.number().int().nonnegative(),
  })
  .strict();
export type Evidence = z.infer<typeof evidenceSchema>;

export const genderSchema = z.enum(['male', 'female', 'other', 'unknown']);
export type Gender = z.infer<typeof genderSchema>;

export const personSchema = z
  .object({
    familyName: z.array(scriptedNameSchema).max(8).optional(),
    givenName: z.array(scriptedNameSchema).max(8).optional(),
    /** Full name in one string where the source does not split it. */
    fullName: z.array(scriptedNameSchema).max(8).optional(),
    birthName: z.array(scriptedNameSchema).max(8).optional(),
    /** ISO 8601 full-date, YYYY-MM-DD. */
    birthDate: z.iso.date().optional(),
    gender: genderSchema.optional(),
    address: addressSchema.optional(),
    /** ISO 3166-1 alpha-2 codes. */
    nationality: z
      .array(z.string().regex(/^[A-Z]{2}$/))
      .max(8)
      .optional(),
    email: z.email().max(254).optional(),
  })
  .strict();
export type Person = z.infer<typeof personSchema>;

/** Names of person attributes, used by consent, claim mapping and audit (names only, never values). */
export const PERSON_ATTRIBUTES = [
  'familyName',
  'givenName',
  'fullName',
  'birthName',
  'birthDate',
  'gender',
  'address',
  'nationality',
  'email',
] as const satisfies readonly (keyof Person)[];
export type PersonAttribute = (typeof PERSON_ATTRIBUTES)[number];

export const canonicalIdentitySchema = z
  .object({
    subject: z
      .object({
        /** Source-scoped stable identifier. Never released; targets see pairwise ids derived from the account id. */
        id: z.string().min(1).max(512),
        /** The source adapter instance that vouches for `id`. */
        issuer: z.string().min(1).max(256),
      })
      .strict(),
    authentication: z
      .object({
        /** Adapter instance name that authenticated the person. */
        source: z.string().min(1).max(128),
        loa: loaSchema,
        amr: z.array(amrSchema).min(1).max(8),
        /** Epoch seconds. */
        authTime: z.number().int().nonnegative(),
        evidence: z.array(evidenceSchema).max(8).optional(),
      })
      .strict(),
    person: personSchema,
    /** Which person attributes the source verified (as opposed to self-asserted). */
    verified: z.array(z.enum(PERSON_ATTRIBUTES)).max(PERSON_ATTRIBUTES.length).default([]),
    /** Namespaced extension bag: keys are `<namespace>:<name>`. */
    extensions: z
      .record(
        z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9_.-]+$/),
        z.union([z.string(), z.number(), z.boolean()]),
      )
      .default({}),
  })
  .strict();

export type CanonicalIdentity = z.infer<typeof canonicalIdentitySchema>;
export type CanonicalIdentityInput = z.input<typeof canonicalIdentitySchema>;

/** Validate an identity produced by a source; throws a GatewayError naming the offending path. */
export { parseCanonicalIdentity } from './parse-identity.js';
