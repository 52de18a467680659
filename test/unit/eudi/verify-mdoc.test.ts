/**
 * The verifier's mdoc path (adapters/eudi/verifier/verify-mdoc.ts, @animo-id/mdoc's Verifier with injected
 * crypto and our trust list): mdocs from our issuer, presented by an independent wallet (@auth0/mdl,
 * test/helpers/mdoc-peer.ts) over the OpenID4VP 1.0 SessionTranscript. Each forgery asserts its code.
 */
import { calculateJwkThumbprint } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { issuePidMdoc, JP_PID_STYLE_DOCTYPE, PID_NAMESPACE } from '../../../adapters/eudi/issuer/mdoc.js';
import {
  EU_PID_DOCTYPE,
  JP_PID_STYLE_VCT,
  personFromPidClaims,
  pidClaimsFromMdocElements,
} from '../../../adapters/eudi/pid-claims.js';
import { createTrustList, type TrustList } from '../../../adapters/eudi/verifier/trust-list.js';
import {
  openid4vpSessionTranscriptBytes,
  type SessionTranscriptInput,
  verifyMdocPresentation,
} from '../../../adapters/eudi/verifier/verify-mdoc.js';
import { openid4vpSessionTranscript, presentMdoc } from '../../helpers/mdoc-peer.js';
import { jpkiIdentity, keyPair, type TestIssuer, testIssuer } from './fixtures.js';

let issuer: TestIssuer;
let holder: Awaited<ReturnType<typeof keyPair>>;
let trust: TrustList;
let transcript: SessionTranscriptInput;
const ELEMENTS = ['family_name', 'given_name', 'birth_date', 'resident_address', 'resident_country', 'sex'];

const entry = (rootPem: string, doctypes = [JP_PID_STYLE_DOCTYPE]) => ({
  name: 'kakehashi-test',
  anchors: [rootPem],
  vcts: [JP_PID_STYLE_VCT],
  doctypes,
  loa: 'high' as const,
});

beforeAll(async () => {
  issuer = await testIssuer();
  holder = await keyPair();
  trust = createTrustList([entry(issuer.rootPem)]);
  const enc = await keyPair();
  transcript = {
    clientId: 'x509_hash:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ',
    nonce: 'n-0S6_WzA2Mj-nonce-of-this-request',
    jwkThumbprint: new Uint8Array(Buffer.from(await calculateJwkThumbprint(enc.publicJwk), 'base64url')),
    responseUri: 'https://gw.example/a/wallet/response/tx1',
  };
});

const now = () => Math.floor(Date.now() / 1000);

async function credential(nowSeconds = now(), validitySeconds = 86_400) {
  return (
    await issuePidMdoc({
      identity: jpkiIdentity(),
      holderJwk: holder.publicJwk,
      signer: issuer.signer,
      issuingAuthority: 'Kakehashi test issuer',
      issuingCountry: 'JP',
      validitySeconds,
      nowSeconds,
    })
  ).credential;
}

/** The wallet's DeviceResponse over the transcript `t` (the verifier's own by default), base64url. */
async function present(
  cred: string,
  o: {
    t?: SessionTranscriptInput;
    elements?: string[];
    key?: typeof holder.privateJwk;
    docType?: string;
  } = {},
) {
  const t = o.t ?? transcript;
  const bytes = openid4vpSessionTranscript(t.clientId, t.nonce, t.jwkThumbprint ?? null, t.responseUri);
  const encoded = await presentMdoc(
    cred,
    o.docType ?? JP_PID_STYLE_DOCTYPE,
    PID_NAMESPACE,
    o.elements ?? ELEMENTS,
    o.key ?? holder.privateJwk,
    { sessionTranscriptBytes: bytes },
  );
  return Buffer.from(encoded).toString('base64url');
}

const verify = (
  presentation: string,
  o: { trustList?: TrustList; docType?: string; elements?: string[] } = {},
) =>
  verifyMdocPresentation({
    presentation,
    trustList: o.trustList ?? trust,
    docType: o.docType ?? JP_PID_STYLE_DOCTYPE,
    namespace: PID_NAMESPACE,
    elements: o.elements ?? ELEMENTS,
    transcript,
    nowSeconds: now(),
  });

describe('mdoc presentations (OpenID4VP 1.0, @animo-id/mdoc Verifier)', () => {
  it('the transcript bytes agree between @auth0/mdl (wallet) and @animo-id/mdoc (verifier)', () => {
    const w = openid4vpSessionTranscript(
      transcript.clientId,
      transcript.nonce,
      transcript.jwkThumbprint!,
      transcript.responseUri,
    );
    expect(Buffer.from(openid4vpSessionTranscriptBytes(transcript)).equals(Buffer.from(w))).toBe(true);
    const plain = { ...transcript, jwkThumbprint: undefined };
    expect(
      Buffer.from(openid4vpSessionTranscriptBytes(plain)).equals(
        Buffer.from(openid4vpSessionTranscript(plain.clientId, plain.nonce, null, plain.responseUri)),
      ),
    ).toBe(true);
  });

  it('verifies and maps the disclosed elements to the canonical person', async () => {
    const v = await verify(await present(await credential()));
    expect(v.docType).toBe(JP_PID_STYLE_DOCTYPE);
    expect(v.issuer).toMatchObject({ name: 'kakehashi-test', loa: 'high' });
    expect(v.deviceJwk).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      x: holder.publicJwk.x,
      y: holder.publicJwk.y,
    });
    const person = personFromPidClaims(pidClaimsFromMdocElements(v.elements));
    expect(person).toMatchObject({
      familyName: [{ value: 'Kakehashi', script: 'Latn' }],
      givenName: [{ value: 'Hanako', script: 'Latn' }],
      birthDate: '1990-04-01',
      gender: 'female',
      address: { formatted: '東京都千代田区霞が関一丁目1番1号', country: 'JP', script: 'Jpan' },
    });
  });

  it('uses only the requested elements', async () => {
    const v = await verify(await present(await credential()), {
      elements: ['family_name', 'given_name', 'birth_date'],
    });
    expect(Object.keys(v.elements).sort()).toEqual(['birth_date', 'family_name', 'given_name']);
  });

  it('refuses a device signature over another nonce or another client_id (transcript)', async () => {
    const cred = await credential();
    await expect(verify(await present(cred, { t: { ...transcript, nonce: 'other' } }))).rejects.toMatchObject(
      {
        code: 'ERR_EUDI_DEVICE_SIGNATURE',
      },
    );
    await expect(
      verify(await present(cred, { t: { ...transcript, clientId: 'x509_hash:another-verifier' } })),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_DEVICE_SIGNATURE' });
    await expect(
      verify(await present(cred, { t: { ...transcript, jwkThumbprint: undefined } })),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_DEVICE_SIGNATURE' });
  });

  it('refuses a presentation signed with a key other than the MSO device key', async () => {
    const thief = await keyPair();
    await expect(verify(await present(await credential(), { key: thief.privateJwk }))).rejects.toMatchObject({
      code: 'ERR_EUDI_DEVICE_SIGNATURE',
    });
  });

  it('refuses an issuer whose root is not on the trust list (or is, without the docType)', async () => {
    const p = await present(await credential());
    const other = await testIssuer('someone else');
    await expect(verify(p, { trustList: createTrustList([entry(other.rootPem)]) })).rejects.toMatchObject({
      code: 'ERR_EUDI_UNTRUSTED_ISSUER',
    });
    await expect(verify(p, { trustList: createTrustList([]) })).rejects.toMatchObject({
      code: 'ERR_EUDI_UNTRUSTED_ISSUER',
    });
    await expect(
      verify(p, { trustList: createTrustList([entry(issuer.rootPem, [EU_PID_DOCTYPE])]) }),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_VCT' });
  });

  it('refuses an element value changed after issuance (value digest)', async () => {
    const bytes = Buffer.from(await credential(), 'base64url');
    const forged = Buffer.from(bytes.toString('latin1').replace('Kakehashi', 'Kakehashy'), 'latin1');
    expect(forged.equals(bytes)).toBe(false);
    await expect(verify(await present(forged.toString('base64url')))).rejects.toMatchObject({
      code: 'ERR_EUDI_VALUE_DIGEST',
    });
  });

  it('refuses an MSO changed after signing (issuer signature)', async () => {
    // A longer validity: `validUntil` (tdate) inside the signed MSO, one year later.
    const iat = now();
    const until = `${new Date((iat + 86_400) * 1000).toISOString().split('.')[0]}Z`;
    const later = `${Number(until.slice(0, 4)) + 1}${until.slice(4)}`;
    const bytes = Buffer.from(await credential(iat), 'base64url');
    const forged = Buffer.from(bytes.toString('latin1').replace(until, later), 'latin1');
    expect(forged.equals(bytes)).toBe(false);
    await expect(verify(await present(forged.toString('base64url')))).rejects.toMatchObject({
      code: 'ERR_EUDI_ISSUER_SIGNATURE',
    });
  });

  it('refuses an expired MSO', async () => {
    // Signed twelve hours ago (inside the issuer certificate's validity) for one hour.
    const cred = await credential(now() - 12 * 3600, 3600);
    await expect(verify(await present(cred))).rejects.toMatchObject({ code: 'ERR_EUDI_EXPIRED' });
  });

  it('refuses a docType other than the one asked for', async () => {
    const p = await present(await credential());
    await expect(verify(p, { docType: EU_PID_DOCTYPE })).rejects.toMatchObject({ code: 'ERR_EUDI_VCT' });
  });

  it('refuses what is not a DeviceResponse', async () => {
    for (const junk of ['', 'not base64url!', Buffer.from('hello').toString('base64url'), await credential()])
      await expect(verify(junk)).rejects.toMatchObject({ code: 'ERR_EUDI_MALFORMED' });
  });
});
