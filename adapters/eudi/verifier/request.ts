/**
 * OpenID4VP 1.0 authorization requests of the verifier source: a DCQL query for the PID attributes the
 * relying party asked for (§6), a signed request object by reference (`request_uri`, JAR RFC 9101, typ
 * `oauth-authz-req+jwt`), client identifier prefix `x509_hash` (§5.9.3: base64url SHA-256 of the DER
 * leaf certificate in the `x5c` header), and for `direct_post.jwt` an ephemeral ECDH-ES key in
 * `client_metadata.jwks` (§8.3) the response is encrypted to.
 */
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { z } from 'zod';
import type { PersonAttribute } from '../../../src/core/identity.js';
import { PID_NAMESPACE } from '../issuer/mdoc.js';
import { PID_MDOC_ELEMENTS_BY_ATTRIBUTE, PID_PATHS_BY_ATTRIBUTE } from '../pid-claims.js';
import { ACCEPTED_ALGS } from './verify-presentation.js';

/** Claims every login needs: the subject pseudonym is derived from them (to-identity.ts). */
const BASE_PATHS: readonly (readonly string[])[] = [['family_name'], ['given_name'], ['birthdate']];
/** Our own credentials carry kanji and kana names as language-tagged claims; asked for optionally. */
const TAGGED_PATHS: readonly (readonly string[])[] = [
  ['family_name#ja-Jpan-JP'],
  ['family_name#ja-Kana-JP'],
  ['given_name#ja-Jpan-JP'],
  ['given_name#ja-Kana-JP'],
];
export const DCQL_CREDENTIAL_ID = 'pid';
/** mdoc elements every login needs (the subject pseudonym is derived from them). */
export const MDOC_BASE_ELEMENTS = ['family_name', 'given_name', 'birth_date'] as const;
/** Address details the wallet may lack: asked for, but a credential without them still matches. */
const MDOC_OPTIONAL_ELEMENTS = new Set([
  'resident_state',
  'resident_city',
  'resident_postal_code',
  'resident_street',
]);

export interface MdocQuery {
  /** DCQL credential query id (`pid_mdoc_<i>`, i = position of the docType in the requested list). */
  readonly id: string;
  readonly docType: string;
}

/** The mdoc credential queries, one per docType (DCQL `meta.doctype_value` is a single value). */
export function mdocQueries(doctypes: readonly string[]): MdocQuery[] {
  return doctypes.map((docType, i) => ({ id: `pid_mdoc_${i}`, docType }));
}

/** The PID namespace elements asked for (base elements first); the verifier uses no others. */
export function mdocElements(attributes: readonly PersonAttribute[]): string[] {
  const out = new Set<string>(MDOC_BASE_ELEMENTS);
  for (const a of attributes)
    for (const e of PID_MDOC_ELEMENTS_BY_ATTRIBUTE[a] ?? [])
      if (e !== 'birth_family_name' && e !== 'birth_given_name') out.add(e);
  return [...out];
}

function mdocCredentialQuery(q: MdocQuery, attributes: readonly PersonAttribute[]) {
  const elements = mdocElements(attributes);
  const claims = elements.map((e, i) => ({ id: `m${i}`, path: [PID_NAMESPACE, e], intent_to_retain: false }));
  const required = claims.filter((c) => !MDOC_OPTIONAL_ELEMENTS.has(c.path[1]!)).map((c) => c.id);
  return {
    id: q.id,
    format: 'mso_mdoc',
    meta: { doctype_value: q.docType },
    claims,
    ...(required.length < claims.length && { claim_sets: [claims.map((c) => c.id), required] }),
  };
}

/**
 * The DCQL query: one SD-JWT VC of an accepted type with the required claims (tagged names if present),
 * and, when `doctypes` is not empty, as alternatives (`credential_sets` with one option per query, so the
 * wallet sends exactly one credential) an mdoc of each docType with the PID namespace elements.
 */
export function dcqlQuery(
  vcts: readonly string[],
  attributes: readonly PersonAttribute[],
  doctypes: readonly string[] = [],
) {
  const key = (p: readonly string[]) => p.join('/');
  const required = new Map<string, readonly string[]>();
  for (const p of [...BASE_PATHS, ...attributes.flatMap((a) => PID_PATHS_BY_ATTRIBUTE[a] ?? [])])
    if (p[0] !== 'birth_family_name' && p[0] !== 'birth_given_name') required.set(key(p), p);
  const ids = new Map<string, string>();
  const claims = [...required.values(), ...TAGGED_PATHS].map((path, i) => {
    ids.set(key(path), `c${i}`);
    return { id: `c${i}`, path: [...path] };
  });
  const base = [...required.keys()].map((k) => ids.get(k)!);
  const mdoc = mdocQueries(doctypes);
  return {
    credentials: [
      {
        id: DCQL_CREDENTIAL_ID,
        format: 'dc+sd-jwt',
        meta: { vct_values: [...vcts] },
        claims,
        // Preferred first: with the tagged names; otherwise the required claims alone.
        claim_sets: [[...base, ...TAGGED_PATHS.map((p) => ids.get(key(p))!)], base],
      },
      ...mdoc.map((q) => mdocCredentialQuery(q, attributes)),
    ],
    ...(mdoc.length > 0 && {
      credential_sets: [{ options: [[DCQL_CREDENTIAL_ID], ...mdoc.map((q) => [q.id])], required: true }],
    }),
  };
}

export const transactionSchema = z
  .object({
    uid: z.string(),
    nonce: z.string(),
    exp: z.number(),
    attributes: z.array(z.string()),
    responseMode: z.enum(['direct_post.jwt', 'direct_post']),
    /** Ephemeral ECDH-ES private key (direct_post.jwt); the transaction lives in the sealed store. */
    encJwk: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type Transaction = z.infer<typeof transactionSchema>;

export async function ephemeralEncryptionKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID() };
}

/** `x509_hash:<base64url(SHA-256(DER leaf))>` */
export function x509HashClientId(x5c: readonly string[]): string {
  return `x509_hash:${createHash('sha256').update(Buffer.from(x5c[0]!, 'base64')).digest('base64url')}`;
}

export interface RequestObjectInput {
  readonly clientId: string;
  readonly x5c: readonly string[];
  readonly privateJwk: JWK;
  readonly responseUri: string;
  readonly state: string;
  readonly tx: Transaction;
  readonly vcts: readonly string[];
  /** mdoc docTypes asked for as alternatives (already intersected with the trust list). */
  readonly doctypes?: readonly string[];
  readonly nowSeconds: number;
}

/** COSE algorithm identifiers (RFC 9053) of ACCEPTED_ALGS, for `vp_formats_supported.mso_mdoc`. */
const COSE_ALGS = [-7, -35, -36, -8];

export async function signRequestObject(i: RequestObjectInput): Promise<string> {
  const { d: _d, ...encPublic } = (i.tx.encJwk ?? {}) as JWK;
  return new SignJWT({
    client_id: i.clientId,
    response_type: 'vp_token',
    response_mode: i.tx.responseMode,
    response_uri: i.responseUri,
    nonce: i.tx.nonce,
    state: i.state,
    dcql_query: dcqlQuery(i.vcts, i.tx.attributes as PersonAttribute[], i.doctypes),
    client_metadata: {
      ...(i.tx.encJwk && {
        jwks: { keys: [{ ...encPublic, use: 'enc', alg: 'ECDH-ES' }] },
        encrypted_response_enc_values_supported: ['A128GCM', 'A256GCM'],
      }),
      vp_formats_supported: {
        'dc+sd-jwt': { 'sd-jwt_alg_values': [...ACCEPTED_ALGS], 'kb-jwt_alg_values': [...ACCEPTED_ALGS] },
        ...(i.doctypes?.length && {
          mso_mdoc: { issuerauth_alg_values: COSE_ALGS, deviceauth_alg_values: COSE_ALGS },
        }),
      },
    },
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'oauth-authz-req+jwt', x5c: [...i.x5c] })
    .setAudience('https://self-issued.me/v2')
    .setIssuedAt(i.nowSeconds)
    .setExpirationTime(i.tx.exp)
    .sign(await importJWK(i.privateJwk, 'ES256'));
}
