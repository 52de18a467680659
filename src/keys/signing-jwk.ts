/**
 * Signing keys as private JWKs (RFC 7517): generation, parsing of operator-supplied
 * keys (JWK, JWKS or PKCS#8 PEM) and public projection. `kid` is the RFC 7638 thumbprint.
 */
import { createPrivateKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8, type JWK } from 'jose';
import { z } from 'zod';

export type SigningAlg = 'ES256' | 'RS256';
export const signingAlgSchema = z.enum(['ES256', 'RS256']);

const b64u = z.string().regex(/^[A-Za-z0-9_-]+$/);
const common = {
  kid: z.string().max(256).optional(),
  alg: z.string().optional(),
  use: z.string().optional(),
};

const ecPrivateJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: b64u,
  y: b64u,
  d: b64u,
  ...common,
});
const rsaPrivateJwkSchema = z.object({
  kty: z.literal('RSA'),
  n: b64u,
  e: b64u,
  d: b64u,
  p: b64u,
  q: b64u,
  dp: b64u,
  dq: b64u,
  qi: b64u,
  ...common,
});
/** A private ES256 (P-256) or RS256 JWK; unknown members are dropped. */
export const privateJwkSchema = z.discriminatedUnion('kty', [ecPrivateJwkSchema, rsaPrivateJwkSchema]);
export type PrivateJwk = z.infer<typeof privateJwkSchema> & { kid: string; alg: SigningAlg; use: 'sig' };

const MIN_RSA_BITS = 2048;

/** Thrown by the parsers below with a human reason; the caller adds where the key came from. */
export class KeyParseError extends Error {}

/** Check a parsed JWK, give it `kid` (thumbprint), `alg` and `use: 'sig'`. */
export async function normalizePrivateJwk(input: unknown): Promise<PrivateJwk> {
  const parsed = privateJwkSchema.safeParse(input);
  if (!parsed.success) {
    throw new KeyParseError('not a private EC P-256 or RSA JWK (needs kty, the public members and d)');
  }
  const jwk = parsed.data;
  const alg: SigningAlg = jwk.kty === 'EC' ? 'ES256' : 'RS256';
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new KeyParseError(`alg ${jwk.alg} is not supported for a ${jwk.kty} key (expected ${alg})`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig')
    throw new KeyParseError(`use must be "sig", not ${jwk.use}`);
  if (jwk.kty === 'RSA' && Buffer.from(jwk.n, 'base64url').length * 8 < MIN_RSA_BITS) {
    throw new KeyParseError(`RSA keys must have at least ${MIN_RSA_BITS} bits`);
  }
  try {
    await importJWK(jwk, alg);
  } catch (e) {
    throw new KeyParseError(`the key does not import: ${e instanceof Error ? e.message : String(e)}`);
  }
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig' };
}

export async function generateSigningJwk(alg: SigningAlg): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return normalizePrivateJwk(await exportJWK(privateKey));
}

/** The public members only, with kid/alg/use. */
export function toPublicJwk(jwk: PrivateJwk): JWK {
  const base = { kid: jwk.kid, alg: jwk.alg, use: jwk.use };
  return jwk.kty === 'EC'
    ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y, ...base }
    : { kty: 'RSA', n: jwk.n, e: jwk.e, ...base };
}

async function fromPkcs8Pem(pem: string): Promise<PrivateJwk> {
  if (!/-----BEGIN PRIVATE KEY-----/.test(pem)) {
    throw new KeyParseError(
      'PEM is not PKCS#8 ("BEGIN PRIVATE KEY"); convert with `openssl pkcs8 -topk8 -nocrypt -in <file>`',
    );
  }
  let alg: SigningAlg;
  try {
    // node:crypto only tells us the key type so jose gets the right alg; jose does the import.
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === 'rsa') alg = 'RS256';
    else if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
      alg = 'ES256';
    else
      throw new KeyParseError(
        `unsupported key type ${key.asymmetricKeyType ?? 'unknown'} (need EC P-256 or RSA)`,
      );
  } catch (e) {
    if (e instanceof KeyParseError) throw e;
    throw new KeyParseError('malformed PKCS#8 PEM');
  }
  const cryptoKey = await importPKCS8(pem, alg, { extractable: true });
  return normalizePrivateJwk(await exportJWK(cryptoKey));
}

/** Keys from file or env text: one PKCS#8 PEM, one private JWK, a JWK array or a JWKS `{ keys: [...] }`. */
export async function parsePrivateKeys(text: string): Promise<PrivateJwk[]> {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return [await fromPkcs8Pem(trimmed)];
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    throw new KeyParseError('neither a PKCS#8 PEM nor JSON');
  }
  const list = z.union([z.array(z.unknown()), z.object({ keys: z.array(z.unknown()) })]).safeParse(json);
  const items = list.success ? (Array.isArray(list.data) ? list.data : list.data.keys) : [json];
  if (items.length === 0) throw new KeyParseError('no keys');
  return Promise.all(items.map((item) => normalizePrivateJwk(item)));
}
