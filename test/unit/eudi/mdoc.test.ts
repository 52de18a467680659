/**
 * The mdoc (mso_mdoc) PID-style credential, checked by an independent implementation: @auth0/mdl (its own
 * CBOR/COSE stack, cose-kit + jose) plays the wallet that presents it over OpenID4VP with a device signature,
 * and the reader that verifies issuer signature, x5chain to our TEST root, value digests, validity and device
 * authentication.
 */
import { cborDecode, cborEncode } from '@animo-id/mdoc';
import { DataItem, DeviceResponse, parse, Verifier } from '@auth0/mdl';
import { cborEncode as mdlCborEncode } from '@auth0/mdl/lib/cbor/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { issuePidMdoc, JP_PID_STYLE_DOCTYPE, PID_NAMESPACE } from '../../../adapters/eudi/issuer/mdoc.js';
import { jpkiIdentity, keyPair, type TestIssuer, testIssuer } from './fixtures.js';

let issuer: TestIssuer;
let holder: Awaited<ReturnType<typeof keyPair>>;

beforeAll(async () => {
  issuer = await testIssuer();
  holder = await keyPair();
});

function mdocInput(nowSeconds = Math.floor(Date.now() / 1000)) {
  return {
    identity: jpkiIdentity(),
    holderJwk: holder.publicJwk,
    signer: issuer.signer,
    issuingAuthority: 'Kakehashi test issuer',
    issuingCountry: 'JP',
    validitySeconds: 86_400,
    nowSeconds,
  };
}

const VP = {
  clientId: 'x509_hash:verifier',
  responseUri: 'https://verifier.test/response',
  nonce: 'n-0S6_WzA2Mj',
};
const MDOC_NONCE = 'mdoc-generated-nonce';

/** The wallet, written with @auth0/mdl: wraps the IssuerSigned in a DeviceResponse, signs with the device key. */
async function present(credential: string, fields: string[], devicePrivateJwk = holder.privateJwk) {
  const issuerSigned = cborDecode(Buffer.from(credential, 'base64url'));
  const stored = cborEncode(
    new Map<string, unknown>([
      ['version', '1.0'],
      [
        'documents',
        [
          new Map<string, unknown>([
            ['docType', JP_PID_STYLE_DOCTYPE],
            ['issuerSigned', issuerSigned],
          ]),
        ],
      ],
      ['status', 0],
    ]),
  );
  const response = await DeviceResponse.from(parse(stored))
    .usingPresentationDefinition({
      id: 'pid',
      input_descriptors: [
        {
          id: JP_PID_STYLE_DOCTYPE,
          format: { mso_mdoc: { alg: ['ES256'] } },
          constraints: {
            limit_disclosure: 'required',
            fields: fields.map((f) => ({ path: [`$['${PID_NAMESPACE}']['${f}']`], intent_to_retain: false })),
          },
        },
      ],
    })
    .usingSessionTranscriptForOID4VP(MDOC_NONCE, VP.clientId, VP.responseUri, VP.nonce)
    .authenticateWithSignature(devicePrivateJwk as never, 'ES256')
    .sign();
  return response.encode();
}

/** The reader, @auth0/mdl's Verifier with our TEST root as the only trusted certificate. */
async function verify(encoded: Uint8Array, trusted = [issuer.rootPem]) {
  // ISO/IEC 18013-7 (2023 draft) Annex B handover, as the wallet side computes it.
  const transcript = mdlCborEncode(
    DataItem.fromData([null, null, [MDOC_NONCE, VP.clientId, VP.responseUri, VP.nonce]]),
  );
  return new Verifier(trusted).verify(encoded, { encodedSessionTranscript: transcript });
}

describe('mdoc PID-style credential (@animo-id/mdoc), verified by @auth0/mdl', () => {
  it('verifies: issuer signature, chain to the TEST root, digests, validity, device signature', async () => {
    const { credential, exp } = await issuePidMdoc(mdocInput());
    const mdoc = await verify(await present(credential, ['family_name', 'given_name', 'birth_date']));
    const [doc] = mdoc.documents;
    expect(doc?.docType).toBe(JP_PID_STYLE_DOCTYPE);
    const values = doc?.getIssuerNameSpace(PID_NAMESPACE);
    expect(values).toMatchObject({ family_name: 'Kakehashi', given_name: 'Hanako' });
    expect(String(values?.birth_date)).toBe('1990-04-01');
    // Only what was asked for leaves the wallet: every element is its own signed item.
    expect(Object.keys(values ?? {}).sort()).toEqual(['birth_date', 'family_name', 'given_name']);
    expect(exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(86_000);
  });

  it('carries the PID elements, metadata and the holder key in the MSO', async () => {
    const { credential } = await issuePidMdoc(mdocInput());
    const all = [
      'family_name',
      'given_name',
      'birth_date',
      'nationality',
      'sex',
      'resident_address',
      'resident_country',
      'issuing_authority',
      'issuing_country',
      'issuance_date',
      'expiry_date',
    ];
    const values = (await verify(await present(credential, all))).documents[0]?.getIssuerNameSpace(
      PID_NAMESPACE,
    );
    expect(values).toMatchObject({
      nationality: ['JP'],
      sex: 2,
      resident_address: '東京都千代田区霞が関一丁目1番1号',
      resident_country: 'JP',
      issuing_authority: 'Kakehashi test issuer',
      issuing_country: 'JP',
    });
  });

  it('is refused by a reader that does not trust our root', async () => {
    const { credential } = await issuePidMdoc(mdocInput());
    const other = await testIssuer('someone else');
    await expect(verify(await present(credential, ['family_name']), [other.rootPem])).rejects.toThrow(
      /No valid certificate paths/,
    );
  });

  it('is refused when presented with a key other than the holder key in the MSO', async () => {
    const { credential } = await issuePidMdoc(mdocInput());
    const thief = await keyPair();
    await expect(verify(await present(credential, ['family_name'], thief.privateJwk))).rejects.toThrow(
      /deviceAuth signature/,
    );
  });

  it('is refused when an element value was changed after issuance (value digest)', async () => {
    const { credential } = await issuePidMdoc(mdocInput());
    const bytes = Buffer.from(credential, 'base64url');
    const forged = Buffer.from(bytes.toString('latin1').replace('Kakehashi', 'Kakehashy'), 'latin1');
    expect(forged.equals(bytes)).toBe(false);
    await expect(verify(await present(forged.toString('base64url'), ['family_name']))).rejects.toThrow(
      /calculated digest for eu.europa.ec.eudi.pid.1\/family_name/,
    );
  });

  it('is refused once its validity has ended', async () => {
    // Signed twelve hours ago (inside the issuer certificate's validity) for one hour.
    const { credential } = await issuePidMdoc({
      ...mdocInput(Math.floor(Date.now() / 1000) - 12 * 3600),
      validitySeconds: 3600,
    });
    await expect(verify(await present(credential, ['family_name']))).rejects.toThrow(
      /MSO must be valid at the time of verification/,
    );
  });

  it('refuses a private holder key and an identity without the mandatory names', async () => {
    await expect(issuePidMdoc({ ...mdocInput(), holderJwk: holder.privateJwk })).rejects.toMatchObject({
      code: 'ERR_EUDI_PROOF_INVALID',
    });
    const identity = jpkiIdentity();
    await expect(
      issuePidMdoc({
        ...mdocInput(),
        identity: { ...identity, person: { ...identity.person, familyName: [] } },
      }),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_ISSUANCE' });
  });
});
