/**
 * The persisted state of the 'generate' key source: `<dir>/keystore.json`, mode 0600,
 * created on first start and reused afterwards.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import { createFileExclusive, readIfExists, writeFileAtomic } from './fs-atomic.js';
import { parseCookieKeys, parsePepper, parseSealKeys, type SealKey } from './secrets.js';
import { generateSigningJwk, normalizePrivateJwk, type SigningAlg } from './signing-jwk.js';
import type { SigningEntry } from './signing-set.js';

export interface GeneratedState {
  readonly signing: readonly SigningEntry[];
  /** Current first. */
  readonly sealKeys: readonly SealKey[];
  readonly cookieKeys: readonly string[];
  readonly pepper: Uint8Array;
}

const fileSchema = z.object({
  version: z.literal(1),
  signing: z.array(
    z.object({
      status: z.enum(['active', 'retiring']),
      createdAt: z.number(),
      retiredAt: z.number().optional(),
      jwk: z.unknown(),
    }),
  ),
  sealKeys: z.array(z.string()).min(1),
  cookieKeys: z.array(z.string()).min(1),
  pepper: z.string(),
});

const ALGS: readonly SigningAlg[] = ['ES256', 'RS256'];

function stateError(file: string, cause: unknown): GatewayError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new GatewayError('ERR_KEYS_STATE', `corrupt key state file ${file}${reason}`, {
    oauth: 'server_error',
    status: 500,
    redirectable: false,
    cause,
  });
}

function serialize(state: GeneratedState): string {
  return JSON.stringify(
    {
      version: 1,
      signing: state.signing.map((e) => ({
        status: e.status,
        createdAt: e.createdAt ?? 0,
        ...(e.retiredAt === undefined ? {} : { retiredAt: e.retiredAt }),
        jwk: e.jwk,
      })),
      sealKeys: state.sealKeys.map((k) => Buffer.from(k.key).toString('base64url')),
      cookieKeys: state.cookieKeys,
      pepper: Buffer.from(state.pepper).toString('base64url'),
    },
    null,
    2,
  );
}

async function parse(file: string, text: string): Promise<GeneratedState> {
  try {
    const raw = fileSchema.parse(JSON.parse(text));
    const signing = await Promise.all(
      raw.signing.map(async (e): Promise<SigningEntry> => {
        const jwk = await normalizePrivateJwk(e.jwk);
        return e.retiredAt === undefined
          ? { jwk, status: e.status, createdAt: e.createdAt }
          : { jwk, status: e.status, createdAt: e.createdAt, retiredAt: e.retiredAt };
      }),
    );
    return {
      signing,
      sealKeys: parseSealKeys(raw.sealKeys.join(',')),
      cookieKeys: parseCookieKeys(raw.cookieKeys.join(',')),
      pepper: parsePepper(raw.pepper),
    };
  } catch (e) {
    throw stateError(file, e);
  }
}

async function fresh(now: number): Promise<GeneratedState> {
  const signing = await Promise.all(
    ALGS.map(
      async (alg): Promise<SigningEntry> => ({
        jwk: await generateSigningJwk(alg),
        status: 'active',
        createdAt: now,
      }),
    ),
  );
  return {
    signing,
    sealKeys: parseSealKeys(randomBytes(32).toString('base64url')),
    cookieKeys: [randomBytes(32).toString('base64url')],
    pepper: new Uint8Array(randomBytes(32)),
  };
}

/** One active key per alg: a state written before an alg existed gets its key now. */
async function withActivePerAlg(state: GeneratedState, now: number): Promise<GeneratedState | undefined> {
  const missing = ALGS.filter(
    (alg) => !state.signing.some((e) => e.status === 'active' && e.jwk.alg === alg),
  );
  if (missing.length === 0) return undefined;
  const added = await Promise.all(
    missing.map(
      async (alg): Promise<SigningEntry> => ({
        jwk: await generateSigningJwk(alg),
        status: 'active',
        createdAt: now,
      }),
    ),
  );
  return { ...state, signing: [...added, ...state.signing] };
}

/** Read the state, creating it on first start (atomically, so two processes starting at once agree). */
export async function loadOrCreateState(
  file: string,
  now: number,
): Promise<{ state: GeneratedState; created: boolean }> {
  let text = await readIfExists(file);
  let created = false;
  if (text === undefined) {
    const body = serialize(await fresh(now));
    created = await createFileExclusive(file, body);
    text = created ? body : await readIfExists(file);
    if (text === undefined) throw stateError(file, new Error('vanished while being created'));
  }
  const state = await parse(file, text);
  const completed = await withActivePerAlg(state, now);
  if (completed === undefined) return { state, created };
  await saveState(file, completed);
  return { state: completed, created };
}

export async function saveState(file: string, state: GeneratedState): Promise<void> {
  await writeFileAtomic(file, serialize(state));
}
