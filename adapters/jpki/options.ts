/**
 * Configuration of the JPKI source. Trust anchors are pinned here (PEM text or
 * PEM file paths) and nowhere else: the card's own CA files are never trusted.
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name as AsnName } from '@peculiar/asn1-x509';
import { PemConverter, X509Certificate, Name as X509Name } from '@peculiar/x509';
import { z } from 'zod';
import { GatewayError } from '../../src/core/errors.js';
import { isUsableAnchor, JPKI_POLICY } from './verify/chain.js';

const oid = z.string().regex(/^[0-2](\.(0|[1-9]\d*))+$/);
const httpUrl = z.url({ protocol: /^https?$/ });
/** Each entry: PEM text (one or more certificates) or the path of a PEM file. */
const anchorList = z.array(z.string().min(1).max(100_000)).min(1).max(32);

export const jpkiOptionsSchema = z
  .object({
    /** User-authentication CA roots (all generations in use). */
    authAnchors: anchorList,
    /** Digital-signature CA roots (all generations in use). */
    signAnchors: anchorList,
    policies: z
      .object({
        auth: z.array(oid).min(1).default([JPKI_POLICY.auth]),
        /** Production only by default; add JPKI_POLICY.signTest for J-LIS test cards and the test PKI. */
        sign: z.array(oid).min(1).default([JPKI_POLICY.signProduction]),
      })
      .strict()
      .prefault({}),
    revocation: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('ocsp'),
          url: httpUrl.optional(),
          /**
           * Delegated responder certificates (PEM text or file paths) for a responder that leaves its own
           * certificate out of its answers (RFC 6960 §4.2.1 makes `certs` optional). Each is authorised exactly
           * like one inside a response (issued by the card's CA, id-kp-OCSPSigning, valid): never trusted alone.
           */
          responderCertificates: z.array(z.string().min(1).max(100_000)).min(1).max(32).optional(),
        })
        .strict(),
      z
        .object({
          kind: z.literal('crl'),
          /** One CRL for every certificate. */
          url: httpUrl.optional(),
          /**
           * Partitioned CRLs (J-LIS publishes one per municipality, named by a directoryName distribution
           * point): the distribution point as an RFC 4514 string and the HTTP URL its CRL is mirrored at. A
           * certificate naming none of them falls back to an http(s) distribution point of its own.
           */
          partitions: z
            .array(z.object({ distributionPoint: z.string().min(1).max(2_000), url: httpUrl }).strict())
            .min(1)
            .max(10_000)
            .optional(),
        })
        .strict()
        .refine((r) => !(r.url && r.partitions), {
          message: 'give either url (one CRL) or partitions, not both',
          path: ['partitions'],
        }),
      z.object({ kind: z.literal('platform'), url: httpUrl }).strict(),
    ]),
    /** When the status service cannot be reached: refuse the login (default) or let it through, recorded in the identity. */
    onUnreachable: z.enum(['refuse', 'allow']).default('refuse'),
    challengeTtlSeconds: z.number().int().min(30).max(900).default(120),
    /**
     * The waiting page's long poll of `/status/:id?wait=1`: held up to `holdMs` while the login is pending
     * (0 answers at once), woken when this node settles the login, re-reading the store every `recheckMs`
     * for a login settled on another node.
     */
    statusPoll: z
      .object({
        holdMs: z.number().int().min(0).max(60_000).default(25_000),
        recheckMs: z.number().int().min(50).max(60_000).default(2_000),
      })
      .strict()
      .prefault({}),
    /** Upper bound for caching good OCSP answers and CRLs. */
    cacheMaxSeconds: z.number().int().min(0).max(86_400).default(3600),
    /** Platform-operator API for certificate linkage when revocation is not `platform` (which links too). */
    linkage: z.object({ url: httpUrl }).strict().optional(),
    /** Refuse a signing certificate whose link to the authentication certificate nobody can confirm. */
    requireHolderLinkage: z.boolean().default(true),
    /** Dev only: a button that plays a virtual card from this directory server-side. */
    demo: z
      .object({ cardsDir: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

export type JpkiOptions = z.infer<typeof jpkiOptionsSchema>;
export type JpkiOptionsInput = z.input<typeof jpkiOptionsSchema>;

function configError(message: string, cause?: unknown): GatewayError {
  return new GatewayError('ERR_JPKI_CONFIG', message, { oauth: 'server_error', status: 500, cause });
}

/** A partition's distribution point name (RFC 4514, e.g. `C=JP, O=JPKI, OU=…, CN=…`), as the ASN.1 Name. */
export function parseDistributionPointName(text: string): AsnName {
  let name: X509Name;
  try {
    name = new X509Name(text);
  } catch (e) {
    throw configError(
      `a JPKI CRL partition name is not an RFC 4514 distinguished name: ${text.slice(0, 80)}`,
      e,
    );
  }
  if (name.toJSON().length === 0)
    throw configError(
      `a JPKI CRL partition name is not an RFC 4514 distinguished name: ${text.slice(0, 80)}`,
    );
  return AsnConvert.parse(name.toArrayBuffer(), AsnName);
}

/** Certificates from config entries (PEM text, or a path to a PEM file; several blocks per entry allowed). */
export async function loadCertificates(entries: readonly string[], what: string): Promise<X509Certificate[]> {
  const out: X509Certificate[] = [];
  for (const entry of entries) {
    const text = entry.includes('-----BEGIN')
      ? entry
      : await readFile(entry, 'utf8').catch((e: unknown) => {
          throw configError(`a ${what} file cannot be read`, e);
        });
    let blocks: ArrayBuffer[];
    try {
      blocks = PemConverter.decode(text);
    } catch (e) {
      throw configError(`a ${what} is not PEM`, e);
    }
    if (blocks.length === 0) throw configError(`a ${what} entry holds no certificate`);
    for (const der of blocks) {
      try {
        out.push(new X509Certificate(der));
      } catch (e) {
        throw configError(`a ${what} is not an X.509 certificate`, e);
      }
    }
  }
  return out;
}

/** Load and check pinned anchors: each must be a CA certificate allowed to sign certificates. */
export async function loadAnchors(entries: readonly string[]): Promise<X509Certificate[]> {
  const anchors: X509Certificate[] = [];
  for (const cert of await loadCertificates(entries, 'JPKI trust anchor')) {
    // Validity is checked per login (an old generation may expire while configured); here only the CA profile.
    if (!isUsableAnchor(cert, cert.notBefore.getTime())) {
      throw configError('a JPKI trust anchor is not a CA certificate with keyCertSign');
    }
    anchors.push(cert);
  }
  return anchors;
}
