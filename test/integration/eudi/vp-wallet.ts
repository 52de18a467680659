/**
 * The test wallet's OpenID4VP 1.0 side: read the request from the verifier's page (openid4vp:// link),
 * fetch and check the signed request object (x509_hash client id), present with @sd-jwt/sd-jwt-vc what the
 * DCQL query asks for — or an mdoc with @auth0/mdl (test/helpers/mdoc-peer.ts) for one of the query's
 * `mso_mdoc` alternatives, over the OpenID4VP 1.0 SessionTranscript — and answer by direct_post or
 * direct_post.jwt (ECDH-ES to the request's key).
 */
import { createHash } from 'node:crypto';
import { cborDecode } from '@animo-id/mdoc';
import { CompactEncrypt, calculateJwkThumbprint, importJWK, importX509, type JWK, jwtVerify } from 'jose';
import { z } from 'zod';
import { openid4vpSessionTranscript, presentMdoc } from '../../helpers/mdoc-peer.js';
import type { TestWallet } from './wallet.js';

const requestSchema = z
  .object({
    client_id: z.string(),
    response_type: z.literal('vp_token'),
    response_mode: z.enum(['direct_post', 'direct_post.jwt']),
    response_uri: z.string(),
    nonce: z.string(),
    state: z.string(),
    dcql_query: z.object({
      credentials: z
        .array(
          z
            .object({
              id: z.string(),
              format: z.string(),
              meta: z.object({
                vct_values: z.array(z.string()).optional(),
                doctype_value: z.string().optional(),
              }),
              claims: z.array(z.object({ id: z.string(), path: z.array(z.string()) })),
            })
            .loose(),
        )
        .min(1),
      credential_sets: z
        .array(z.object({ options: z.array(z.array(z.string())), required: z.boolean().optional() }))
        .optional(),
    }),
    client_metadata: z
      .object({ jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional() })
      .loose(),
  })
  .loose();
export type VpRequest = z.infer<typeof requestSchema>;

/**
 * Resolve the `openid4vp://` request on the verifier's waiting page into a checked request: the QR code's
 * (cross-device; the page carries its text in `data-request`) or the same-device link's.
 */
export async function fetchVpRequest(
  pageBody: string,
  flow: 'cross-device' | 'same-device' = 'cross-device',
): Promise<VpRequest> {
  const pattern = flow === 'same-device' ? /id="vp-link" href="([^"]+)"/ : /data-request="([^"]+)"/;
  const href = pattern.exec(pageBody)?.[1]?.replace(/&amp;/g, '&');
  if (!href) throw new Error(`no openid4vp ${flow} request on the page`);
  const link = new URL(href);
  const res = await fetch(link.searchParams.get('request_uri')!);
  if (!res.ok) throw new Error(`request_uri: ${res.status}`);
  const jwt = await res.text();
  const header = JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as {
    x5c: string[];
    typ: string;
  };
  const leaf = header.x5c[0]!;
  const key = await importX509(`-----BEGIN CERTIFICATE-----\n${leaf}\n-----END CERTIFICATE-----`, 'ES256');
  const { payload } = await jwtVerify(jwt, key, { typ: 'oauth-authz-req+jwt', algorithms: ['ES256'] });
  const req = requestSchema.parse(payload);
  const expected = `x509_hash:${createHash('sha256').update(Buffer.from(leaf, 'base64')).digest('base64url')}`;
  if (req.client_id !== expected || link.searchParams.get('client_id') !== expected)
    throw new Error('client_id does not match the request signer');
  return req;
}

const ADDRESS_MEMBERS = ['formatted', 'country', 'region', 'locality', 'postal_code', 'street_address'];

/** The query's SD-JWT VC credential query. */
export function sdJwtQuery(req: VpRequest) {
  const q = req.dcql_query.credentials.find((c) => c.format === 'dc+sd-jwt');
  if (!q) throw new Error('no dc+sd-jwt credential query');
  return q;
}

/** The query's `mso_mdoc` credential query for `docType`. */
export function mdocQuery(req: VpRequest, docType: string) {
  const q = req.dcql_query.credentials.find(
    (c) => c.format === 'mso_mdoc' && c.meta.doctype_value === docType,
  );
  if (!q) throw new Error(`no mso_mdoc credential query for ${docType}`);
  return q;
}

/** The presentation frame for the query's claims. */
export function frameFor(req: VpRequest): Record<string, unknown> {
  const frame: Record<string, unknown> = {};
  for (const c of sdJwtQuery(req).claims) {
    const name = c.path[0]!;
    if (name === 'address') frame.address = Object.fromEntries(ADDRESS_MEMBERS.map((m) => [m, true]));
    else if (name === 'nationalities') frame.nationalities = { 0: true };
    else frame[name] = true;
  }
  return frame;
}

export interface Answer {
  /** Override the presentation (forgeries). */
  presentation?: string;
  nonce?: string;
  aud?: string;
  state?: string;
}

/** Build the vp_token for `req` from `credential` and post it; returns the response endpoint's answer. */
export async function answer(
  wallet: TestWallet,
  req: VpRequest,
  credential: string,
  a: Answer = {},
): Promise<{ status: number; body: { error?: string; error_description?: string }; presentation: string }> {
  const presentation =
    a.presentation ??
    (await wallet.presentFrame(credential, frameFor(req), {
      nonce: a.nonce ?? req.nonce,
      aud: a.aud ?? req.client_id,
    }));
  return post(req, presentation, a.state ?? req.state);
}

export interface MdocAnswer {
  /** Override the transcript's parts (forgeries). */
  nonce?: string;
  clientId?: string;
  responseUri?: string;
  /** Sign with this key instead of the holder key (forgeries). */
  devicePrivateJwk?: JWK;
  /** Post under this credential query id (default: the query for the docType). */
  queryId?: string;
}

/** Element identifiers of `namespace` in a base64url IssuerSigned (the wallet discloses only what it holds). */
function heldElements(credential: string, namespace: string): Set<string> {
  const issuerSigned = cborDecode(Buffer.from(credential, 'base64url')) as Map<string, unknown>;
  const items = (issuerSigned.get('nameSpaces') as Map<string, { data: Map<string, unknown> }[]>).get(
    namespace,
  );
  return new Set((items ?? []).map((i) => String(i.data.get('elementIdentifier'))));
}

/**
 * An mdoc answer to the query's `mso_mdoc` alternative for `docType`: a DeviceResponse with the held elements
 * the query asks for, signed over the OpenID4VP 1.0 SessionTranscript (client_id, nonce, the thumbprint of
 * the response encryption key for direct_post.jwt, response_uri); posted under that query's id.
 */
export async function answerMdoc(
  req: VpRequest,
  credential: string,
  holderPrivateJwk: JWK,
  docType: string,
  a: MdocAnswer = {},
) {
  const q = mdocQuery(req, docType);
  const namespace = q.claims[0]!.path[0]!;
  const held = heldElements(credential, namespace);
  const elements = q.claims.map((c) => c.path[1]!).filter((e) => held.has(e));
  const encKey =
    req.response_mode === 'direct_post.jwt' ? (req.client_metadata.jwks!.keys[0]! as JWK) : undefined;
  const thumbprint = encKey
    ? new Uint8Array(Buffer.from(await calculateJwkThumbprint(encKey, 'sha256'), 'base64url'))
    : null;
  const transcript = openid4vpSessionTranscript(
    a.clientId ?? req.client_id,
    a.nonce ?? req.nonce,
    thumbprint,
    a.responseUri ?? req.response_uri,
  );
  const encoded = await presentMdoc(
    credential,
    docType,
    namespace,
    elements,
    a.devicePrivateJwk ?? holderPrivateJwk,
    { sessionTranscriptBytes: transcript },
  );
  const presentation = Buffer.from(encoded).toString('base64url');
  return { ...(await post(req, presentation, req.state, a.queryId ?? q.id)), elements };
}

export async function post(
  req: VpRequest,
  presentation: string,
  state = req.state,
  queryId = sdJwtQuery(req).id,
) {
  const body = { vp_token: { [queryId]: [presentation] }, state };
  let form: URLSearchParams;
  if (req.response_mode === 'direct_post.jwt') {
    const jwk = req.client_metadata.jwks!.keys[0]! as JWK;
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(body)))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128GCM', kid: String(jwk.kid) })
      .encrypt(await importJWK(jwk, 'ECDH-ES'));
    form = new URLSearchParams({ response: jwe });
  } else {
    form = new URLSearchParams({ vp_token: JSON.stringify(body.vp_token), state });
  }
  return { ...(await postForm(req, form)), presentation };
}

/** POST a form as it is to the response endpoint (forgeries). */
export async function postForm(req: VpRequest, form: URLSearchParams | string) {
  const res = await fetch(req.response_uri, {
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  return { status: res.status, body: (await res.json()) as { error?: string; error_description?: string } };
}
