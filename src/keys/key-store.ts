/**
 * The gateway's key material: OIDC signing keys (published at jwks_uri), the seal key of
 * the SealedStore, cookie keys, the pepper for pseudonymous ids and adapters' own key pairs.
 *
 * Sources: 'generate' (dev/embedded: created on first start in `dir`, reused after restart),
 * 'files' (operator-supplied PEM/JWK files) and 'env' (KAKEHASHI_* variables). Only
 * 'generate' can rotate; externally managed keys are rotated by replacing them.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { GatewayError } from '../core/errors.js';
import { type AdapterKeyPair, adapterKeyPairs, parseAdapterKeys } from './adapter-keys.js';
import { ensureKeyDir, isErrno, readIfExists } from './fs-atomic.js';
import { type GeneratedState, loadOrCreateState, saveState } from './generated-state.js';
import { deriveFromSealKey, parseCookieKeys, parsePepper, parseSealKeys, type SealKey } from './secrets.js';
import {
  generateSigningJwk,
  KeyParseError,
  type PrivateJwk,
  parsePrivateKeys,
  type SigningAlg,
} from './signing-jwk.js';
import {
  describeEntries,
  entriesFromSupplied,
  orderEntries,
  privateJwks,
  pruneEntries,
  publicJwks,
  rotateEntries,
  type SigningEntry,
  type SigningKeyInfo,
} from './signing-set.js';

export type { AdapterKeyPair } from './adapter-keys.js';
export type { SealKey } from './secrets.js';
export type { SigningAlg } from './signing-jwk.js';
export type { SigningKeyInfo, SigningKeyStatus } from './signing-set.js';

interface CommonOptions {
  /** Longest lifetime of anything signed (tokens, logout tokens); a retiring key stays published this long. Default 1 day. */
  maxTokenLifetimeSeconds?: number;
}

export type KeyStoreOptions = CommonOptions &
  (
    | { source: 'generate'; dir: string; defaultAlg?: SigningAlg }
    | {
        source: 'files';
        /** Private JWK, JWK array, JWKS or PKCS#8 PEM files; per alg the first key signs, the others are published. */
        signingKeys: string[];
        /** base64url 32-byte keys, comma/newline separated; first current, rest previous. */
        sealKeyFile: string;
        cookieKeysFile?: string;
        pepperFile?: string;
        /** Adapters' own key pairs: a JSON object from `<instance>:<purpose>` to a private JWK or PKCS#8 PEM. */
        adapterKeysFile?: string;
        /** Where adapter key pairs not supplied may be kept outside production. */
        dir: string;
      }
    | { source: 'env'; dir: string }
  );

export interface KeyStoreDeps {
  /** Epoch milliseconds. */
  now: () => number;
  log?: Logger;
  /** For source 'env' (main.ts passes process.env). */
  env?: Record<string, string | undefined>;
}

export interface RotateResult {
  readonly newKid: string;
  /** Every key now retiring (still published until pruned), the one this call retired included. */
  readonly retiring: string[];
}

export interface KeyStore {
  readonly source: KeyStoreOptions['source'];
  /** True for 'generate': the config layer refuses it in production. */
  readonly isDevOnly: boolean;
  /** Private JWKs for oidc-provider's `jwks`: active default-alg key first, the other active key, then retiring ones. */
  signingJwks(): { keys: JWK[] };
  /** The same keys without private members (what jwks_uri serves). */
  publicJwks(): { keys: JWK[] };
  /** Kid, alg, status and times of every published signing key, in publication order. */
  signingKeyInfo(): SigningKeyInfo[];
  sealKey(): SealKey;
  /** Keys that may still open older sealed values; never used to seal. */
  previousSealKeys(): SealKey[];
  /** oidc-provider `cookies.keys`: the first signs, all verify. */
  cookieKeys(): string[];
  /** HMAC key for pseudonymous ids. */
  pepper(): Uint8Array;
  /**
   * An adapter's own key pair per (purpose, alg). 'generate': created on first use and persisted in `dir`;
   * 'files'/'env': from the adapter key map, derived from the pepper (internal purposes only), refused in
   * production otherwise (see adapter-keys.ts).
   */
  adapterKeyPair(purpose: string, alg: SigningAlg): Promise<AdapterKeyPair>;
  /** New active signing key for `alg` (default: the default alg); the old one stays published. 'generate' only. */
  rotate(options?: { alg?: SigningAlg }): Promise<RotateResult>;
  /** Drop retiring keys whose window has passed; returns their kids. */
  prune(): Promise<string[]>;
}

const DAY_SECONDS = 86_400;

function keysError(code: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError(code, message, { oauth: 'server_error', status: 500, redirectable: false, cause });
}

function reasonOf(e: unknown): string {
  if (e instanceof KeyParseError) return e.message;
  if (isErrno(e, 'ENOENT')) return 'file not found';
  if (isErrno(e, 'EACCES')) return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

async function fromFile<T>(path: string, parse: (text: string) => T | Promise<T>, log?: Logger): Promise<T> {
  try {
    const text = await readIfExists(path);
    if (text === undefined) throw new KeyParseError('file not found');
    const mode = (await stat(path)).mode;
    if ((mode & 0o077) !== 0)
      log?.warn({ path, mode: (mode & 0o777).toString(8) }, 'key file is readable by others');
    return await parse(text);
  } catch (e) {
    throw keysError('ERR_KEYS_FILE', `cannot load key file ${path}: ${reasonOf(e)}`, e);
  }
}

async function fromEnv<T>(
  env: Record<string, string | undefined>,
  name: string,
  parse: (text: string) => T | Promise<T>,
): Promise<T> {
  const value = env[name];
  if (value === undefined || isUnset(value)) throw keysError('ERR_KEYS_ENV', `${name} is not set`);
  try {
    return await parse(value);
  } catch (e) {
    // Never echo the value: it is a secret.
    throw keysError('ERR_KEYS_ENV', `${name} is invalid: ${reasonOf(e)}`, e);
  }
}

/** Compose files often set optional variables to the empty string. */
function isUnset(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

interface External {
  signing: SigningEntry[];
  sealKeys: SealKey[];
  cookieKeys?: string[];
  pepper?: Uint8Array;
  adapterKeys: Awaited<ReturnType<typeof parseAdapterKeys>>;
  /** Where adapterKeys come from, for messages. */
  adapterKeysField: string;
}

async function loadExternal(options: KeyStoreOptions, deps: KeyStoreDeps): Promise<External> {
  if (options.source === 'files') {
    if (options.signingKeys.length === 0) throw keysError('ERR_KEYS_FILE', 'no signing key files configured');
    const lists = await Promise.all(options.signingKeys.map((p) => fromFile(p, parsePrivateKeys, deps.log)));
    return {
      signing: entriesFromSupplied(lists.flat()),
      sealKeys: await fromFile(options.sealKeyFile, parseSealKeys, deps.log),
      ...(options.cookieKeysFile === undefined
        ? {}
        : { cookieKeys: await fromFile(options.cookieKeysFile, parseCookieKeys, deps.log) }),
      ...(options.pepperFile === undefined
        ? {}
        : { pepper: await fromFile(options.pepperFile, parsePepper, deps.log) }),
      adapterKeys:
        options.adapterKeysFile === undefined
          ? new Map()
          : await fromFile(options.adapterKeysFile, parseAdapterKeys, deps.log),
      adapterKeysField: 'keys.adapterKeysFile',
    };
  }
  const env = deps.env ?? {};
  const signing: PrivateJwk[] = await fromEnv(env, 'KAKEHASHI_SIGNING_KEYS', parsePrivateKeys);
  return {
    signing: entriesFromSupplied(signing),
    sealKeys: await fromEnv(env, 'KAKEHASHI_SEAL_KEY', parseSealKeys),
    ...(isUnset(env.KAKEHASHI_COOKIE_KEYS)
      ? {}
      : { cookieKeys: await fromEnv(env, 'KAKEHASHI_COOKIE_KEYS', parseCookieKeys) }),
    ...(isUnset(env.KAKEHASHI_PEPPER) ? {} : { pepper: await fromEnv(env, 'KAKEHASHI_PEPPER', parsePepper) }),
    adapterKeys: isUnset(env.KAKEHASHI_ADAPTER_KEYS)
      ? new Map()
      : await fromEnv(env, 'KAKEHASHI_ADAPTER_KEYS', parseAdapterKeys),
    adapterKeysField: 'KAKEHASHI_ADAPTER_KEYS',
  };
}

/** Load (or, for 'generate', create) the key material. */
export async function loadKeyStore(options: KeyStoreOptions, deps: KeyStoreDeps): Promise<KeyStore> {
  const windowMs = (options.maxTokenLifetimeSeconds ?? DAY_SECONDS) * 1000;
  await ensureKeyDir(options.dir);
  let adapterKeyPair: KeyStore['adapterKeyPair'];

  let state: GeneratedState;
  let primary: SigningAlg = 'ES256';
  let persist: ((next: GeneratedState) => Promise<void>) | undefined;

  if (options.source === 'generate') {
    primary = options.defaultAlg ?? 'ES256';
    const file = join(options.dir, 'keystore.json');
    const loaded = await loadOrCreateState(file, deps.now());
    state = loaded.state;
    if (loaded.created) deps.log?.info({ dir: options.dir }, 'generated development keys');
    persist = (next) => saveState(file, next);
    adapterKeyPair = adapterKeyPairs(options.dir, deps.now);
  } else {
    const ext = await loadExternal(options, deps);
    const [current] = ext.sealKeys;
    if (current === undefined) throw keysError('ERR_KEYS_FILE', 'no seal key');
    if (ext.pepper === undefined) {
      deps.log?.warn(
        'no pepper configured: derived from the seal key, so replacing the seal key changes pseudonymous ids',
      );
    }
    state = {
      signing: ext.signing,
      sealKeys: ext.sealKeys,
      cookieKeys: ext.cookieKeys ?? [Buffer.from(deriveFromSealKey(current, 'cookie')).toString('base64url')],
      pepper: ext.pepper ?? deriveFromSealKey(current, 'pepper'),
    };
    adapterKeyPair = adapterKeyPairs(options.dir, deps.now, {
      supplied: ext.adapterKeys,
      field: ext.adapterKeysField,
      pepper: state.pepper,
      production: deps.env?.NODE_ENV === 'production',
      log: deps.log,
    });
  }

  // Mutations run one after another so rotate/prune never lose each other's writes.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const ordered = () => orderEntries(state.signing, primary);
  const external = (): GatewayError =>
    keysError(
      'ERR_KEYS_EXTERNAL',
      options.source === 'env'
        ? 'keys are managed outside the gateway; rotate by replacing the environment variables'
        : 'keys are managed outside the gateway; rotate by replacing the files',
    );

  const prune = (): Promise<string[]> =>
    serial(async () => {
      if (persist === undefined) return [];
      const { kept, dropped } = pruneEntries(state.signing, deps.now(), windowMs);
      if (dropped.length > 0) {
        const next = { ...state, signing: kept };
        await persist(next);
        state = next;
        deps.log?.info({ kids: dropped }, 'pruned retired signing keys');
      }
      return dropped;
    });

  const store: KeyStore = {
    source: options.source,
    isDevOnly: options.source === 'generate',
    signingJwks: () => ({ keys: privateJwks(ordered()) }),
    publicJwks: () => ({ keys: publicJwks(ordered()) }),
    signingKeyInfo: () => describeEntries(ordered()),
    sealKey: () => {
      const [current] = state.sealKeys;
      if (current === undefined) throw keysError('ERR_KEYS_STATE', 'no seal key');
      return { keyId: current.keyId, key: current.key.slice() };
    },
    previousSealKeys: () => state.sealKeys.slice(1).map((k) => ({ keyId: k.keyId, key: k.key.slice() })),
    cookieKeys: () => [...state.cookieKeys],
    pepper: () => state.pepper.slice(),
    adapterKeyPair,
    rotate: (rotateOptions) =>
      serial(async () => {
        if (persist === undefined) throw external();
        const alg = rotateOptions?.alg ?? primary;
        const next: GeneratedState = {
          ...state,
          signing: rotateEntries(state.signing, await generateSigningJwk(alg), deps.now()),
        };
        await persist(next);
        state = next;
        const newKid = next.signing[0]!.jwk.kid;
        const retiring = next.signing.filter((e) => e.status === 'retiring').map((e) => e.jwk.kid);
        deps.log?.info({ newKid, retiring, alg }, 'rotated signing key');
        return { newKid, retiring };
      }),
    prune,
  };
  await prune();
  return store;
}
