/**
 * Verify an SD-JWT VC presentation (SD-JWT+KB) as an OpenID4VP verifier: RFC 9901 §7 and SD-JWT VC §3.
 * Order: algorithm allow-list, issuer trust (x5c chain to the trust list), issuer signature, type and
 * validity, disclosures, key binding (signature by cnf.jwk, nonce, aud, iat window, sd_hash), status list.
 * Every failure is a GatewayError with its own ERR_EUDI_* code (errors.ts).
 */
import {
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { z } from 'zod';
import { eudiError } from '../errors.js';
import { sha256b64u, splitPresentation, statusListOf, unpackDisclosures } from '../sd-jwt.js';
import type { ResolvedIssuer, TrustList } from './trust-list.js';

/** Asymmetric algorithms only (HAIP: ES256); `none` and MACs never. */
export const ACCEPTED_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const SD_JWT_TYPS = new Set(['dc+sd-jwt', 'vc+sd-jwt']);

const issuerPayloadSchema = z
  .object({
    iss: z.string().min(1),
    vct: z.string().min(1),
    iat: z.number().optional(),
    nbf: z.number().optional(),
    exp: z.number(),
    cnf: z.object({ jwk: z.record(z.string(), z.unknown()) }),
    status: z
      .object({ status_list: z.object({ idx: z.number().int().nonnegative(), uri: z.url() }) })
      .optional(),
  })
  .loose();

const kbPayloadSchema = z
  .object({ iat: z.number(), aud: z.string(), nonce: z.string(), sd_hash: z.string() })
  .loose();

export interface VerifyPresentationInput {
  readonly presentation: string;
  readonly trustList: TrustList;
  /** The nonce of this authorization request. */
  readonly nonce: string;
  /** The verifier's full client_id including its prefix, e.g. `x509_san_dns:gw.example` (OpenID4VP §8.6). */
  readonly audience: string;
  readonly nowSeconds: number;
  /** Fetch a status list token by URI (may cache within its `ttl`). */
  readonly fetchStatusList: (uri: string) => Promise<string>;
  /** Accepted credential types (intersected with the issuer's trust list entry). */
  readonly vcts: readonly string[];
  readonly skewSeconds?: number;
  /** Maximum age of the key binding JWT. */
  readonly kbMaxAgeSeconds?: number;
}

export interface VerifiedPresentation {
  readonly issuer: ResolvedIssuer;
  readonly iss: string;
  readonly vct: string;
  /** Disclosed claims plus the always-visible ones (iss, vct, exp …). */
  readonly claims: Record<string, unknown>;
  readonly holderJwk: JWK;
}

function jwsAlg(jwt: string): { alg: string; typ?: unknown; x5c?: unknown } {
  try {
    const h = decodeProtectedHeader(jwt);
    if (typeof h.alg !== 'string') throw new Error('no alg');
    return { alg: h.alg, typ: h.typ, x5c: h.x5c };
  } catch (cause) {
    throw eudiError('ERR_EUDI_MALFORMED', { cause });
  }
}

function allowed(alg: string): boolean {
  return (ACCEPTED_ALGS as readonly string[]).includes(alg);
}

export async function verifyPresentation(input: VerifyPresentationInput): Promise<VerifiedPresentation> {
  const skew = input.skewSeconds ?? 60;
  const now = input.nowSeconds;
  let parts: ReturnType<typeof splitPresentation>;
  try {
    parts = splitPresentation(input.presentation);
  } catch (cause) {
    throw eudiError('ERR_EUDI_MALFORMED', { cause });
  }
  const header = jwsAlg(parts.jwt);
  if (!allowed(header.alg)) throw eudiError('ERR_EUDI_ALG_NOT_ALLOWED');
  if (typeof header.typ !== 'string' || !SD_JWT_TYPS.has(header.typ)) throw eudiError('ERR_EUDI_MALFORMED');

  const issuer = await input.trustList.resolve(header.x5c, header.alg, now);
  let rawPayload: unknown;
  try {
    const { payload } = await compactVerify(parts.jwt, issuer.key, { algorithms: [header.alg] });
    rawPayload = JSON.parse(new TextDecoder().decode(payload));
  } catch (cause) {
    throw eudiError('ERR_EUDI_ISSUER_SIGNATURE', { cause });
  }
  const parsed = issuerPayloadSchema.safeParse(rawPayload);
  if (!parsed.success) throw eudiError('ERR_EUDI_MALFORMED', { cause: parsed.error });
  const p = parsed.data;
  if (issuer.issuer !== undefined && p.iss !== issuer.issuer) throw eudiError('ERR_EUDI_UNTRUSTED_ISSUER');
  if (!issuer.vcts.includes(p.vct) || !input.vcts.includes(p.vct)) throw eudiError('ERR_EUDI_VCT');
  if (p.exp + skew < now) throw eudiError('ERR_EUDI_EXPIRED');
  if ((p.nbf ?? 0) - skew > now || (p.iat ?? 0) - skew > now) throw eudiError('ERR_EUDI_NOT_YET_VALID');

  const unpacked = unpackDisclosures(rawPayload as Record<string, unknown>, parts.disclosures);
  if (!unpacked.ok) {
    throw eudiError(
      unpacked.reason === 'unreferenced'
        ? 'ERR_EUDI_DISCLOSURE_UNREFERENCED'
        : unpacked.reason === 'duplicate'
          ? 'ERR_EUDI_DISCLOSURE_DUPLICATE'
          : 'ERR_EUDI_DISCLOSURE_MALFORMED',
    );
  }

  const holderJwk = p.cnf.jwk as JWK;
  await verifyKeyBinding(parts.kbJwt, parts.withoutKb, holderJwk, input, skew);
  if (p.status) await checkStatus(p.status.status_list, issuer, input);

  return { issuer, iss: p.iss, vct: p.vct, claims: unpacked.claims, holderJwk };
}

/**
 * Imported holder keys (`cnf.jwk`), by algorithm and the whole JWK as signed by the issuer (every member,
 * so a JWK that differs in anything, `x`, `y`, `crv`, `d`, `alg`, `use` …, is imported again and checked by
 * jose as before): the import (point decoding and validation) costs about as much as a signature check, and
 * a wallet that presents one credential again presents the same key. The key is what is cached, never a
 * verdict: every key binding JWT is verified.
 */
const holderKeys = new Map<string, CryptoKey>();
const MAX_HOLDER_KEYS = 1024;

async function holderKey(jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
  const id = `${alg} ${JSON.stringify(jwk)}`;
  const hit = holderKeys.get(id);
  if (hit) return hit;
  const key = await importHolderJwk(jwk, alg);
  if (key instanceof Uint8Array) return key;
  if (holderKeys.size >= MAX_HOLDER_KEYS) holderKeys.delete(holderKeys.keys().next().value!);
  holderKeys.set(id, key);
  return key;
}

/** The curve and coordinate length (bytes) of each ECDSA algorithm. */
const EC_CURVES: Readonly<Record<string, { readonly crv: string; readonly bytes: number }>> = {
  ES256: { crv: 'P-256', bytes: 32 },
  ES384: { crv: 'P-384', bytes: 48 },
  ES512: { crv: 'P-521', bytes: 66 },
};

/**
 * A public EC JWK of exactly `kty`, `crv`, `x`, `y` (what HAIP wallets and our issuer put in `cnf`), its
 * curve the algorithm's, each coordinate the curve's length in canonical base64url, is imported from its
 * uncompressed point (SEC1 `04 || x || y`): WebCrypto validates the point as for a JWK import, and on
 * Node 20 this costs about half of a JWK import. Any other JWK goes through jose's importJWK and its checks.
 */
async function importHolderJwk(jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
  const ec = EC_CURVES[alg];
  const { kty, crv, x, y } = jwk;
  if (
    ec &&
    kty === 'EC' &&
    crv === ec.crv &&
    typeof x === 'string' &&
    typeof y === 'string' &&
    Object.keys(jwk).length === 4
  ) {
    const xb = Buffer.from(x, 'base64url');
    const yb = Buffer.from(y, 'base64url');
    if (
      xb.length === ec.bytes &&
      yb.length === ec.bytes &&
      xb.toString('base64url') === x &&
      yb.toString('base64url') === y
    ) {
      const point = Buffer.concat([Buffer.of(4), xb, yb]);
      return crypto.subtle.importKey('raw', point, { name: 'ECDSA', namedCurve: ec.crv }, true, ['verify']);
    }
  }
  return importJWK(jwk, alg);
}

async function verifyKeyBinding(
  kbJwt: string | undefined,
  withoutKb: string,
  holderJwk: JWK,
  input: VerifyPresentationInput,
  skew: number,
): Promise<void> {
  if (!kbJwt) throw eudiError('ERR_EUDI_KB_MISSING');
  const h = jwsAlg(kbJwt);
  if (!allowed(h.alg)) throw eudiError('ERR_EUDI_ALG_NOT_ALLOWED');
  if (h.typ !== 'kb+jwt') throw eudiError('ERR_EUDI_KB_INVALID');
  let payload: unknown;
  try {
    const key = await holderKey(holderJwk, h.alg);
    // Signature only; the claims are checked below, each with its own code.
    const verified = await compactVerify(kbJwt, key, { algorithms: [h.alg] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch (cause) {
    // DOMException: WebCrypto refused the holder key (e.g. a point not on the curve).
    if (cause instanceof joseErrors.JOSEError || cause instanceof TypeError || cause instanceof DOMException)
      throw eudiError('ERR_EUDI_KB_SIGNATURE', { cause });
    throw cause;
  }
  const kb = kbPayloadSchema.safeParse(payload);
  if (!kb.success) throw eudiError('ERR_EUDI_KB_INVALID', { cause: kb.error });
  if (kb.data.nonce !== input.nonce) throw eudiError('ERR_EUDI_KB_NONCE');
  if (kb.data.aud !== input.audience) throw eudiError('ERR_EUDI_KB_AUDIENCE');
  const maxAge = input.kbMaxAgeSeconds ?? 300;
  if (kb.data.iat > input.nowSeconds + skew || kb.data.iat < input.nowSeconds - maxAge)
    throw eudiError('ERR_EUDI_KB_IAT');
  if (kb.data.sd_hash !== sha256b64u(withoutKb)) throw eudiError('ERR_EUDI_KB_SD_HASH');
}

const statusPayloadSchema = z
  .object({ sub: z.string(), iat: z.number(), exp: z.number().optional() })
  .loose();

/** A status list token that verified: its signer's trust entry, `sub`, `exp` and the decoded list. */
interface CheckedStatusList {
  readonly entry: number;
  readonly sub: string;
  readonly exp?: number;
  readonly at: (idx: number) => number;
}

/**
 * Verified status list tokens per trust list, by token: a verifier reuses a fetched list for many
 * presentations, and decoding a list (thousands of entries) costs more than the rest of a verification.
 * Expiry and `sub` are checked again on every use; the issuer signature and trust once per token.
 */
const checkedLists = new WeakMap<TrustList, Map<string, CheckedStatusList>>();
const MAX_CHECKED_LISTS = 16;

async function checkStatusToken(token: string, input: VerifyPresentationInput): Promise<CheckedStatusList> {
  let byToken = checkedLists.get(input.trustList);
  const hit = byToken?.get(token);
  if (hit) return hit;
  const h = jwsAlg(token);
  if (!allowed(h.alg)) throw eudiError('ERR_EUDI_STATUS_UNAVAILABLE');
  const signer = await input.trustList.resolve(h.x5c, h.alg, input.nowSeconds).catch((cause: unknown) => {
    throw eudiError('ERR_EUDI_STATUS_UNAVAILABLE', { cause });
  });
  let checked: CheckedStatusList;
  try {
    // Signature and type here; `sub` and the time window per use below.
    const { payload } = await jwtVerify(token, signer.key, {
      algorithms: [h.alg],
      typ: 'statuslist+jwt',
      currentDate: new Date(input.nowSeconds * 1000),
    });
    const p = statusPayloadSchema.parse(payload);
    const list = statusListOf(token);
    checked = { entry: signer.entry, sub: p.sub, ...(p.exp !== undefined && { exp: p.exp }), at: list };
  } catch (cause) {
    throw eudiError('ERR_EUDI_STATUS_UNAVAILABLE', { cause });
  }
  if (!byToken) {
    byToken = new Map();
    checkedLists.set(input.trustList, byToken);
  }
  if (byToken.size >= MAX_CHECKED_LISTS) byToken.delete(byToken.keys().next().value!);
  byToken.set(token, checked);
  return checked;
}

/** Token Status List check; fails closed (no status, no login). The list must be signed by the same trust entry. */
async function checkStatus(
  ref: { idx: number; uri: string },
  issuer: ResolvedIssuer,
  input: VerifyPresentationInput,
): Promise<void> {
  let token: string;
  try {
    token = await input.fetchStatusList(ref.uri);
  } catch (cause) {
    throw eudiError('ERR_EUDI_STATUS_UNAVAILABLE', { cause });
  }
  const list = await checkStatusToken(token, input);
  if (list.entry !== issuer.entry || list.sub !== ref.uri) throw eudiError('ERR_EUDI_STATUS_UNAVAILABLE');
  if (list.exp !== undefined && list.exp <= input.nowSeconds) throw eudiError('ERR_EUDI_STATUS_UNAVAILABLE');
  let status: number;
  try {
    status = list.at(ref.idx);
  } catch (cause) {
    throw eudiError('ERR_EUDI_STATUS_UNAVAILABLE', { cause });
  }
  if (status !== 0) throw eudiError('ERR_EUDI_REVOKED');
}
