import {
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
} from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  POLICY_AUTH,
  POLICY_SIGN_PRODUCTION,
  POLICY_SIGN_TEST,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import {
  buildChain,
  checkKeyUsage,
  isUsableAnchor,
  JPKI_POLICY,
} from '../../../../adapters/jpki/verify/chain.js';
import { authProfileExtensions, customCert, expectCode } from './fixtures.js';

const holder = TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number];
let pki: TestPki;
let foreign: TestPki;
let card: IssuedCard;
const now = () => Date.now();
const authAnchors = () => pki.authCaGenerations.map((g) => g.certificate);
const signAnchors = () => pki.signCaGenerations.map((g) => g.certificate);
const authOpts = () => ({
  now: now(),
  kind: 'auth' as const,
  policies: [POLICY_AUTH],
  otherKindAnchors: signAnchors(),
});
const signOpts = () => ({
  now: now(),
  kind: 'sign' as const,
  policies: [POLICY_SIGN_TEST],
  otherKindAnchors: authAnchors(),
});

beforeAll(async () => {
  pki = await createTestPki({ generations: 2 });
  // Same DNs, different keys: only signature-based issuer selection tells them apart.
  foreign = await createTestPki({ generations: 1 });
  card = await issueCard(pki, holder);
});

describe('buildChain', () => {
  it('accepts the JPKI policy constants the test PKI uses', () => {
    expect([JPKI_POLICY.auth, JPKI_POLICY.signTest, JPKI_POLICY.signProduction]).toEqual([
      POLICY_AUTH,
      POLICY_SIGN_TEST,
      POLICY_SIGN_PRODUCTION,
    ]);
  });

  it('validates auth and sign certificates against their own anchors', async () => {
    const authIssuer = await buildChain(card.auth.certificate, authAnchors(), authOpts());
    expect(authIssuer.equal(pki.authCa.certificate)).toBe(true);
    const signIssuer = await buildChain(card.sign.certificate, signAnchors(), signOpts());
    expect(signIssuer.equal(pki.signCa.certificate)).toBe(true);
  });

  it('picks the generation whose key verifies the signature among anchors with the same DN', async () => {
    const old = pki.authCaGenerations[1];
    if (!old) throw new Error('fixture');
    const oldCard = await issueCard(pki, holder, { signedBy: { auth: old } });
    const issuer = await buildChain(oldCard.auth.certificate, authAnchors(), authOpts());
    expect(issuer.equal(old.certificate)).toBe(true);
  });

  it('refuses a certificate from a CA with the right DN but an unpinned key', async () => {
    const forged = await issueCard(foreign, holder);
    await expectCode(buildChain(forged.auth.certificate, authAnchors(), authOpts()), 'ERR_JPKI_UNTRUSTED_CA');
  });

  it('refuses an authentication-profile certificate issued by the signing CA', async () => {
    const crossed = await issueCard(pki, holder, { signedBy: { auth: pki.signCa } });
    await expectCode(
      buildChain(crossed.auth.certificate, authAnchors(), authOpts()),
      'ERR_JPKI_WRONG_CA_KIND',
    );
    await expectCode(
      buildChain(crossed.auth.certificate, authAnchors(), { ...authOpts(), otherKindAnchors: [] }),
      'ERR_JPKI_UNTRUSTED_CA',
    );
  });

  it('refuses a signing certificate presented for authentication', async () => {
    await expectCode(buildChain(card.sign.certificate, authAnchors(), authOpts()), 'ERR_JPKI_WRONG_CA_KIND');
  });

  it('refuses expired and not-yet-valid certificates', async () => {
    const day = 86400_000;
    const expired = await issueCard(pki, holder, {
      notBefore: new Date(now() - 10 * day),
      notAfter: new Date(now() - day),
    });
    await expectCode(buildChain(expired.auth.certificate, authAnchors(), authOpts()), 'ERR_JPKI_EXPIRED');
    const future = await issueCard(pki, holder, {
      notBefore: new Date(now() + day),
      notAfter: new Date(now() + 10 * day),
    });
    await expectCode(
      buildChain(future.auth.certificate, authAnchors(), authOpts()),
      'ERR_JPKI_NOT_YET_VALID',
    );
  });

  it('refuses a CA certificate as end entity and a missing key usage', async () => {
    const ca = await customCert(pki.authCa, {
      extensions: [...authProfileExtensions(), new BasicConstraintsExtension(true, undefined, true)],
    });
    await expectCode(buildChain(ca.certificate, authAnchors(), authOpts()), 'ERR_JPKI_KEY_USAGE');
    const noKu = await customCert(pki.authCa, {
      extensions: [new CertificatePolicyExtension([POLICY_AUTH], true)],
    });
    await expectCode(buildChain(noKu.certificate, authAnchors(), authOpts()), 'ERR_JPKI_KEY_USAGE');
  });

  it('requires nonRepudiation for signing certificates', async () => {
    expect(() => checkKeyUsage(card.sign.certificate, 'sign')).not.toThrow();
    await expectCode(() => checkKeyUsage(card.auth.certificate, 'sign'), 'ERR_JPKI_KEY_USAGE');
    const signOnlyDs = await customCert(pki.signCa, {
      extensions: [
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new CertificatePolicyExtension([POLICY_SIGN_TEST], true),
      ],
    });
    await expectCode(buildChain(signOnlyDs.certificate, signAnchors(), signOpts()), 'ERR_JPKI_KEY_USAGE');
  });

  it('requires a configured certificate policy', async () => {
    await expectCode(
      buildChain(card.sign.certificate, signAnchors(), { ...signOpts(), policies: [POLICY_SIGN_PRODUCTION] }),
      'ERR_JPKI_POLICY',
    );
    const production = await issueCard(pki, holder, { policy: 'production' });
    await buildChain(production.sign.certificate, signAnchors(), {
      ...signOpts(),
      policies: [POLICY_SIGN_PRODUCTION],
    });
  });

  it('refuses an unknown critical extension', async () => {
    const odd = await customCert(pki.authCa, {
      extensions: [...authProfileExtensions(), new Extension('1.2.3.4.5', true, new Uint8Array([5, 0]))],
    });
    await expectCode(buildChain(odd.certificate, authAnchors(), authOpts()), 'ERR_JPKI_CRITICAL_EXTENSION');
    const benign = await customCert(pki.authCa, {
      extensions: [...authProfileExtensions(), new Extension('1.2.3.4.5', false, new Uint8Array([5, 0]))],
    });
    await buildChain(benign.certificate, authAnchors(), authOpts());
  });

  it('only uses anchors that are CAs allowed to sign certificates', async () => {
    expect(isUsableAnchor(pki.authCa.certificate, now())).toBe(true);
    expect(isUsableAnchor(card.auth.certificate, now())).toBe(false);
    // A pinned "anchor" without CA:TRUE cannot issue: its certificates are untrusted.
    const notCa = await customCert(pki.authCa, { subject: 'C=JP, CN=not a CA' });
    const child = await customCert({ certificate: notCa.certificate, privateKey: notCa.privateKey });
    await expectCode(buildChain(child.certificate, [notCa.certificate], authOpts()), 'ERR_JPKI_UNTRUSTED_CA');
  });
});
