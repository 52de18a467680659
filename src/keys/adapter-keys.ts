/**
 * Long-lived key pairs that adapters own (e.g. a credential issuer key), one per
 * (purpose, alg), created on first use and persisted in `<dir>/adapter/` (mode 0600).
 */
import { join } from 'node:path';
import type { JWK } from 'jose';
import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import { createFileExclusive, readIfExists } from './fs-atomic.js';
import { generateSigningJwk, normalizePrivateJwk, type SigningAlg, toPublicJwk } from './signing-jwk.js';

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

function keysError(code: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError(code, message, { oauth: 'server_error', status: 500, redirectable: false, cause });
}

/** A loader bound to `dir`; concurrent calls for the same pair share one generation. */
export function adapterKeyPairs(
  dir: string,
  now: () => number,
): (purpose: string, alg: SigningAlg) => Promise<AdapterKeyPair> {
  const cache = new Map<string, Promise<AdapterKeyPair>>();

  async function load(purpose: string, alg: SigningAlg): Promise<AdapterKeyPair> {
    // base64url of the purpose: any purpose string maps to a safe, collision-free file name.
    const file = join(dir, 'adapter', `${alg}-${Buffer.from(purpose, 'utf8').toString('base64url')}.json`);
    let text = await readIfExists(file);
    if (text === undefined) {
      const privateJwk = await generateSigningJwk(alg);
      const body = JSON.stringify({ version: 1, purpose, alg, createdAt: now(), privateJwk }, null, 2);
      if (await createFileExclusive(file, body)) text = body;
      else text = await readIfExists(file);
      if (text === undefined) throw keysError('ERR_KEYS_STATE', `adapter key file vanished: ${file}`);
    }
    try {
      const parsed = fileSchema.parse(JSON.parse(text));
      const jwk = await normalizePrivateJwk(parsed.privateJwk);
      if (parsed.purpose !== purpose || parsed.alg !== alg || jwk.alg !== alg)
        throw new Error('purpose/alg mismatch');
      return { privateJwk: jwk, publicJwk: toPublicJwk(jwk) };
    } catch (e) {
      throw keysError('ERR_KEYS_STATE', `corrupt adapter key file ${file}`, e);
    }
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
