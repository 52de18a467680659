import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jpkiOptionsSchema,
  loadAnchors,
  loadCertificates,
  parseDistributionPointName,
} from '../../../../adapters/jpki/options.js';
import { createTestPki, issueCard, TEST_HOLDERS, type TestPki } from '../../../../adapters/jpki/pki/index.js';
import { JPKI_POLICY } from '../../../../adapters/jpki/verify/chain.js';

let pki: TestPki;
let dir: string;

beforeAll(async () => {
  pki = await createTestPki({ generations: 2 });
  dir = await mkdtemp(join(tmpdir(), 'jpki-anchors-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('jpkiOptionsSchema', () => {
  const base = { authAnchors: ['a.pem'], signAnchors: ['s.pem'], revocation: { kind: 'ocsp' } };

  it('fills defaults: production policies, refuse when unreachable, 120 s challenges', () => {
    expect(jpkiOptionsSchema.parse(base)).toMatchObject({
      policies: { auth: [JPKI_POLICY.auth], sign: [JPKI_POLICY.signProduction] },
      onUnreachable: 'refuse',
      challengeTtlSeconds: 120,
      cacheMaxSeconds: 3600,
      requireHolderLinkage: true,
    });
  });

  it('is strict and needs a URL for the platform', () => {
    expect(jpkiOptionsSchema.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(jpkiOptionsSchema.safeParse({ ...base, revocation: { kind: 'platform' } }).success).toBe(false);
    expect(
      jpkiOptionsSchema.safeParse({ ...base, revocation: { kind: 'ocsp', url: 'ldap://x' } }).success,
    ).toBe(false);
    expect(jpkiOptionsSchema.safeParse({ ...base, authAnchors: [] }).success).toBe(false);
  });

  it('takes OCSP responder certificates on the ocsp kind only', () => {
    const pem = ['-----BEGIN CERTIFICATE-----…'];
    expect(
      jpkiOptionsSchema.parse({ ...base, revocation: { kind: 'ocsp', responderCertificates: pem } })
        .revocation,
    ).toEqual({ kind: 'ocsp', responderCertificates: pem });
    expect(
      jpkiOptionsSchema.safeParse({ ...base, revocation: { kind: 'crl', responderCertificates: pem } })
        .success,
    ).toBe(false);
    expect(
      jpkiOptionsSchema.safeParse({ ...base, revocation: { kind: 'ocsp', responderCertificates: [] } })
        .success,
    ).toBe(false);
  });
});

describe('CRL partitions', () => {
  const base = { authAnchors: ['a.pem'], signAnchors: ['s.pem'] };
  const dn =
    'C=JP, O=JPKI, OU=JPKI for digital signature, OU=CRL Distribution Points, OU=Tokyo-to, CN=Chiyoda-ku';

  it('takes partitions or one url on the crl kind, not both', () => {
    const partitions = [{ distributionPoint: dn, url: 'https://crl.example.jp/13101.crl' }];
    expect(jpkiOptionsSchema.parse({ ...base, revocation: { kind: 'crl', partitions } }).revocation).toEqual({
      kind: 'crl',
      partitions,
    });
    const both = jpkiOptionsSchema.safeParse({
      ...base,
      revocation: { kind: 'crl', url: 'https://crl.example.jp/all.crl', partitions },
    });
    expect(both.success).toBe(false);
    expect(both.error?.issues[0]?.path).toEqual(['revocation', 'partitions']);
    const ldap = [{ distributionPoint: dn, url: 'ldap://crl.example.jp/cn=x' }];
    expect(
      jpkiOptionsSchema.safeParse({ ...base, revocation: { kind: 'crl', partitions: ldap } }).success,
    ).toBe(false);
  });

  it('parses the partition name as a distinguished name and refuses what is not one', () => {
    const name = parseDistributionPointName(dn);
    expect(name.map((rdn) => rdn[0]?.value.toString())).toEqual([
      'JP',
      'JPKI',
      'JPKI for digital signature',
      'CRL Distribution Points',
      'Tokyo-to',
      'Chiyoda-ku',
    ]);
    for (const bad of ['garbage', 'XX=1, O=JPKI'])
      expect(() => parseDistributionPointName(bad)).toThrow(/not an RFC 4514 distinguished name/);
  });
});

describe('loadCertificates (OCSP responder certificates)', () => {
  it('reads end-entity certificates from PEM text and files, without the CA check of anchors', async () => {
    const file = join(dir, 'responder.pem');
    await writeFile(file, pki.authOcspResponder.certificate.toString('pem'));
    const [fromFile] = await loadCertificates([file], 'JPKI OCSP responder certificate');
    expect(fromFile?.equal(pki.authOcspResponder.certificate)).toBe(true);
    await expect(loadAnchors([file])).rejects.toMatchObject({ code: 'ERR_JPKI_CONFIG' });
  });

  it('names what it was loading when an entry is unreadable or not a certificate', async () => {
    const junk = join(dir, 'junk-responder.pem');
    await writeFile(junk, 'hello');
    await expect(loadCertificates([junk], 'JPKI OCSP responder certificate')).rejects.toMatchObject({
      code: 'ERR_JPKI_CONFIG',
      message: 'a JPKI OCSP responder certificate entry holds no certificate',
    });
    await expect(
      loadCertificates([join(dir, 'nope.pem')], 'JPKI OCSP responder certificate'),
    ).rejects.toMatchObject({ message: 'a JPKI OCSP responder certificate file cannot be read' });
    const notCert = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    await expect(loadCertificates([notCert], 'JPKI OCSP responder certificate')).rejects.toMatchObject({
      message: 'a JPKI OCSP responder certificate is not an X.509 certificate',
    });
  });
});

describe('loadAnchors', () => {
  it('reads PEM text and PEM files with several generations', async () => {
    const file = join(dir, 'auth.pem');
    await writeFile(file, pki.authCaGenerations.map((g) => g.certificate.toString('pem')).join('\n'));
    const fromFile = await loadAnchors([file]);
    expect(fromFile.map((c) => c.serialNumber)).toEqual(
      pki.authCaGenerations.map((g) => g.certificate.serialNumber),
    );
    const fromText = await loadAnchors([pki.signCa.certificate.toString('pem')]);
    expect(fromText[0]?.equal(pki.signCa.certificate)).toBe(true);
  });

  it('refuses a non-CA certificate, a missing file and non-PEM text', async () => {
    const card = await issueCard(pki, TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number]);
    await expect(loadAnchors([card.auth.certificate.toString('pem')])).rejects.toMatchObject({
      code: 'ERR_JPKI_CONFIG',
    });
    await expect(loadAnchors([join(dir, 'missing.pem')])).rejects.toMatchObject({ code: 'ERR_JPKI_CONFIG' });
    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'hello');
    await expect(loadAnchors([junk])).rejects.toMatchObject({ code: 'ERR_JPKI_CONFIG' });
  });
});
