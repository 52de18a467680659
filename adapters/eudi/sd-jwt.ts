/**
 * The one module that imports `@sd-jwt/*` (0.19): SD-JWT VC issuance, disclosure decoding and the Token
 * Status List encoding. Signatures are produced and checked by the callers (jose / node:crypto); this
 * module handles only what is SD-JWT specific (RFC 9901 disclosures, `_sd` digests, `sd_hash`).
 */
import { hash, randomFillSync } from 'node:crypto';
import { digest } from '@sd-jwt/crypto-nodejs';
import { splitSdJwt, unpackSync } from '@sd-jwt/decode';
import { getListFromStatusListJWT, StatusList } from '@sd-jwt/jwt-status-list';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import type { DisclosureData, DisclosureFrame } from '@sd-jwt/types';
import { Disclosure } from '@sd-jwt/utils';

/** Which claims are selectively disclosable: `true` for a whole claim, an object to recurse, a number list for array elements. */
export type SdSpec = { readonly [claim: string]: true | SdSpec | readonly number[] };

type Frame = DisclosureFrame<Record<string, unknown>>;

function toFrame(spec: SdSpec): Frame {
  const frame: Record<string, unknown> = {};
  const sd: string[] = [];
  for (const [name, s] of Object.entries(spec)) {
    if (s === true) sd.push(name);
    else {
      // Nested: the members (or array elements) are disclosable, and so is the claim as a whole.
      frame[name] = Array.isArray(s) ? { _sd: [...s] } : toFrame(s as SdSpec);
      sd.push(name);
    }
  }
  if (sd.length) frame._sd = sd;
  return frame as Frame;
}

export interface SignSdJwtVcInput {
  readonly claims: Record<string, unknown> & { vct: string };
  readonly sd: SdSpec;
  readonly header: Readonly<Record<string, unknown>> & { alg: string };
  /** Signs `<b64url header>.<b64url payload>`; returns the base64url signature. */
  readonly sign: (signingInput: string) => string | Promise<string>;
  /** Decoy digests per `_sd` array is not used: PID claim counts are not secret enough to warrant it. */
}

const SALT_BYTES = 16;
const saltPool = Buffer.alloc(SALT_BYTES * 256);
let saltOffset = saltPool.length;

/**
 * A disclosure salt: 128 bits from the CSPRNG, base64url (RFC 9901 §9.3 recommends at least 128 bits;
 * `generateSalt(16)` of @sd-jwt/crypto-nodejs returns 16 hex digits, 64 bits). Drawn from a buffer refilled by
 * one `randomFillSync` every 256 salts instead of one `randomBytes` call per disclosure; every byte is used
 * once and zeroed when taken.
 */
export function disclosureSalt(): string {
  if (saltOffset === saltPool.length) {
    randomFillSync(saltPool);
    saltOffset = 0;
  }
  const end = saltOffset + SALT_BYTES;
  const salt = saltPool.toString('base64url', saltOffset, end);
  saltPool.fill(0, saltOffset, end);
  saltOffset = end;
  return salt;
}

/** One library instance per signing function (the issuer's signer lives as long as the process). */
const instances = new WeakMap<SignSdJwtVcInput['sign'], { alg: string; instance: SDJwtVcInstance }>();

function issuerInstance(sign: SignSdJwtVcInput['sign'], alg: string): SDJwtVcInstance {
  const hit = instances.get(sign);
  if (hit?.alg === alg) return hit.instance;
  const instance = new SDJwtVcInstance({
    signer: sign,
    signAlg: alg,
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: disclosureSalt,
  });
  instances.set(sign, { alg, instance });
  return instance;
}

/** Issue an SD-JWT VC (`typ: dc+sd-jwt`) and return its compact serialisation `<jwt>~<d1>~…~`. */
export async function signSdJwtVc(input: SignSdJwtVcInput): Promise<string> {
  const { alg, ...header } = input.header;
  return issuerInstance(input.sign, alg).issue(input.claims, toFrame(input.sd), { header });
}

export interface SplitPresentation {
  readonly jwt: string;
  readonly disclosures: readonly string[];
  /** Undefined when the serialisation ends with `~` (no key binding). */
  readonly kbJwt?: string;
  /** `<jwt>~<d1>~…~<dn>~`: the input of `sd_hash`. */
  readonly withoutKb: string;
}

export function splitPresentation(compact: string): SplitPresentation {
  const { jwt, disclosures, kbJwt } = splitSdJwt(compact);
  const withoutKb = `${[jwt, ...disclosures].join('~')}~`;
  return { jwt, disclosures, ...(kbJwt && { kbJwt }), withoutKb };
}

/** base64url(SHA-256(x)), the `_sd_alg` we accept and `sd_hash` (RFC 9901 §4.3.1); node:crypto's one-shot hash. */
export function sha256b64u(data: string): string {
  return hash('sha256', data, 'base64url');
}

export type UnpackResult =
  | { readonly ok: true; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly reason: 'malformed' | 'unreferenced' | 'duplicate' };

const RESERVED_NAMES = new Set(['_sd', '...', '_sd_alg']);

/**
 * Resolve disclosures against the signed payload (RFC 9901 §7.1 steps 3–5): every disclosure must be
 * well-formed, referenced exactly once by a digest reachable from the payload, and must not use a reserved
 * claim name. The library resolves referenced disclosures; the checks it leaves out are done here.
 * Synchronous: each disclosure is hashed once (node:crypto, over the exact string received) and decoded
 * once (base64url, JSON), and the library's `unpackSync` reuses that digest instead of hashing again.
 */
export function unpackDisclosures(
  payload: Record<string, unknown>,
  encoded: readonly string[],
): UnpackResult {
  if (payload._sd_alg !== undefined && payload._sd_alg !== 'sha-256')
    return { ok: false, reason: 'malformed' };
  const digests = new Set<string>();
  const decoded: Disclosure[] = [];
  for (const e of encoded) {
    const h = sha256b64u(e);
    let d: Disclosure;
    try {
      const item: unknown = JSON.parse(Buffer.from(e, 'base64url').toString('utf8'));
      if (!Array.isArray(item)) return { ok: false, reason: 'malformed' };
      d = Disclosure.fromArray(item as DisclosureData<unknown>, { digest: h, encoded: e });
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof d.salt !== 'string' || (d.key !== undefined && typeof d.key !== 'string'))
      return { ok: false, reason: 'malformed' };
    if (d.key !== undefined && RESERVED_NAMES.has(d.key)) return { ok: false, reason: 'malformed' };
    if (digests.has(h)) return { ok: false, reason: 'duplicate' };
    digests.add(h);
    decoded.push(d);
  }
  const seen: string[] = [];
  collectDigests(payload, seen);
  if (new Set(seen).size !== seen.length) return { ok: false, reason: 'duplicate' };
  let result: ReturnType<typeof unpackSync>;
  try {
    // The decoded disclosures keep their digest: the library does not decode or hash them again.
    result = unpackSync(payload, decoded, digest);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const referenced = new Set(Object.values(result.disclosureKeymap));
  for (const h of digests) if (!referenced.has(h)) return { ok: false, reason: 'unreferenced' };
  return { ok: true, claims: result.unpackedObj as Record<string, unknown> };
}

/** Digests in the signed payload (`_sd` entries and `{"...": d}` array elements). */
function collectDigests(node: unknown, out: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collectDigests(item, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '_sd' && Array.isArray(v)) for (const d of v) if (typeof d === 'string') out.push(d);
    if (k === '...' && typeof v === 'string') out.push(v);
    collectDigests(v, out);
  }
}

/** A 1-bit Token Status List (draft-ietf-oauth-status-list): 0 = valid, 1 = invalid. */
export function compressStatusBits(bits: readonly number[]): string {
  return new StatusList([...bits], 1).compressStatusList();
}

export function decompressStatusBits(lst: string, size: number): number[] {
  const list = StatusList.decompressStatusList(lst, 1);
  return Array.from({ length: size }, (_, i) => list.getStatus(i));
}

/** The decoded list of a status list token, for many lookups (signature checked by the caller). */
export function statusListOf(statusListJwt: string): (idx: number) => number {
  const list = getListFromStatusListJWT(statusListJwt);
  return (idx) => list.getStatus(idx);
}
