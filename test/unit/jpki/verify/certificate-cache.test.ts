/**
 * The parsed-certificate cache and the per-certificate memos must only save
 * parsing: every check still runs on every login against the cached object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  POLICY_SIGN_TEST,
  type RevocationServer,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import { parseSigningAttributes } from '../../../../adapters/jpki/verify/attributes.js';
import { CertificateCache } from '../../../../adapters/jpki/verify/certificate-cache.js';
import { MAX_CERTIFICATE_BYTES } from '../../../../adapters/jpki/verify/der.js';
import {
  type JpkiLoginInput,
  type JpkiVerifyDeps,
  verifyJpkiLogin,
} from '../../../../adapters/jpki/verify/login.js';
import { SimulatedLinkageService } from '../../../../adapters/jpki/verify/subject.js';
import { cardSign, der, expectCode, verifyDeps } from './fixtures.js';

const holder = TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number];
const challenge = new TextEncoder().encode('kakehashi-jpki-v1\nhttps://gw.example\nuid-1\n1700000000\ncache');
let pki: TestPki;
let foreign: TestPki;
let server: RevocationServer;
let card: IssuedCard;
let otherCard: IssuedCard;
const linkage = new SimulatedLinkageService();

function deps(cache: CertificateCache, extra: Partial<JpkiVerifyDeps> = {}): JpkiVerifyDeps {
  return verifyDeps(pki, { linkage, certificateCache: cache, ...extra });
}

async function input(c: IssuedCard, sign = false): Promise<JpkiLoginInput> {
  return {
    challenge,
    authCertificate: der(c.auth.certificate),
    authSignature: await cardSign(c.auth.privateKey, challenge),
    ...(sign && {
      signCertificate: der(c.sign.certificate),
      signSignature: await cardSign(c.sign.privateKey, challenge),
    }),
  };
}

async function issue(): Promise<IssuedCard> {
  const c = await issueCard(pki, holder, {
    ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
  });
  linkage.link({ auth: c.auth.certificate, sign: c.sign.certificate });
  return c;
}

beforeAll(async () => {
  pki = await createTestPki({ generations: 1 });
  foreign = await createTestPki({ generations: 1 });
  server = await startRevocationServer(pki);
  card = await issue();
  otherCard = await issue();
});

afterAll(async () => {
  await server.close();
});

describe('CertificateCache', () => {
  it('returns the same parsed object for the same bytes, bounded LRU, nothing when disabled', () => {
    const cache = new CertificateCache(1);
    const a = cache.parse(der(card.auth.certificate));
    expect(cache.parse(der(card.auth.certificate)).cert).toBe(a.cert);
    expect(a.sha256.toString('base64url')).toHaveLength(43);
    const b = cache.parse(der(otherCard.auth.certificate));
    expect(b.cert).not.toBe(a.cert);
    expect(cache.size).toBe(1);
    expect(cache.parse(der(card.auth.certificate)).cert).not.toBe(a.cert);
    const off = new CertificateCache(0);
    expect(off.parse(der(card.auth.certificate)).cert).not.toBe(off.parse(der(card.auth.certificate)).cert);
    expect(off.size).toBe(0);
  });

  it('refuses malformed and oversized DER exactly as parseCertificateDer does, and caches no failure', async () => {
    const cache = new CertificateCache();
    const bytes = der(card.auth.certificate);
    await expectCode(() => cache.parse(new Uint8Array([...bytes, 0])), 'ERR_JPKI_MALFORMED');
    await expectCode(() => cache.parse(new Uint8Array([...bytes, 0])), 'ERR_JPKI_MALFORMED');
    await expectCode(() => cache.parse(bytes.slice(0, -10)), 'ERR_JPKI_MALFORMED');
    await expectCode(() => cache.parse(new Uint8Array(MAX_CERTIFICATE_BYTES + 1)), 'ERR_JPKI_TOO_LARGE');
    expect(cache.size).toBe(0);
  });
});

describe('verifyJpkiLogin with a returning card', () => {
  it('checks the challenge signature on every login', async () => {
    const cache = new CertificateCache();
    const good = await input(card);
    await verifyJpkiLogin(good, deps(cache));
    const forged = { ...good, authSignature: await cardSign(otherCard.auth.privateKey, challenge) };
    await expectCode(verifyJpkiLogin(forged, deps(cache)), 'ERR_JPKI_SIGNATURE');
  });

  it('checks the chain against the anchors of each call, not those of the first login', async () => {
    const cache = new CertificateCache();
    const good = await input(card);
    await verifyJpkiLogin(good, deps(cache));
    const foreignAnchors = foreign.authCaGenerations.map((g) => g.certificate);
    await expectCode(
      verifyJpkiLogin(good, deps(cache, { authAnchors: foreignAnchors, signAnchors: [] })),
      'ERR_JPKI_UNTRUSTED_CA',
    );
    await expectCode(
      verifyJpkiLogin(good, deps(cache, { policies: { auth: ['1.2.3'], sign: [POLICY_SIGN_TEST] } })),
      'ERR_JPKI_POLICY',
    );
  });

  it('evaluates time validity on every login', async () => {
    const cache = new CertificateCache();
    const good = await input(card);
    await verifyJpkiLogin(good, deps(cache));
    const later = card.auth.certificate.notAfter.getTime() + 1000;
    await expectCode(verifyJpkiLogin(good, deps(cache, { now: () => later })), 'ERR_JPKI_EXPIRED');
  });

  it('asks the revocation checker on every login', async () => {
    const cache = new CertificateCache();
    const c = await issue();
    const good = await input(c);
    await verifyJpkiLogin(good, deps(cache));
    server.revoke(c.auth.certificate);
    // A fresh checker has no cached answer: the certificate cache must not stand in for one.
    await expectCode(verifyJpkiLogin(good, deps(cache)), 'ERR_JPKI_REVOKED');
  });

  it('hands out a fresh copy of the memoised attributes', async () => {
    const cache = new CertificateCache();
    const first = await verifyJpkiLogin(await input(card, true), deps(cache));
    first.person.birthDate = '1900-01-01';
    const again = await verifyJpkiLogin(await input(card, true), deps(cache));
    expect(again.person.birthDate).toBe('1985-04-12');
    const parsed = parseSigningAttributes(card.sign.certificate);
    parsed.verified.length = 0;
    expect(parseSigningAttributes(card.sign.certificate).verified).toHaveLength(5);
  });
});
