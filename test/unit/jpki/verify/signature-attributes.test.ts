import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  OID_SAN_ADDRESS,
  OID_SAN_BIRTH_DATE,
  OID_SAN_GENDER,
  OID_SAN_NAME,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import { parseBirthDate, parseSigningAttributes } from '../../../../adapters/jpki/verify/attributes.js';
import { MAX_CERTIFICATE_BYTES, parseCertificateDer } from '../../../../adapters/jpki/verify/der.js';
import { verifyChallengeSignature } from '../../../../adapters/jpki/verify/signature.js';
import { personSchema } from '../../../../src/core/identity.js';
import { cardSign, customCert, der, expectCode, jpkiSan } from './fixtures.js';

let pki: TestPki;
let card: IssuedCard;
let substituteCard: IssuedCard;
const challenge = new TextEncoder().encode(
  'kakehashi-jpki-v1\nhttps://gw.example\nuid-1\n1700000000\nrandom',
);

beforeAll(async () => {
  pki = await createTestPki({ generations: 1 });
  card = await issueCard(pki, TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number]);
  const withSubstitute = TEST_HOLDERS.find((h) => h.nameSubstitutePositions?.includes('1'));
  if (!withSubstitute) throw new Error('fixture: a holder with a substitute character');
  substituteCard = await issueCard(pki, withSubstitute);
});

describe('verifyChallengeSignature', () => {
  it('accepts the card signature over the challenge', async () => {
    await verifyChallengeSignature(
      card.auth.certificate,
      challenge,
      await cardSign(card.auth.privateKey, challenge),
    );
  });

  it('refuses a signature over another challenge', async () => {
    const other = new TextEncoder().encode(
      'kakehashi-jpki-v1\nhttps://gw.example\nuid-2\n1700000000\nrandom',
    );
    const sig = await cardSign(card.auth.privateKey, other);
    await expectCode(verifyChallengeSignature(card.auth.certificate, challenge, sig), 'ERR_JPKI_SIGNATURE');
  });

  it('refuses a signature by another key of the same card', async () => {
    const sig = await cardSign(card.sign.privateKey, challenge);
    await expectCode(verifyChallengeSignature(card.auth.certificate, challenge, sig), 'ERR_JPKI_SIGNATURE');
  });

  it('refuses a raw SHA-256 signature without DigestInfo (exact PKCS#1 v1.5 encoding)', async () => {
    // Sign the 32-byte digest as if it were the message: the DigestInfo then wraps the wrong value.
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', challenge));
    const sig = await cardSign(card.auth.privateKey, digest);
    await expectCode(verifyChallengeSignature(card.auth.certificate, challenge, sig), 'ERR_JPKI_SIGNATURE');
  });

  it('checks the signature length before any crypto', async () => {
    const sig = await cardSign(card.auth.privateKey, challenge);
    await expectCode(
      verifyChallengeSignature(card.auth.certificate, challenge, sig.slice(1)),
      'ERR_JPKI_MALFORMED',
    );
    await expectCode(
      verifyChallengeSignature(card.auth.certificate, challenge, new Uint8Array([...sig, 0])),
      'ERR_JPKI_TOO_LARGE',
    );
  });
});

describe('parseCertificateDer', () => {
  it('parses a card certificate', () => {
    expect(parseCertificateDer(der(card.auth.certificate)).serialNumber).toBe(
      card.auth.certificate.serialNumber,
    );
  });

  it('refuses malformed, truncated, padded and oversized DER', async () => {
    const bytes = der(card.auth.certificate);
    await expectCode(() => parseCertificateDer(new Uint8Array([0x30, 0x03, 2, 1, 1])), 'ERR_JPKI_MALFORMED');
    await expectCode(() => parseCertificateDer(bytes.slice(0, -10)), 'ERR_JPKI_MALFORMED');
    await expectCode(() => parseCertificateDer(new Uint8Array([...bytes, 0])), 'ERR_JPKI_MALFORMED');
    await expectCode(
      () => parseCertificateDer(new TextEncoder().encode('not a certificate')),
      'ERR_JPKI_MALFORMED',
    );
    await expectCode(
      () => parseCertificateDer(new Uint8Array(MAX_CERTIFICATE_BYTES + 1)),
      'ERR_JPKI_TOO_LARGE',
    );
  });
});

describe('parseSigningAttributes', () => {
  it('maps the basic 4 attributes into a Person', () => {
    const { person, verified } = parseSigningAttributes(card.sign.certificate);
    expect(person).toEqual({
      familyName: [{ value: '山田', script: 'Jpan' }],
      givenName: [{ value: '太郎', script: 'Jpan' }],
      birthDate: '1985-04-12',
      gender: 'male',
      address: { formatted: '東京都千代田区霞が関二丁目１番２号', country: 'JP', script: 'Jpan' },
    });
    expect(personSchema.parse(person)).toEqual(person);
    expect(verified).toEqual(['familyName', 'givenName', 'birthDate', 'gender', 'address']);
  });

  it('flags the name part that carries a substitute character', () => {
    const { person } = parseSigningAttributes(substituteCard.sign.certificate);
    expect(person.familyName).toEqual([{ value: '〓田', script: 'Jpan', containsSubstitutes: true }]);
    expect(person.givenName).toEqual([{ value: '一郎', script: 'Jpan' }]);
  });

  it('keeps a name without a full-width space whole, and maps sex code 3 and address substitutes', async () => {
    const cert = await customCert(pki.signCa, {
      extensions: [
        jpkiSan({
          [OID_SAN_NAME]: 'ジョン・スミス',
          [OID_SAN_GENDER]: '3',
          [OID_SAN_BIRTH_DATE]: '520190101',
          [OID_SAN_ADDRESS]: '沖縄県那覇市〓町',
          '1.2.392.200149.8.5.5.6': '000000100',
        }),
      ],
    });
    const { person, verified } = parseSigningAttributes(cert.certificate);
    expect(person.fullName).toEqual([{ value: 'ジョン・スミス', script: 'Jpan' }]);
    expect(person.familyName).toBeUndefined();
    expect(person.gender).toBe('unknown');
    expect(person.birthDate).toBe('2019-01-01');
    expect(person.address?.containsSubstitutes).toBe(true);
    expect(verified).toEqual(['fullName', 'birthDate', 'gender', 'address']);
  });

  it('refuses invalid dates, sex codes and missing attributes', async () => {
    for (const bad of ['419990230', '41999013', '619990101', '4199901011', '4abcd0101']) {
      await expectCode(() => parseBirthDate(bad), 'ERR_JPKI_ATTRIBUTES');
    }
    expect(parseBirthDate('420000229')).toBe('2000-02-29');
    const badSex = await customCert(pki.signCa, {
      extensions: [
        jpkiSan({
          [OID_SAN_NAME]: '山田\u3000花子',
          [OID_SAN_GENDER]: '9',
          [OID_SAN_BIRTH_DATE]: '419900102',
          [OID_SAN_ADDRESS]: '東京都',
        }),
      ],
    });
    await expectCode(() => parseSigningAttributes(badSex.certificate), 'ERR_JPKI_ATTRIBUTES');
    await expectCode(() => parseSigningAttributes(card.auth.certificate), 'ERR_JPKI_ATTRIBUTES');
  });
});
