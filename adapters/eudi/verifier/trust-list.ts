/**
 * The verifier's trust list: which credential issuers it accepts, by X.509 trust anchor, for which
 * credential types (SD-JWT VC `vct`, mdoc `docType`), at which level of assurance. There is no "trust everyone" mode: an empty list accepts
 * nothing. Issuer keys come from the `x5c` header (SD-JWT VC key discovery by x5c); the chain is built and
 * its signatures checked by @peculiar/x509, then every certificate's validity period and CA flags here.
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { BasicConstraintsExtension, PemConverter, X509Certificate, X509ChainBuilder } from '@peculiar/x509';
import { type CryptoKey, importX509, type KeyObject } from 'jose';
import { z } from 'zod';
import { GatewayError } from '../../../src/core/errors.js';
import { type Loa, loaSchema } from '../../../src/core/loa.js';
import { eudiError } from '../errors.js';

export const trustedIssuerSchema = z
  .object({
    name: z.string().min(1).max(128).describe('Label for logs and audit (no personal data).'),
    anchors: z
      .array(z.string().min(1))
      .min(1)
      .describe('Trust anchors the x5c chain must end at: PEM text or the path of a PEM file each.'),
    issuer: z
      .string()
      .min(1)
      .optional()
      .describe('Required `iss` value, if the issuer has a fixed identifier.'),
    vcts: z.array(z.string().min(1)).min(1).describe('Credential types (vct) accepted from this issuer.'),
    doctypes: z
      .array(z.string().min(1))
      .optional()
      .describe('mdoc document types (docType) accepted from this issuer; none if absent.'),
    loa: loaSchema.describe("Level of assurance of identities proven with this issuer's credentials."),
  })
  .strict();
export type TrustedIssuerConfig = z.infer<typeof trustedIssuerSchema>;

export interface ResolvedIssuer {
  readonly name: string;
  readonly loa: Loa;
  readonly vcts: readonly string[];
  /** mdoc docTypes accepted from this issuer (empty: no mdoc). */
  readonly doctypes: readonly string[];
  readonly issuer?: string;
  /** Index of the trust list entry (status list tokens must resolve to the same one). */
  readonly entry: number;
  readonly key: CryptoKey | KeyObject;
}

export interface TrustList {
  /** Resolve the signing key from an `x5c` header; throws ERR_EUDI_UNTRUSTED_ISSUER. */
  resolve(x5c: unknown, alg: string, nowSeconds: number): Promise<ResolvedIssuer>;
}

interface Anchor {
  readonly cert: X509Certificate;
  readonly entry: number;
}

const MAX_CHAIN = 5;

function configError(message: string, cause?: unknown): GatewayError {
  return new GatewayError('ERR_EUDI_CONFIG', message, {
    oauth: 'server_error',
    status: 500,
    ...(cause !== undefined && { cause }),
  });
}

/**
 * Read the anchors of each entry (PEM text, or a file path) into one PEM certificate each, checked to be
 * CA certificates. Errors name the entry, never the file content.
 */
export async function loadTrustedIssuers(
  entries: readonly TrustedIssuerConfig[],
): Promise<TrustedIssuerConfig[]> {
  return Promise.all(
    entries.map(async (e) => {
      const anchors: string[] = [];
      for (const a of e.anchors) {
        const text = a.includes('-----BEGIN')
          ? a
          : await readFile(a, 'utf8').catch((cause: unknown) => {
              throw configError(`trusted issuer ${e.name}: an anchor file cannot be read`, cause);
            });
        let certs: X509Certificate[];
        try {
          certs = PemConverter.decode(text).map((der) => new X509Certificate(der));
        } catch (cause) {
          throw configError(`trusted issuer ${e.name}: an anchor is not a PEM certificate`, cause);
        }
        if (certs.length === 0)
          throw configError(`trusted issuer ${e.name}: an anchor is not a PEM certificate`);
        for (const c of certs) {
          if (!c.getExtension(BasicConstraintsExtension)?.ca)
            throw configError(`trusted issuer ${e.name}: an anchor is not a CA certificate`);
          anchors.push(c.toString('pem'));
        }
      }
      return { ...e, anchors };
    }),
  );
}

export function createTrustList(entries: readonly TrustedIssuerConfig[]): TrustList {
  const anchors: Anchor[] = entries.flatMap((e, entry) =>
    e.anchors.map((pem) => ({ cert: new X509Certificate(pem), entry })),
  );
  // Chains validated recently, keyed by the x5c header (the cache keeps verification fast; validity is rechecked).
  const cache = new Map<string, { resolved: ResolvedIssuer; notBefore: number; notAfter: number }>();

  return {
    async resolve(x5c, alg, nowSeconds) {
      if (
        !Array.isArray(x5c) ||
        x5c.length === 0 ||
        x5c.length > MAX_CHAIN ||
        !x5c.every((c) => typeof c === 'string')
      )
        throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER');
      const cacheKey = `${alg}|${x5c.join('.')}`;
      const hit = cache.get(cacheKey);
      if (hit) {
        if (nowSeconds < hit.notBefore || nowSeconds > hit.notAfter)
          throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER');
        return hit.resolved;
      }
      let certs: X509Certificate[];
      try {
        certs = x5c.map((c: string) => new X509Certificate(Buffer.from(c, 'base64')));
      } catch (cause) {
        throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER', { cause });
      }
      const [leaf, ...intermediates] = certs;
      if (!leaf) throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER');
      const builder = new X509ChainBuilder({
        certificates: [...anchors.map((a) => a.cert), ...intermediates],
      });
      const chain = await builder.build(leaf).catch((cause: unknown) => {
        throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER', { cause });
      });
      const top = chain[chain.length - 1];
      const anchor = anchors.find((a) => a.cert === top);
      if (!anchor || chain.length < 2) throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER');
      let notBefore = 0;
      let notAfter = Number.MAX_SAFE_INTEGER;
      for (const [i, c] of chain.entries()) {
        notBefore = Math.max(notBefore, c.notBefore.getTime() / 1000);
        notAfter = Math.min(notAfter, c.notAfter.getTime() / 1000);
        if (i > 0) {
          const bc = c.getExtension(BasicConstraintsExtension);
          if (!bc?.ca) throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER');
        }
      }
      if (nowSeconds < notBefore || nowSeconds > notAfter) throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER');
      let key: CryptoKey | KeyObject;
      try {
        key = await importX509(leaf.toString('pem'), alg);
      } catch (cause) {
        throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER', { cause });
      }
      const e = entries[anchor.entry]!;
      const resolved: ResolvedIssuer = {
        name: e.name,
        loa: e.loa,
        vcts: e.vcts,
        doctypes: e.doctypes ?? [],
        ...(e.issuer && { issuer: e.issuer }),
        entry: anchor.entry,
        key,
      };
      if (cache.size > 256) cache.clear();
      cache.set(cacheKey, { resolved, notBefore, notAfter });
      return resolved;
    },
  };
}
