/**
 * Long-lived key pairs that adapters own (e.g. a credential issuer key), one per (purpose, alg). The purpose
 * is `<adapter instance name>:<adapter's purpose>` (e.g. `eudi:issuer`).
 *
 * - `keys.source: generate` (dev, one instance): created on first use and persisted in `<dir>/adapter/`
 *   (mode 0600).
 * - `keys.source: files | env` (several instances): every instance must hold the same pair, so they come from
 *   the operator's adapter key map (`keys.adapterKeysFile` / `KAKEHASHI_ADAPTER_KEYS`). Pairs nobody outside
 *   the deployment ever sees (INTERNAL_PURPOSES: secrets taken from `d`, clients of the own hub) are derived
 *   from the pepper when the map does not list them. A pair an outside party pins (credential issuer,
 *   verifier, upstream client keys; PUBLISHED_PURPOSES) that the map lacks is refused in production; elsewhere
 *   it is generated per data directory, with a warning that other instances will not have it. See
 *   docs/decisions/0006-adapter-keys-across-instances.md.
 */
import { createECDH, hkdfSync } from 'node:crypto';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import { createFileExclusive, readIfExists } from './fs-atomic.js';
import {
  generateSigningJwk,
  KeyParseError,
  normalizePrivateJwk,
  type PrivateJwk,
  parsePrivateKeys,
  type SigningAlg,
  toPublicJwk,
} from './signing-jwk.js';

export interface AdapterKeyPair {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

const fileSchema = z.object({
  version: z.literal(1),
  purpose: z.string(),
  alg: z.enum(['ES256', 'RS256']),
  createdAt: z.number(),
  privateJwk: z.unknown(),
});

const MAX_PURPOSE = 128;

/**
 * Adapter purposes (the part after the instance name) whose pair never leaves the deployment: the private
 * member is used as a secret (pseudonyms, c_nonce MAC) or the public key is registered only with this
 * gateway's own hub. Only these may be derived from the pepper. Any other purpose is treated as pinned by an
 * outside party and must be supplied.
 */
export const INTERNAL_PURPOSES: ReadonlySet<string> = new Set([
  'eidas-pseudonym', // eidas source: pseudonym secret
  'pseudonym', // eudi-wallet source: pseudonym secret
  'c-nonce', // eudi-issuer: c_nonce MAC secret
  'hub-client', // eidas targets: private_key_jwt client of the own hub
  'offer-client', // eudi-issuer: private_key_jwt client of the own hub (offer page)
]);

/**
 * The pinned pairs each adapter asks for at start, by adapter id, from its parsed options (what must be in the
 * adapter key map in production). For `kakehashi config check` and the start-up config check; the key store
 * refuses any other missing pinned pair when it is asked for.
 */
export const PUBLISHED_PURPOSES: Readonly<Record<string, (options: unknown) => readonly string[]>> = {
  'eudi-issuer': (o) => ['issuer', ...(has(o, 'x5c') ? [] : ['issuer-test-root'])],
  'eudi-wallet': (o) => ['verifier', ...(has(o, 'x5c') ? [] : ['verifier-test-root'])],
  'oidc-upstream': (o) => (has(o, 'signingKeyFile') ? [] : ['client']),
};

function has(options: unknown, key: string): boolean {
  return !!options && typeof options === 'object' && (options as Record<string, unknown>)[key] !== undefined;
}

function keysError(code: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError(code, message, { oauth: 'server_error', status: 500, redirectable: false, cause });
}

/** The adapter's own purpose: what follows the instance name. */
function adapterPurpose(purpose: string): string {
  return purpose.slice(purpose.lastIndexOf(':') + 1);
}

/**
 * The adapter key map: a JSON object from purpose (`<instance>:<purpose>`) to a private JWK, a JWK array or
 * JWKS, or a PKCS#8 PEM string. Per purpose at most one key per alg.
 */
export async function parseAdapterKeys(text: string): Promise<ReadonlyMap<string, readonly PrivateJwk[]>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyParseError('not JSON (expected an object from "<instance>:<purpose>" to a private key)');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new KeyParseError('expected a JSON object from "<instance>:<purpose>" to a private key');
  const out = new Map<string, PrivateJwk[]>();
  for (const [purpose, value] of Object.entries(json)) {
    if (purpose.length === 0 || purpose.length > MAX_PURPOSE)
      throw new KeyParseError(`purpose "${purpose.slice(0, 40)}" must be 1..${MAX_PURPOSE} characters`);
    let keys: PrivateJwk[];
    try {
      keys = await parsePrivateKeys(typeof value === 'string' ? value : JSON.stringify(value));
    } catch (e) {
      throw new KeyParseError(`"${purpose}": ${e instanceof Error ? e.message : String(e)}`);
    }
    const algs = new Set(keys.map((k) => k.alg));
    if (algs.size !== keys.length) throw new KeyParseError(`"${purpose}": more than one key for one alg`);
    out.set(purpose, keys);
  }
  return out;
}

/** P-256 group order. */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/**
 * A P-256 pair derived from the pepper: HKDF-SHA256 (RFC 5869) with a label naming the purpose, 48 bytes
 * reduced into [1, n−1] (FIPS 186-5 A.2.1, the extra 16 bytes make the bias negligible). Every instance with
 * the same pepper derives the same pair; nothing is written to disk.
 */
export async function deriveAdapterKeyPair(pepper: Uint8Array, purpose: string): Promise<PrivateJwk> {
  const okm = Buffer.from(
    hkdfSync('sha256', pepper, new Uint8Array(0), `kakehashi adapter key v1\0ES256\0${purpose}`, 48),
  );
  const d = (BigInt(`0x${okm.toString('hex')}`) % (P256_N - 1n)) + 1n;
  const dBytes = Buffer.from(d.toString(16).padStart(64, '0'), 'hex');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(dBytes);
  const point = ecdh.getPublicKey(null, 'uncompressed');
  return normalizePrivateJwk({
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
    d: dBytes.toString('base64url'),
  });
}

export interface SharedAdapterKeys {
  /** Operator-supplied pairs by purpose. */
  readonly supplied: ReadonlyMap<string, readonly PrivateJwk[]>;
  /** Where they come from, for messages: `keys.adapterKeysFile` or `KAKEHASHI_ADAPTER_KEYS`. */
  readonly field: string;
  /** The pepper, for INTERNAL_PURPOSES the map does not list. */
  readonly pepper: Uint8Array;
  /** NODE_ENV=production: a pinned pair the map lacks, or a leftover per-instance file, is refused. */
  readonly production: boolean;
  readonly log?: Logger | undefined;
}

/**
 * A loader bound to `dir`; concurrent calls for the same pair share one generation. With `shared` (keys from
 * files or env) supplied and derived pairs come first, see the module comment.
 */
export function adapterKeyPairs(
  dir: string,
  now: () => number,
  shared?: SharedAdapterKeys,
): (purpose: string, alg: SigningAlg) => Promise<AdapterKeyPair> {
  const cache = new Map<string, Promise<AdapterKeyPair>>();
  // base64url of the purpose: any purpose string maps to a safe, collision-free file name.
  const fileOf = (purpose: string, alg: SigningAlg) =>
    join(dir, 'adapter', `${alg}-${Buffer.from(purpose, 'utf8').toString('base64url')}.json`);

  async function fromFile(file: string, purpose: string, alg: SigningAlg, text: string): Promise<PrivateJwk> {
    try {
      const parsed = fileSchema.parse(JSON.parse(text));
      const jwk = await normalizePrivateJwk(parsed.privateJwk);
      if (parsed.purpose !== purpose || parsed.alg !== alg || jwk.alg !== alg)
        throw new Error('purpose/alg mismatch');
      return jwk;
    } catch (e) {
      throw keysError('ERR_KEYS_STATE', `corrupt adapter key file ${file}`, e);
    }
  }

  async function generated(purpose: string, alg: SigningAlg): Promise<PrivateJwk> {
    const file = fileOf(purpose, alg);
    let text = await readIfExists(file);
    if (text === undefined) {
      const privateJwk = await generateSigningJwk(alg);
      const body = JSON.stringify({ version: 1, purpose, alg, createdAt: now(), privateJwk }, null, 2);
      if (await createFileExclusive(file, body)) text = body;
      else text = await readIfExists(file);
      if (text === undefined) throw keysError('ERR_KEYS_STATE', `adapter key file vanished: ${file}`);
    }
    return fromFile(file, purpose, alg, text);
  }

  async function sharedPair(s: SharedAdapterKeys, purpose: string, alg: SigningAlg): Promise<PrivateJwk> {
    const listed = s.supplied.get(purpose);
    if (listed !== undefined) {
      const jwk = listed.find((k) => k.alg === alg);
      if (jwk === undefined)
        throw keysError(
          'ERR_KEYS_ADAPTER',
          `${s.field}: "${purpose}" has no ${alg} key (an adapter needs one)`,
        );
      return jwk;
    }
    const file = fileOf(purpose, alg);
    const leftover = await readIfExists(file);
    const internal = alg === 'ES256' && INTERNAL_PURPOSES.has(adapterPurpose(purpose));
    if (leftover !== undefined) {
      // A pair an earlier version generated here: switching to a derived one would silently change what it
      // protects (pseudonyms) and other instances do not have it.
      if (s.production)
        throw keysError(
          'ERR_KEYS_ADAPTER',
          `${s.field}: "${purpose}" (${alg}) is not listed, but ${file} holds a key generated by this instance; ` +
            'add its privateJwk to the map so every instance uses it (or delete the file to use a fresh one)',
        );
      s.log?.warn(
        { purpose, alg, file },
        `adapter key not in ${s.field}: using this instance's own file, other instances will not share it`,
      );
      return fromFile(file, purpose, alg, leftover);
    }
    if (internal) return deriveAdapterKeyPair(s.pepper, purpose);
    if (s.production)
      throw keysError(
        'ERR_KEYS_ADAPTER',
        `${s.field}: no key for "${purpose}" (${alg}); every instance must use the same one, and it is published ` +
          'to or pinned by others, so supply it (see docs/operations.md, "Several instances")',
      );
    s.log?.warn(
      { purpose, alg, dir },
      `adapter key not in ${s.field}: generated into this data directory, other instances will not share it`,
    );
    return generated(purpose, alg);
  }

  async function load(purpose: string, alg: SigningAlg): Promise<AdapterKeyPair> {
    const jwk = shared === undefined ? await generated(purpose, alg) : await sharedPair(shared, purpose, alg);
    return { privateJwk: jwk, publicJwk: toPublicJwk(jwk) };
  }

  return (purpose, alg) => {
    if (purpose.length === 0 || purpose.length > MAX_PURPOSE) {
      return Promise.reject(
        keysError('ERR_KEYS_PURPOSE', `adapter key purpose must be 1..${MAX_PURPOSE} characters`),
      );
    }
    const id = `${alg}:${purpose}`;
    let pending = cache.get(id);
    if (pending === undefined) {
      pending = load(purpose, alg);
      // A failure is not cached: the next call retries.
      pending.catch(() => cache.delete(id));
      cache.set(id, pending);
    }
    // Copies, so a caller mutating its JWK cannot change what the next caller gets.
    return pending.then((pair) => ({ privateJwk: { ...pair.privateJwk }, publicJwk: { ...pair.publicJwk } }));
  };
}
