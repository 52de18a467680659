/**
 * The mdoc (mso_mdoc) PID-style credential, checked by an independent implementation (test/helpers/mdoc-peer.ts,
 * @auth0/mdl): it presents the credential with a device signature and verifies the issuer signature, the x5chain
 * to our TEST root, the value digests, the validity and the device authentication.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { issuePidMdoc, JP_PID_STYLE_DOCTYPE, PID_NAMESPACE } from '../../../adapters/eudi/issuer/mdoc.js';
import { presentMdoc, verifyMdoc } from '../../helpers/mdoc-peer.js';
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

/** The holder presents `fields` with @auth0/mdl, signing with `devicePrivateJwk` (the holder key by default). */
const present = (credential: string, fields: string[], devicePrivateJwk = holder.privateJwk) =>
  presentMdoc(credential, JP_PID_STYLE_DOCTYPE, PID_NAMESPACE, fields, devicePrivateJwk);
const verify = (encoded: Uint8Array, trusted = [issuer.rootPem]) => verifyMdoc(encoded, trusted);

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
