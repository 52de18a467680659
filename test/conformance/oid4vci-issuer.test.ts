/**
 * OpenID for Verifiable Credential Issuance 1.0 (Final) issuer conformance, reproduced from the OIDF
 * oid4vci-1_0-issuer-test-plan (/work/shared/reference/oidf/VCIIssuerTestPlan.txt): one test per module,
 * named by the module id, against a real gateway over HTTP. The emulated wallet is the integration test
 * wallet (test/integration/eudi/wallet.ts, openid-client as a public client with PKCE and DPoP) driven as the
 * OIDF wallet drives it: PAR, unknown JSON members sprinkled into the requests (oid4vci-support.ts).
 * Credentials are checked with @sd-jwt/sd-jwt-vc as the independent verifier.
 *
 * Module                                                  | Applies | Why / what we check
 * ------------------------------------------------------- | ------- | ------------------------------------------
 * oid4vci-1_0-issuer-metadata-test                        | yes     | unsigned JSON metadata, AS metadata
 * oid4vci-1_0-issuer-metadata-test-signed                 | no      | we publish no signed_metadata (skip condition checked)
 * oid4vci-1_0-issuer-happy-flow                           | yes     | PAR + DPoP + nonce + proof; unknown members ignored;
 *                                                         |         | no notification_endpoint, so no notification is sent;
 *                                                         |         | also the pre-authorized_code grant and the mdoc
 * oid4vci-1_0-issuer-happy-flow-additional-requests       | yes     | x-fapi-customer-ip-address (IPv6), UTF-8 JSON Accept,
 *                                                         |         | permissive Accept: each a fresh 200
 * oid4vci-1_0-issuer-happy-flow-multiple-clients          | yes     | two wallet clients, one after the other
 * oid4vci-1_0-issuer-happy-flow-skip-notification         | yes     | no notification ever: the credential stays valid
 * oid4vci-1_0-issuer-batch-issuance                       | yes     | batch_size proofs (10), distinct keys, same dataset
 * oid4vci-1_0-issuer-fail-invalid-nonce                   | yes     | invalid_nonce
 * oid4vci-1_0-issuer-fail-invalid-jwt-proof-signature     | yes     | invalid_proof
 * oid4vci-1_0-issuer-fail-invalid-key-attestation-signature | no    | no configuration requires key attestation (checked)
 * oid4vci-1_0-issuer-fail-invalid-client-attestation-signature | no | client_attestation variant only: wallets are public
 * oid4vci-1_0-issuer-fail-invalid-client-attestation-pop-signature | no | clients (PKCE, auth none); attest_jwt_client_auth
 * oid4vci-1_0-issuer-fail-client-attestation-exp-in-past  | no      | is not offered (checked)
 * oid4vci-1_0-issuer-fail-client-attestation-no-sub       | no      | (same)
 * oid4vci-1_0-issuer-fail-client-attestation-pop-wrong-aud | no     | (same)
 * oid4vci-1_0-issuer-fail-mismatched-client-attestation-pop-key | no | (same)
 * oid4vci-1_0-issuer-fail-missing-proof                   | yes     | invalid_proof (both configurations bind a key)
 * oid4vci-1_0-issuer-fail-unsupported-encryption-algorithm | no     | credential_response_encryption not advertised (checked)
 * oid4vci-1_0-issuer-fail-unknown-credential-configuration | yes    | unknown_credential_configuration
 * oid4vci-1_0-issuer-fail-unknown-credential-identifier   | yes     | unknown_credential_identifier
 * oid4vci-1_0-issuer-fail-on-access-token-in-query        | yes     | 400 invalid_request (the module accepts 400/401/403)
 *
 * Each "no" row has a test of its skip condition, so enabling the feature makes the suite ask for the module.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PID_CONFIGURATION_ID,
  PID_MDOC_CONFIGURATION_ID,
} from '../../adapters/eudi/issuer/provider-feature.js';
import { JP_PID_STYLE_VCT } from '../../adapters/eudi/pid-claims.js';
import type { TestGateway } from '../helpers/gateway.js';
import {
  bootIssuer,
  holderKey,
  independentVerifier,
  issuerTarget,
  TestWallet,
  WALLET,
  WALLET_CB,
} from '../integration/eudi/wallet.js';
import {
  corruptSignature,
  credentialRequest,
  credentialRequestTokenInQuery,
  parAuthorize,
  preAuthorizedToken,
  sprinkle,
} from './oid4vci-support.js';

const WALLET_2 = 'test-wallet-2';
const SCOPE = 'jp_pid_style';

let gw: TestGateway;
let wallet: TestWallet;

beforeAll(async () => {
  ({ gw, wallet } = await bootIssuer(
    issuerTarget({
      wallets: [
        { client_id: WALLET, client_name: 'OIDF wallet', redirect_uris: [WALLET_CB] },
        { client_id: WALLET_2, client_name: 'OIDF wallet 2', redirect_uris: [WALLET_CB] },
      ],
    }),
  ));
});
afterAll(async () => gw?.close());

type Json = Record<string, unknown>;
const getJson = async (url: string, accept = 'application/json') => {
  const res = await fetch(url, { headers: { accept } });
  return { res, body: (await res.json()) as Json };
};
const issuerMetadata = async () =>
  (await getJson(`${gw.issuer}/.well-known/openid-credential-issuer`)).body as Json & {
    credential_configurations_supported: Record<string, Json>;
  };
const asMetadata = async () => (await getJson(`${gw.issuer}/.well-known/oauth-authorization-server`)).body;

/** A credential request body with one proof over the wallet's holder key, plus unknown members. */
async function body(extra: Json = {}, w: TestWallet = wallet): Promise<Json> {
  return {
    credential_configuration_id: PID_CONFIGURATION_ID,
    proofs: { jwt: [await w.proof(await w.nonce())] },
    ...sprinkle(),
    ...extra,
  };
}

/** The SD-JWT VC of a 200 credential response, checked by the independent verifier (signature, status). */
async function verified(credentials: unknown) {
  expect(credentials).toEqual([{ credential: expect.any(String) }]);
  const credential = (credentials as { credential: string }[])[0]!.credential;
  return (await independentVerifier(credential)).verify(credential);
}

describe('OID4VCI 1.0 issuer (OIDF oid4vci-1_0-issuer-test-plan)', () => {
  it('oid4vci-1_0-issuer-metadata-test', async () => {
    const { res, body: m } = await getJson(`${gw.issuer}/.well-known/openid-credential-issuer`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(m.credential_issuer).toBe(gw.issuer);
    for (const e of ['credential_endpoint', 'nonce_endpoint'])
      expect(String(m[e]).startsWith(`${gw.issuer}/`), e).toBe(true);
    // No authorization_servers: the credential issuer is its own authorization server (§12.2.4).
    expect(m.authorization_servers).toBeUndefined();
    const as = await asMetadata();
    expect(as).toMatchObject({
      issuer: gw.issuer,
      pushed_authorization_request_endpoint: expect.any(String),
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: expect.arrayContaining([
        'authorization_code',
        'urn:ietf:params:oauth:grant-type:pre-authorized_code',
      ]),
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
    });
    expect(m.batch_credential_issuance).toEqual({ batch_size: 10 });
    const configs = m.credential_configurations_supported as Record<string, Json>;
    expect(Object.keys(configs).sort()).toEqual([PID_CONFIGURATION_ID, PID_MDOC_CONFIGURATION_ID].sort());
    for (const [id, c] of Object.entries(configs)) {
      expect(c, id).toMatchObject({
        scope: SCOPE,
        cryptographic_binding_methods_supported: ['jwk'],
        credential_signing_alg_values_supported: [expect.anything()],
        proof_types_supported: { jwt: { proof_signing_alg_values_supported: expect.any(Array) } },
        credential_metadata: { display: expect.any(Array), claims: expect.any(Array) },
      });
      const algs = (c.proof_types_supported as { jwt: { proof_signing_alg_values_supported: string[] } }).jwt
        .proof_signing_alg_values_supported;
      expect(algs.length).toBeGreaterThan(0);
      expect(algs).not.toContain('none');
      for (const claim of (c.credential_metadata as { claims: { path: unknown[] }[] }).claims)
        expect(claim.path.length).toBeGreaterThan(0);
    }
    // The suite's JSON schema (credential_issuer_metadata-1_0.json): known top-level members only, JWS
    // algorithm names for the SD-JWT VC, COSE algorithm integers for the mdoc.
    const known = [
      'credential_issuer',
      'authorization_servers',
      'credential_endpoint',
      'nonce_endpoint',
      'deferred_credential_endpoint',
      'notification_endpoint',
      'credential_request_encryption',
      'credential_response_encryption',
      'batch_credential_issuance',
      'signed_metadata',
      'display',
      'credential_configurations_supported',
    ];
    for (const k of Object.keys(m)) expect(known, k).toContain(k);
    for (const d of m.display as Json[])
      for (const k of Object.keys(d)) expect(['name', 'locale', 'logo']).toContain(k);
    expect(configs[PID_CONFIGURATION_ID]?.credential_signing_alg_values_supported).toEqual(['ES256']);
    expect(configs[PID_MDOC_CONFIGURATION_ID]?.credential_signing_alg_values_supported).toEqual([-7]);
    expect(configs[PID_CONFIGURATION_ID]).toMatchObject({ format: 'dc+sd-jwt', vct: JP_PID_STYLE_VCT });
    expect(configs[PID_MDOC_CONFIGURATION_ID]).toMatchObject({
      format: 'mso_mdoc',
      doctype: expect.any(String),
    });
  });

  it('oid4vci-1_0-issuer-metadata-test-signed: not applicable (the metadata is not signed)', async () => {
    const { res, body: m } = await getJson(
      `${gw.issuer}/.well-known/openid-credential-issuer`,
      'application/jwt',
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(m.signed_metadata).toBeUndefined();
  });

  it('oid4vci-1_0-issuer-happy-flow', async () => {
    const m = await issuerMetadata();
    // Sending a notification is for issuers that advertise a notification endpoint; we do not.
    expect(m.notification_endpoint).toBeUndefined();
    const token = await parAuthorize(wallet, SCOPE);
    // The nonce response (ValidateVCINonceEndpointResponse): 200, JSON, Cache-Control no-store, a c_nonce.
    const n = await fetch(String(m.nonce_endpoint), { method: 'POST' });
    expect(n.status).toBe(200);
    expect(n.headers.get('content-type')).toMatch(/^application\/json/);
    expect(n.headers.get('cache-control')).toMatch(/no-store/);
    const { c_nonce: nonce, ...restNonce } = (await n.json()) as { c_nonce: string };
    expect(nonce).toEqual(expect.any(String));
    expect(Object.keys(restNonce)).toEqual([]);
    const r = await credentialRequest(wallet, token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: [await wallet.proof(nonce)] },
      ...sprinkle(),
    });
    expect(r.status).toBe(200);
    // The credential response: JSON, no-store, no unknown members (VCIValidateNoUnknownKeysInCredentialResponse).
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('cache-control')).toMatch(/no-store/);
    expect(Object.keys(r.body)).toEqual(['credentials']);
    const { payload, header } = await verified(r.body.credentials);
    expect(payload).toMatchObject({
      iss: gw.issuer,
      vct: JP_PID_STYLE_VCT,
      cnf: { jwk: { x: (await wallet.key).publicJwk.x } },
    });
    // ValidateSdJwtVcCredentialClaims: typ, iat/nbf/exp, a public cnf.jwk, unique salts, the status list.
    expect(header).toMatchObject({ typ: 'dc+sd-jwt', alg: 'ES256', x5c: [expect.any(String)] });
    const now = Math.floor(Date.now() / 1000);
    const p = payload as { iat: number; nbf: number; exp: number; cnf: { jwk: Json } };
    expect(p.iat).toBeLessThanOrEqual(now);
    expect(p.nbf).toBeLessThanOrEqual(now);
    expect(p.exp).toBeGreaterThan(now);
    expect(Object.keys(p.cnf.jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    const credential = (r.body.credentials as { credential: string }[])[0]!.credential;
    const salts = credential
      .split('~')
      .slice(1, -1)
      .map((d) => (JSON.parse(Buffer.from(d, 'base64url').toString()) as string[])[0]);
    expect(new Set(salts).size).toBe(salts.length);
    const { uri } = (payload as { status: { status_list: { uri: string } } }).status.status_list;
    const list = await fetch(uri);
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toMatch(/^application\/statuslist\+jwt/);
  });

  it('oid4vci-1_0-issuer-happy-flow (pre-authorized_code variant)', async () => {
    const token = await preAuthorizedToken(wallet, gw.issuer);
    const r = await credentialRequest(wallet, token, await body());
    expect(r.status).toBe(200);
    const { payload } = await verified(r.body.credentials);
    expect(payload).toMatchObject({
      vct: JP_PID_STYLE_VCT,
      cnf: { jwk: { x: (await wallet.key).publicJwk.x } },
    });
  });

  it('oid4vci-1_0-issuer-happy-flow (mso_mdoc configuration)', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    const r = await credentialRequest(
      wallet,
      token,
      await body({ credential_configuration_id: PID_MDOC_CONFIGURATION_ID }),
    );
    expect(r.status).toBe(200);
    const [only, ...more] = r.body.credentials as { credential: string }[];
    expect(more).toEqual([]);
    // ValidateCredentialIsUnpaddedBase64Url; the reader checks of the mdoc are in test/integration/eudi/.
    expect(only?.credential).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('oid4vci-1_0-issuer-happy-flow-additional-requests', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    expect((await credentialRequest(wallet, token, await body())).status).toBe(200);
    // FAPI additional requests, each with a fresh nonce: an IPv6 customer address and a UTF-8 JSON Accept,
    // then a permissive Accept.
    const additional: Record<string, string>[] = [
      { 'x-fapi-customer-ip-address': '2001:db8::1020:3040', accept: 'application/json; charset=utf-8' },
      { accept: '*/*' },
    ];
    // What went over the wire to the credential endpoint: the module is about requests carrying these headers.
    const sent: Headers[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      if (new URL(url).pathname === '/credential')
        sent.push(new Headers(input instanceof Request ? input.headers : init?.headers));
      return realFetch(input, init);
    }) as typeof fetch;
    try {
      for (const headers of additional) {
        const r = await credentialRequest(wallet, token, await body(), headers);
        expect([200, 201], JSON.stringify(headers)).toContain(r.status);
        expect(r.headers.get('content-type')).toMatch(/^application\/json/);
        await verified(r.body.credentials);
      }
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(sent.map((h) => [h.get('x-fapi-customer-ip-address'), h.get('accept')])).toEqual([
      ['2001:db8::1020:3040', 'application/json; charset=utf-8'],
      [null, '*/*'],
    ]);
  });

  it('oid4vci-1_0-issuer-happy-flow-multiple-clients', async () => {
    const second = new TestWallet(gw.issuer, WALLET_2, WALLET_CB);
    for (const w of [wallet, second]) {
      const token = await parAuthorize(w, SCOPE);
      const r = await credentialRequest(w, token, await body({}, w));
      expect(r.status, w.clientId).toBe(200);
      const { payload } = await verified(r.body.credentials);
      expect(payload).toMatchObject({ cnf: { jwk: { x: (await w.key).publicJwk.x } } });
    }
  });

  it('oid4vci-1_0-issuer-happy-flow-skip-notification', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    const first = await credentialRequest(wallet, token, await body());
    expect(first.status).toBe(200);
    // No notification (credential_accepted or otherwise) ever: the issuer neither waits for one nor treats
    // the credential as pending: the next request is served, and the credential's status is valid.
    const next = await credentialRequest(wallet, token, await body());
    expect(next.status).toBe(200);
    const { payload } = await verified(first.body.credentials);
    expect(payload).toMatchObject({ status: { status_list: { uri: expect.any(String) } } });
  });

  it('oid4vci-1_0-issuer-batch-issuance', async () => {
    const m = await issuerMetadata();
    const batchSize = Math.min(20, (m.batch_credential_issuance as { batch_size: number }).batch_size);
    expect(batchSize).toBeGreaterThan(1);
    const token = await parAuthorize(wallet, SCOPE);
    const keys = await Promise.all(Array.from({ length: batchSize }, () => holderKey()));
    const nonce = await wallet.nonce();
    const r = await credentialRequest(wallet, token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: await Promise.all(keys.map((k) => wallet.proofWith(k, nonce))) },
      ...sprinkle(),
    });
    expect(r.status).toBe(200);
    const creds = (r.body.credentials as { credential: string }[]).map((c) => c.credential);
    expect(creds.length).toBeLessThanOrEqual(keys.length);
    // Our issuer returns one per proof (fewer is allowed, but then the batch could not be evaluated).
    expect(creds.length).toBe(keys.length);
    const verifier = await independentVerifier(creds[0]!);
    const proofKeys = new Set(keys.map((k) => String(k.publicJwk.x)));
    const bound = new Set<string>();
    const datasets = new Set<string>();
    for (const c of creds) {
      const { payload } = await verifier.verify(c);
      const {
        cnf,
        status: _s,
        iat: _i,
        nbf: _n,
        exp: _e,
        ...dataset
      } = payload as Json & {
        cnf: { jwk: { x: string } };
      };
      expect(proofKeys.has(cnf.jwk.x)).toBe(true);
      bound.add(cnf.jwk.x);
      datasets.add(JSON.stringify(dataset, Object.keys(dataset).sort()));
    }
    expect(bound.size).toBe(creds.length);
    expect(datasets.size).toBe(1);
  });

  it('oid4vci-1_0-issuer-fail-invalid-nonce', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    const r = await credentialRequest(wallet, token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: [await wallet.proof(`invalid-${Date.now()}`)] },
      ...sprinkle(),
    });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_nonce' } });
    expect(r.body.credentials).toBeUndefined();
  });

  it('oid4vci-1_0-issuer-fail-invalid-jwt-proof-signature', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    const r = await credentialRequest(wallet, token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: [corruptSignature(await wallet.proof(await wallet.nonce()))] },
      ...sprinkle(),
    });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_proof' } });
    expect(r.body.credentials).toBeUndefined();
  });

  it('oid4vci-1_0-issuer-fail-missing-proof', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    for (const id of [PID_CONFIGURATION_ID, PID_MDOC_CONFIGURATION_ID]) {
      const r = await credentialRequest(wallet, token, { credential_configuration_id: id, ...sprinkle() });
      expect(r, id).toMatchObject({ status: 400, body: { error: 'invalid_proof' } });
      expect(r.body.credentials).toBeUndefined();
    }
  });

  it('oid4vci-1_0-issuer-fail-unknown-credential-configuration', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    const r = await credentialRequest(
      wallet,
      token,
      await body({ credential_configuration_id: 'oidf_unknown_credential_configuration' }),
    );
    expect(r).toMatchObject({ status: 400, body: { error: 'unknown_credential_configuration' } });
  });

  it('oid4vci-1_0-issuer-fail-unknown-credential-identifier', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    const { credential_configuration_id: _, ...rest } = await body();
    const r = await credentialRequest(wallet, token, {
      ...rest,
      credential_identifier: 'oidf-unknown-credential-identifier',
    });
    expect(r).toMatchObject({ status: 400, body: { error: 'unknown_credential_identifier' } });
  });

  it('oid4vci-1_0-issuer-fail-on-access-token-in-query', async () => {
    // A bearer token (a wallet without DPoP), so only the query rule stands between it and a credential.
    const bearer = new TestWallet(gw.issuer, WALLET, WALLET_CB, false);
    const token = await parAuthorize(bearer, SCOPE);
    expect(token.dpop).toBeUndefined();
    const r = await credentialRequestTokenInQuery(bearer, token.accessToken, await body({}, bearer));
    expect(r).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: expect.stringMatching(/query parameter/) },
    });
    expect(r.body.credentials).toBeUndefined();
    // The same token in the Authorization header is accepted (the refusal is about the query).
    expect((await credentialRequest(bearer, token, await body({}, bearer))).status).toBe(200);
    // A DPoP-bound token in the query is refused too.
    const bound = await parAuthorize(wallet, SCOPE);
    const q = await credentialRequestTokenInQuery(wallet, bound.accessToken, await body());
    expect(q).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });
});

describe('OID4VCI modules of the OIDF HAIP issuer plan (not in ours)', () => {
  // oidc-provider's c_nonce is stateless (a MAC over a 60-second step, the same for every wallet in that minute,
  // accepted for about five), so the nonce itself cannot be single-use; the issuer records every proof JWT it
  // accepted (adapters/eudi/issuer/target.ts, claimProofs) and refuses the same proof again with invalid_nonce.
  // A new proof over the same c_nonce (by the holder, who has the key) is still accepted: docs/schemes/eudi.md.
  it('oid4vci-1_0-issuer-fail-replay-nonce: a proof whose c_nonce was used is refused', async () => {
    const token = await parAuthorize(wallet, SCOPE);
    const proof = await wallet.proof(await wallet.nonce());
    const request = { credential_configuration_id: PID_CONFIGURATION_ID, proofs: { jwt: [proof] } };
    expect((await credentialRequest(wallet, token, request)).status).toBe(200);
    const replay = await credentialRequest(wallet, token, request);
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_nonce' } });
  });
});

describe('OID4VCI modules that do not apply (their skip condition, checked)', () => {
  it('oid4vci-1_0-issuer-fail-unsupported-encryption-algorithm: credential_response_encryption is not advertised', async () => {
    const m = await issuerMetadata();
    expect(m.credential_response_encryption).toBeUndefined();
    expect(m.credential_request_encryption).toBeUndefined();
  });

  it('oid4vci-1_0-issuer-fail-invalid-key-attestation-signature: no configuration requires key attestation', async () => {
    const m = await issuerMetadata();
    for (const c of Object.values(m.credential_configurations_supported)) {
      const types = c.proof_types_supported as Record<string, Json>;
      expect(Object.keys(types)).toEqual(['jwt']);
      expect(types.jwt!.key_attestations_required).toBeUndefined();
    }
  });

  it('oid4vci-1_0-issuer-fail-*-client-attestation-* (6 modules): wallets are public clients; attest_jwt_client_auth is not offered', async () => {
    const as = await asMetadata();
    expect(as.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none']));
    expect(as.token_endpoint_auth_methods_supported).not.toContain('attest_jwt_client_auth');
    expect(as.challenge_endpoint).toBeUndefined();
    // The wallets are public clients: PAR and the token request without client authentication (happy flow).
  });
});
