/**
 * The source's client keys: an ES256 key for private_key_jwt (and nothing
 * else), and decryption keys for encrypted ID tokens / userinfo. Their public
 * halves form the client JWKS published at `<baseUrl>/jwks.json`, which the
 * upstream registers as the client's `jwks_uri`.
 */
import { readFile } from 'node:fs/promises';
import { importJWK, type JWK } from 'jose';
import { z } from 'zod';
import type { AdapterContext } from '../../src/core/adapter.js';
import { GatewayError } from '../../src/core/errors.js';

export interface DecryptionKey {
  readonly key: CryptoKey;
  readonly alg: string;
  readonly kid: string;
  readonly publicJwk: JWK;
}

export interface ClientKeys {
  readonly signingKey: CryptoKey;
  readonly signingKid: string;
  readonly decryption: readonly DecryptionKey[];
  /** Public client JWKS: one `use: sig` key and the `use: enc` keys. */
  readonly jwks: { keys: JWK[] };
}

const ecPrivate = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  d: z.string(),
  kid: z.string().min(1).max(128),
  alg: z.literal('ECDH-ES+A256KW').default('ECDH-ES+A256KW'),
});
const rsaPrivate = z.object({
  kty: z.literal('RSA'),
  n: z.string(),
  e: z.string(),
  d: z.string(),
  p: z.string(),
  q: z.string(),
  dp: z.string(),
  dq: z.string(),
  qi: z.string(),
  kid: z.string().min(1).max(128),
  alg: z.literal('RSA-OAEP-256').default('RSA-OAEP-256'),
});
const decryptionJwk = z.union([ecPrivate, rsaPrivate]);
const signingJwk = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  d: z.string(),
  kid: z.string().min(1).max(128).optional(),
});

function keyError(message: string, cause?: unknown): GatewayError {
  return new GatewayError('ERR_UPSTREAM_KEYS', message, { oauth: 'server_error', status: 500, cause });
}

async function readJwk(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw keyError(`cannot read the key file ${file}`, e);
  }
}

function publicOf(jwk: Record<string, unknown>): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub as JWK;
}

export async function loadClientKeys(
  ctx: AdapterContext,
  opts: { signingKeyFile?: string | undefined; decryptionKeyFiles: readonly string[] },
): Promise<ClientKeys> {
  let signing: Record<string, unknown>;
  if (opts.signingKeyFile) {
    const parsed = signingJwk.safeParse(await readJwk(opts.signingKeyFile));
    if (!parsed.success) throw keyError(`${opts.signingKeyFile} is not an EC P-256 private JWK`);
    signing = { ...parsed.data, alg: 'ES256' };
  } else {
    signing = { ...(await ctx.keys.keyPair('client', 'ES256')).privateJwk };
  }
  const signingKid = typeof signing.kid === 'string' ? signing.kid : `${ctx.instanceId}-sig`;
  const signingKey = (await importJWK({ ...signing, kid: signingKid }, 'ES256')) as CryptoKey;
  const decryption: DecryptionKey[] = [];
  for (const file of opts.decryptionKeyFiles) {
    const parsed = decryptionJwk.safeParse(await readJwk(file));
    if (!parsed.success) throw keyError(`${file} is not an EC P-256 or RSA private JWK with a kid`);
    const jwk = parsed.data;
    const key = (await importJWK(jwk, jwk.alg)) as CryptoKey;
    decryption.push({ key, alg: jwk.alg, kid: jwk.kid, publicJwk: { ...publicOf(jwk), use: 'enc' } });
  }
  return {
    signingKey,
    signingKid,
    decryption,
    jwks: {
      keys: [
        { ...publicOf(signing), kid: signingKid, alg: 'ES256', use: 'sig' },
        ...decryption.map((d) => d.publicJwk),
      ],
    },
  };
}
