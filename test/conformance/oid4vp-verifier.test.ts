/**
 * OpenID for Verifiable Presentations 1.0 (Final) verifier conformance, reproduced from the OIDF
 * oid4vp-1final-verifier-test-plan (/work/shared/reference/oidf/VP1FinalVerifierTestPlan.txt): one test per
 * module, named by the module id, against a real gateway over HTTP with the `eudi-wallet` source (x509_hash
 * client id, signed request object by reference, direct_post.jwt). As in the OIDF suite, the mock wallet
 * brings credentials of its own mock issuer (oid4vp-support.ts: @sd-jwt/sd-jwt-vc, `urn:eudi:pid:1`, a TEST
 * chain on the verifier's trust list) and varies one part per negative module. A negative module passes on
 * a 4xx from the response endpoint; we also require that the login does not complete (the RP gets
 * access_denied and no code).
 *
 * Module                                          | Applies | Why / what we check
 * ----------------------------------------------- | ------- | -------------------------------------------------
 * oid4vp-1final-verifier-happy-flow               | yes     | SD-JWT VC (DCQL with a single credential), also by
 *                                                 |         | direct_post, and, as the iso_mdl variant, an mdoc: the
 *                                                 |         | login completes
 * oid4vp-1final-verifier-minimal-cnf-jwk          | yes     | cnf.jwk of kty, crv, x, y only: accepted
 * oid4vp-1final-verifier-request-uri-method-post  | no      | our request has no request_uri_method=post (checked)
 * oid4vp-1final-verifier-request-uri-fetched-twice | yes    | the second fetch serves the request again; answering it works
 * oid4vp-1final-verifier-invalid-session-transcript | yes   | mdoc device signature over another nonce: ERR_EUDI_DEVICE_SIGNATURE
 * oid4vp-1final-verifier-invalid-kb-jwt-signature | yes     | ERR_EUDI_KB_SIGNATURE
 * oid4vp-1final-verifier-invalid-credential-signature | yes | ERR_EUDI_ISSUER_SIGNATURE
 * oid4vp-1final-verifier-invalid-sd-hash          | yes     | ERR_EUDI_KB_SD_HASH
 * oid4vp-1final-verifier-invalid-kb-jwt-nonce     | yes     | ERR_EUDI_KB_NONCE
 * oid4vp-1final-verifier-invalid-kb-jwt-aud       | yes     | ERR_EUDI_KB_AUDIENCE
 * oid4vp-1final-verifier-kb-jwt-iat-in-past       | yes     | one year old: ERR_EUDI_KB_IAT
 * oid4vp-1final-verifier-kb-jwt-iat-in-future     | yes     | one year ahead: ERR_EUDI_KB_IAT
 *
 * The OIDF modules end in REVIEW with a screenshot of the verifier; here the RP's token response is the proof.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JP_PID_STYLE_DOCTYPE } from '../../adapters/eudi/issuer/mdoc.js';
import { bootGateway, privateKeyJwtClient, type TestGateway } from '../helpers/gateway.js';
import { answerMdoc, fetchVpRequest, post, sdJwtQuery } from '../integration/eudi/vp-wallet.js';
import { keyPair, type TestIssuer, testIssuer } from '../unit/eudi/fixtures.js';
import {
  corruptIssuerSignature,
  EU_PID_VCT,
  expectLoggedIn,
  expectRefused,
  type Holder,
  libraryPresentation,
  mockPid,
  mockPidMdoc,
  mockPresentation,
  REDIRECT,
  startVpLogin,
  walletSource,
} from './oid4vp-support.js';

const YEAR = 365 * 86_400;
let gw: TestGateway;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;
let mockIssuer: TestIssuer;
let holder: Holder;
let credential: string;

beforeAll(async () => {
  mockIssuer = await testIssuer('OIDF mock issuer');
  rp = await privateKeyJwtClient('rp-vp', REDIRECT);
  gw = await bootGateway({
    clients: [rp.config],
    config: {
      sources: [
        { adapter: 'demo', name: 'demo', options: { loa: 'high' } },
        walletSource('wallet', mockIssuer.rootPem, { doctypes: [] }),
        walletSource('wallet-mdoc', mockIssuer.rootPem, { doctypes: [JP_PID_STYLE_DOCTYPE] }),
        walletSource('wallet-plain', mockIssuer.rootPem, { doctypes: [], responseMode: 'direct_post' }),
      ],
    },
  });
  holder = await keyPair();
  // The OIDF mock issuer's usual cnf.jwk carries JWK metadata besides the key.
  credential = await mockPid(mockIssuer, { ...holder.publicJwk, kid: 'holder-1', use: 'sig', alg: 'ES256' });
}, 60_000);
afterAll(async () => gw?.close());

const start = (source = 'wallet') => startVpLogin(gw.issuer, rp, source);

describe('OID4VP 1.0 verifier (OIDF oid4vp-1final-verifier-test-plan)', () => {
  it('oid4vp-1final-verifier-happy-flow', async () => {
    const s = await startVpLogin(gw.issuer, rp, 'wallet', 'openid profile');
    expect(s.req).toMatchObject({ response_type: 'vp_token', response_mode: 'direct_post.jwt' });
    expect(s.req.client_id).toMatch(/^x509_hash:/);
    // The DCQL query requests a single credential: an SD-JWT VC the mock issuer's type is one of.
    expect(s.req.dcql_query.credentials).toHaveLength(1);
    expect(s.req.dcql_query.credential_sets).toBeUndefined();
    expect(sdJwtQuery(s.req).meta.vct_values).toContain(EU_PID_VCT);
    // The suite's request object checks (the signature, typ and x509_hash client id: fetchVpRequest).
    const ro = s.req as typeof s.req & Record<string, unknown>;
    expect(ro.aud).toBe('https://self-issued.me/v2');
    expect(ro.exp as number).toBeGreaterThan(ro.iat as number);
    expect((ro.exp as number) - (ro.iat as number)).toBeLessThanOrEqual(3600);
    for (const absent of [
      'client_id_scheme',
      'scope',
      'redirect_uri',
      'presentation_definition',
      'transaction_data',
      'wallet_nonce',
      'request',
      'request_uri',
      'sub',
    ])
      expect(ro, absent).not.toHaveProperty(absent);
    const [encKey, ...moreKeys] = s.req.client_metadata.jwks?.keys ?? [];
    expect(moreKeys).toEqual([]);
    expect(encKey).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      use: 'enc',
      alg: 'ECDH-ES',
      kid: expect.any(String),
    });
    expect(encKey).not.toHaveProperty('d');
    expect(s.req.client_metadata).toMatchObject({
      vp_formats_supported: {
        'dc+sd-jwt': { 'sd-jwt_alg_values': expect.any(Array), 'kb-jwt_alg_values': expect.any(Array) },
      },
    });
    // An ephemeral encryption key per request (VP1FinalCheckEncryptionKeyNotReused).
    const other = await start();
    expect(other.req.client_metadata.jwks?.keys[0]?.x).not.toBe(encKey?.x);
    expect(other.req.nonce).not.toBe(s.req.nonce);
    const { info } = await expectLoggedIn(
      s,
      await post(s.req, await libraryPresentation(credential, holder, s.req)),
    );
    // The mock issuer's PID, mapped: the RP sees the names and birthdate the credential carries.
    expect(info).toMatchObject({ family_name: 'Mustermann', given_name: 'Erika', birthdate: '1984-01-26' });
  });

  it('oid4vp-1final-verifier-happy-flow (direct_post variant)', async () => {
    const s = await start('wallet-plain');
    expect(s.req.response_mode).toBe('direct_post');
    expect(s.req.client_metadata.jwks).toBeUndefined();
    await expectLoggedIn(s, await post(s.req, await libraryPresentation(credential, holder, s.req)));
  });

  it('oid4vp-1final-verifier-happy-flow (iso_mdl variant)', async () => {
    const mdoc = await mockPidMdoc(mockIssuer, holder.publicJwk);
    const s = await start('wallet-mdoc');
    await expectLoggedIn(s, await answerMdoc(s.req, mdoc, holder.privateJwk, JP_PID_STYLE_DOCTYPE));
  });

  it('oid4vp-1final-verifier-minimal-cnf-jwk', async () => {
    const { kty, crv, x, y } = holder.publicJwk;
    const minimal = await mockPid(mockIssuer, { kty, crv, x, y });
    const s = await start();
    await expectLoggedIn(s, await post(s.req, await mockPresentation(minimal, holder, s.req)));
  });

  it('oid4vp-1final-verifier-request-uri-method-post: not applicable (no request_uri_method=post)', async () => {
    const s = await start();
    // Both the QR code's request (cross-device) and the same-device link.
    for (const pattern of [/data-request="([^"]+)"/, /id="vp-link" href="([^"]+)"/]) {
      const link = pattern.exec(s.page)?.[1]?.replace(/&amp;/g, '&');
      expect(link, String(pattern)).toMatch(/^openid4vp:\/\/\?/);
      expect(new URL(link!).searchParams.get('request_uri')).toBeTruthy();
      expect(new URL(link!).searchParams.get('request_uri_method')).toBeNull();
    }
    expect(s.req).not.toHaveProperty('request_uri_method');
  });

  it('oid4vp-1final-verifier-request-uri-fetched-twice', async () => {
    const s = await start();
    const again = await fetchVpRequest(s.page);
    expect(again).toMatchObject({
      client_id: s.req.client_id,
      nonce: s.req.nonce,
      state: s.req.state,
      response_uri: s.req.response_uri,
    });
    // The wallet processes the second Request Object and answers it (this hand-built SD-JWT+KB is also the
    // control for the forgeries below).
    await expectLoggedIn(s, await post(again, await mockPresentation(credential, holder, again)));
  });

  it('oid4vp-1final-verifier-invalid-session-transcript', async () => {
    const mdoc = await mockPidMdoc(mockIssuer, holder.publicJwk);
    const s = await start('wallet-mdoc');
    const a = await answerMdoc(s.req, mdoc, holder.privateJwk, JP_PID_STYLE_DOCTYPE, {
      nonce: `${s.req.nonce}-wrong`,
    });
    await expectRefused(s, a, 'ERR_EUDI_DEVICE_SIGNATURE');
  });

  it('oid4vp-1final-verifier-invalid-kb-jwt-signature', async () => {
    const s = await start();
    const p = await mockPresentation(credential, holder, s.req, { corruptSignature: true });
    await expectRefused(s, await post(s.req, p), 'ERR_EUDI_KB_SIGNATURE');
  });

  it('oid4vp-1final-verifier-invalid-credential-signature', async () => {
    const s = await start();
    const p = await mockPresentation(corruptIssuerSignature(credential), holder, s.req);
    await expectRefused(s, await post(s.req, p), 'ERR_EUDI_ISSUER_SIGNATURE');
  });

  it('oid4vp-1final-verifier-invalid-sd-hash', async () => {
    const s = await start();
    const other = await mockPid(mockIssuer, holder.publicJwk);
    const sdHash = createHash('sha256').update(other).digest('base64url');
    const p = await mockPresentation(credential, holder, s.req, { sdHash });
    await expectRefused(s, await post(s.req, p), 'ERR_EUDI_KB_SD_HASH');
  });

  it('oid4vp-1final-verifier-invalid-kb-jwt-nonce', async () => {
    const s = await start();
    const p = await mockPresentation(credential, holder, s.req, { nonce: `${s.req.nonce}x` });
    await expectRefused(s, await post(s.req, p), 'ERR_EUDI_KB_NONCE');
  });

  it('oid4vp-1final-verifier-invalid-kb-jwt-aud', async () => {
    const s = await start();
    const p = await mockPresentation(credential, holder, s.req, { aud: `x509_hash:${'A'.repeat(43)}` });
    await expectRefused(s, await post(s.req, p), 'ERR_EUDI_KB_AUDIENCE');
  });

  it('oid4vp-1final-verifier-kb-jwt-iat-in-past', async () => {
    const s = await start();
    const p = await mockPresentation(credential, holder, s.req, {
      iat: Math.floor(Date.now() / 1000) - YEAR,
    });
    await expectRefused(s, await post(s.req, p), 'ERR_EUDI_KB_IAT');
  });

  it('oid4vp-1final-verifier-kb-jwt-iat-in-future', async () => {
    const s = await start();
    const p = await mockPresentation(credential, holder, s.req, {
      iat: Math.floor(Date.now() / 1000) + YEAR,
    });
    await expectRefused(s, await post(s.req, p), 'ERR_EUDI_KB_IAT');
  });
});
