import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { DirectoryString, id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import {
  AuthorityInfoAccessExtension,
  AuthorityKeyIdentifierExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509ChainBuilder,
} from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  loadCard,
  loadTestPki,
  POLICY_AUTH,
  POLICY_SIGN_PRODUCTION,
  POLICY_SIGN_TEST,
  renewCard,
  saveCard,
  saveTestPki,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';

let pki: TestPki;
let card: IssuedCard;
let dir: string;

beforeAll(async () => {
  pki = await createTestPki({ generations: 3 });
  card = await issueCard(pki, TEST_HOLDERS[2] as (typeof TEST_HOLDERS)[number], {
    ocspUrl: { auth: 'http://ocsp.test/auth', sign: 'http://ocsp.test/sign' },
    crlUrl: { auth: 'http://crl.test/auth.crl', sign: 'http://crl.test/sign.crl' },
  });
  dir = await mkdtemp(join(tmpdir(), 'jpki-pki-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sanOtherNames(der: ArrayBuffer): Map<string, string> {
  const san = AsnConvert.parse(der, SubjectAlternativeName);
  const out = new Map<string, string>();
  for (const gn of san) {
    if (!gn.otherName) throw new Error('expected only otherName entries');
    out.set(gn.otherName.typeId, AsnConvert.parse(gn.otherName.value, DirectoryString).utf8String ?? '');
  }
  return out;
}

describe('JPKI test PKI', () => {
  it('has several root generations with the same DN but different keys, each self-signed', async () => {
    expect(pki.authCaGenerations).toHaveLength(3);
    expect(pki.authCaGenerations[0]).toBe(pki.authCa);
    const dns = new Set(pki.authCaGenerations.map((g) => g.certificate.subject));
    expect(dns.size).toBe(1);
    expect([...dns][0]).toContain('O=JPKI-TEST');
    const spki = new Set(pki.authCaGenerations.map((g) => g.certificate.publicKey.toString('hex')));
    expect(spki.size).toBe(3);
    for (const g of [...pki.authCaGenerations, ...pki.signCaGenerations]) {
      expect(await g.certificate.isSelfSigned()).toBe(true);
      const ku = g.certificate.getExtension(KeyUsagesExtension);
      expect(ku?.usages).toBe(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign);
    }
    expect(pki.signCa.certificate.subject).not.toBe(pki.authCa.certificate.subject);
  });

  it('issues an auth certificate in the JPKI profile, verifiable only against the current auth root', async () => {
    const cert = card.auth.certificate;
    expect(cert.subject).toMatch(/^C=JP, CN=[0-9A-Z]{23}$/);
    expect(cert.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } });
    const ku = cert.getExtension(KeyUsagesExtension);
    expect(ku?.critical).toBe(true);
    expect(ku?.usages).toBe(KeyUsageFlags.digitalSignature);
    const pol = cert.getExtension(CertificatePolicyExtension);
    expect(pol?.critical).toBe(true);
    expect(pol?.policies).toEqual([POLICY_AUTH]);
    expect(cert.getExtension(id_ce_subjectAltName)).toBeNull();
    expect(cert.getExtension(AuthorityInfoAccessExtension)?.ocsp.map((g) => g.value)).toEqual([
      'http://ocsp.test/auth',
    ]);
    const crldp = cert.getExtension(CRLDistributionPointsExtension);
    expect(crldp?.distributionPoints[0]?.distributionPoint?.fullName?.[0]?.uniformResourceIdentifier).toBe(
      'http://crl.test/auth.crl',
    );
    const aki = cert.getExtension(AuthorityKeyIdentifierExtension);
    expect(aki?.keyId).toBe(pki.authCa.certificate.getExtension(SubjectKeyIdentifierExtension)?.keyId);
    expect(cert.getExtension(SubjectKeyIdentifierExtension)).not.toBeNull();
    expect(await cert.verify({ publicKey: pki.authCa.certificate })).toBe(true);
    expect(await cert.verify({ publicKey: pki.authCaGenerations[1]?.certificate })).toBe(false);
    expect(await cert.verify({ publicKey: pki.signCa.certificate })).toBe(false);
    const chain = await new X509ChainBuilder({
      certificates: pki.authCaGenerations.map((g) => g.certificate),
    }).build(cert);
    expect(chain[1]?.serialNumber).toBe(pki.authCa.certificate.serialNumber);
  });

  it('issues a sign certificate carrying the six basic-4 otherNames, its policy and key usage', async () => {
    const cert = card.sign.certificate;
    expect(cert.subject).toMatch(/^C=JP, L=Hokkaido, L=Sapporo-shi, CN=\d{19}A$/);
    const ku = cert.getExtension(KeyUsagesExtension);
    expect(ku?.critical).toBe(true);
    expect(ku?.usages).toBe(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation);
    expect(cert.getExtension(CertificatePolicyExtension)?.policies).toEqual([POLICY_SIGN_TEST]);
    const san = cert.getExtension(id_ce_subjectAltName);
    expect(san).not.toBeNull();
    const names = sanOtherNames(san?.value as ArrayBuffer);
    expect(Object.fromEntries(names)).toEqual({
      '1.2.392.200149.8.5.5.1': '〓田\u3000一郎',
      '1.2.392.200149.8.5.5.2': '10000',
      '1.2.392.200149.8.5.5.3': '1',
      '1.2.392.200149.8.5.5.4': '319600120',
      '1.2.392.200149.8.5.5.5': '北海道札幌市中央区北一条西二丁目１番地',
      '1.2.392.200149.8.5.5.6': '0'.repeat(19),
    });
    expect(await cert.verify({ publicKey: pki.signCa.certificate })).toBe(true);
    expect(await cert.verify({ publicKey: pki.authCa.certificate })).toBe(false);
  });

  it('supports production policy, older generations and cross-CA forgeries via options', async () => {
    const other = await issueCard(pki, TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number], {
      policy: 'production',
      signedBy: { auth: pki.signCa, sign: pki.signCaGenerations[2] },
    });
    expect(other.sign.certificate.getExtension(CertificatePolicyExtension)?.policies).toEqual([
      POLICY_SIGN_PRODUCTION,
    ]);
    expect(await other.auth.certificate.verify({ publicKey: pki.signCa.certificate })).toBe(true);
    expect(await other.sign.certificate.verify({ publicKey: pki.signCaGenerations[2]?.certificate })).toBe(
      true,
    );
    expect(other.authPin).toMatch(/^\d{4}$/);
    expect(other.signPin).toMatch(/^[A-Z0-9]{6,16}$/);
    const renewed = await renewCard(pki, other);
    expect(renewed.id).toBe(other.id);
    expect(renewed.auth.certificate.serialNumber).not.toBe(other.auth.certificate.serialNumber);
    expect(renewed.auth.certificate.publicKey.toString('hex')).not.toBe(
      other.auth.certificate.publicKey.toString('hex'),
    );
  });

  it('saves and loads the PKI and a card (keys 0600)', async () => {
    await saveTestPki(pki, join(dir, 'pki'));
    await saveCard(card, join(dir, 'cards', card.id));
    expect((await stat(join(dir, 'pki', 'auth-ca-gen0.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'cards', card.id, 'card.json'))).mode & 0o777).toBe(0o600);
    const loaded = await loadTestPki(join(dir, 'pki'));
    expect(loaded.signCaGenerations.map((g) => g.certificate.serialNumber)).toEqual(
      pki.signCaGenerations.map((g) => g.certificate.serialNumber),
    );
    const loadedCard = await loadCard(join(dir, 'cards', card.id));
    expect(loadedCard.holder).toEqual(card.holder);
    expect(loadedCard.signPin).toBe(card.signPin);
    const data = new TextEncoder().encode('x');
    const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', loadedCard.auth.privateKey, data);
    const pub = await card.auth.certificate.publicKey.export();
    expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', pub, sig, data)).toBe(true);
    const caSig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', loaded.authCa.privateKey, data);
    expect(
      await crypto.subtle.verify(
        'RSASSA-PKCS1-v1_5',
        await pki.authCa.certificate.publicKey.export(),
        caSig,
        data,
      ),
    ).toBe(true);
  });
});
