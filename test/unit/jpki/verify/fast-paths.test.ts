/**
 * The first-seen fast paths: certificates parsed without asn1js's speculative decoding of
 * OCTET/BIT STRING contents, profile extensions decoded once per distinct value
 * (DecodedExtensionCache), signature algorithms from the OID, OCSP cache keys without a
 * CertID. Each must give exactly the result of the slow path and refuse what it refuses.
 */
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import {
  AuthorityInfoAccessExtension,
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
} from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  POLICY_AUTH,
  POLICY_SIGN_TEST,
  type RevocationServer,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import {
  CertificateFacts,
  DecodedExtensionCache,
  factsOf,
  sharedExtensionCache,
  sharedIssuerNameCache,
} from '../../../../adapters/jpki/verify/certificate.js';
import { CertificateCache } from '../../../../adapters/jpki/verify/certificate-cache.js';
import { parseCertificateDer } from '../../../../adapters/jpki/verify/der.js';
import {
  type JpkiLoginInput,
  type JpkiVerifyDeps,
  verifyJpkiLogin,
} from '../../../../adapters/jpki/verify/login.js';
import { OcspChecker } from '../../../../adapters/jpki/verify/ocsp.js';
import { cardSign, customCert, der, expectCode, verifyDeps } from './fixtures.js';

const holder = TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number];
const challenge = new TextEncoder().encode('kakehashi-jpki-v1\nhttps://gw.example\nuid-1\n1700000000\nfast');
let pki: TestPki;
let server: RevocationServer;
let card: IssuedCard;

/** First-seen: no parsed-certificate cache, so every login parses and decodes its certificate. */
function deps(extra: Partial<JpkiVerifyDeps> = {}): JpkiVerifyDeps {
  return verifyDeps(pki, { certificateCache: new CertificateCache(0), ...extra });
}

async function login(certificate: X509Certificate, key: CryptoKey): Promise<JpkiLoginInput> {
  return { challenge, authCertificate: der(certificate), authSignature: await cardSign(key, challenge) };
}

beforeAll(async () => {
  pki = await createTestPki({ generations: 2 });
  server = await startRevocationServer(pki);
  card = await issueCard(pki, holder, {
    ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
  });
});

afterAll(async () => {
  await server.close();
});

describe('certificate parsing without speculative embedded decoding', () => {
  it('gives every field a default @peculiar/x509 parse gives', () => {
    for (const cert of [card.auth.certificate, card.sign.certificate]) {
      const fast = parseCertificateDer(der(cert));
      const slow = new X509Certificate(cert.rawData);
      const slowAsn = AsnConvert.parse(cert.rawData, Certificate);
      const fastAsn = factsOf(fast).asn;
      const bytes = (b: ArrayBuffer | undefined) => Buffer.from(b ?? new ArrayBuffer(0)).toString('hex');
      expect(bytes(fastAsn.tbsCertificateRaw)).toBe(bytes(slowAsn.tbsCertificateRaw));
      expect(bytes(fastAsn.tbsCertificateRaw).length).toBeGreaterThan(1000);
      expect(bytes(fastAsn.signatureValue)).toBe(bytes(slowAsn.signatureValue));
      expect(Buffer.from(fast.publicKey.rawData).equals(Buffer.from(slow.publicKey.rawData))).toBe(true);
      expect([fast.subject, fast.issuer, fast.serialNumber]).toEqual([
        slow.subject,
        slow.issuer,
        slow.serialNumber,
      ]);
      expect([fast.notBefore, fast.notAfter]).toEqual([slow.notBefore, slow.notAfter]);
      // The names' DER is the bytes the parser kept, equal to a re-encode of the decoded Name (DER input).
      expect(factsOf(fast).issuerDer.toString('hex')).toBe(
        Buffer.from(AsnConvert.serialize(slowAsn.tbsCertificate.issuer)).toString('hex'),
      );
      expect(factsOf(fast).subjectDer.toString('hex')).toBe(
        Buffer.from(AsnConvert.serialize(slowAsn.tbsCertificate.subject)).toString('hex'),
      );
      expect(Buffer.from(fast.rawData).equals(Buffer.from(cert.rawData))).toBe(true);
      expect(factsOf(fast).issuerName).toBe(slow.issuer);
      const exts = (c: X509Certificate) =>
        c.extensions.map((e) => `${e.type}|${e.critical}|${Buffer.from(e.value).toString('hex')}`);
      expect(exts(fast)).toEqual(exts(slow));
      // The signature algorithm read from the OID is the one the library's registry names.
      expect(factsOf(fast).nodeSignatureHash).toBe('sha256');
      expect(slow.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } });
    }
  });
});

describe('issuer name cache', () => {
  it('is keyed by the issuer DER: certificates of other issuers get their own DN', async () => {
    // Warm the cache with the authentication CA's DN, then ask for certificates of other issuers.
    expect(factsOf(parseCertificateDer(der(card.auth.certificate))).issuerName).toBe(
      card.auth.certificate.issuer,
    );
    const others = [
      card.sign.certificate,
      (await customCert(pki.signCa)).certificate,
      ...pki.signCaGenerations.map((g) => g.certificate),
    ];
    for (const cert of others) {
      expect(cert.issuer).not.toBe(card.auth.certificate.issuer);
      expect(factsOf(parseCertificateDer(der(cert))).issuerName).toBe(cert.issuer);
      expect(new CertificateFacts(new X509Certificate(cert.rawData)).issuerName).toBe(cert.issuer);
    }
    expect(sharedIssuerNameCache.size).toBeGreaterThanOrEqual(2);
  });
});

describe('DecodedExtensionCache', () => {
  it('decodes each (OID, value bytes) once, LRU-bounded, and stores no failure', () => {
    const cache = new DecodedExtensionCache(2);
    let calls = 0;
    const decode = (v: ArrayBuffer) => {
      calls++;
      return new Uint8Array(v)[0];
    };
    const a = new Uint8Array([1, 2]).buffer;
    expect(cache.decode('1.2', a, decode)).toBe(1);
    expect(cache.decode('1.2', new Uint8Array([1, 2]).buffer, decode)).toBe(1);
    expect(calls).toBe(1);
    // Same bytes under another OID, or other bytes under the same OID, are other entries.
    expect(cache.decode('1.3', a, decode)).toBe(1);
    expect(cache.decode('1.2', new Uint8Array([7, 2]).buffer, decode)).toBe(7);
    expect(calls).toBe(3);
    expect(cache.size).toBe(2);
    // '1.2' [1, 2] was the least recently used and is gone.
    cache.decode('1.2', a, decode);
    expect(calls).toBe(4);
    const failing = () => {
      calls++;
      throw new Error('bad');
    };
    expect(() => cache.decode('1.4', a, failing)).toThrow('bad');
    expect(() => cache.decode('1.4', a, failing)).toThrow('bad');
    expect(calls).toBe(6);
    const off = new DecodedExtensionCache(0);
    off.decode('1.2', a, decode);
    off.decode('1.2', a, decode);
    expect(off.size).toBe(0);
    expect(calls).toBe(8);
    const big = new Uint8Array(DecodedExtensionCache.MAX_VALUE_BYTES + 1).buffer;
    cache.decode('1.5', big, () => 0);
    cache.decode('1.5', big, () => 0);
    expect(cache.size).toBe(2);
  });

  it('gives the facts an unshared decode gives, for cards and anchors', () => {
    const certs = [
      card.auth.certificate,
      card.sign.certificate,
      ...pki.authCaGenerations.map((g) => g.certificate),
    ];
    for (const cert of certs) {
      const alone = new CertificateFacts(new X509Certificate(cert.rawData), new DecodedExtensionCache(0));
      const shared = new CertificateFacts(new X509Certificate(cert.rawData), sharedExtensionCache);
      factsOf(parseCertificateDer(der(cert))).policies; // warm the shared cache from another object
      for (const f of [shared, alone]) void [f.keyUsage, f.isCa, f.policies, f.ocspUrls, f.authorityKeyId];
      expect(shared.keyUsage).toBe(alone.keyUsage);
      expect(shared.isCa).toBe(alone.isCa);
      expect(shared.policies).toEqual(alone.policies);
      expect(shared.ocspUrls).toEqual(alone.ocspUrls);
      expect(shared.authorityKeyId?.toString('hex')).toBe(alone.authorityKeyId?.toString('hex'));
    }
    // Handed-out values cannot change what the next certificate is told.
    const facts = factsOf(parseCertificateDer(der(card.auth.certificate)));
    expect(Object.isFrozen(facts.policies)).toBe(true);
    const aki = facts.authorityKeyId;
    aki?.fill(0);
    expect(
      factsOf(parseCertificateDer(der(card.auth.certificate))).authorityKeyId?.equals(aki ?? Buffer.alloc(0)),
    ).toBe(false);
  });

  it('after a good card warmed it, still refuses certificates whose profile extensions differ', async () => {
    await verifyJpkiLogin(await login(card.auth.certificate, card.auth.privateKey), deps());
    const ocsp = new AuthorityInfoAccessExtension({ ocsp: server.ocspUrl('auth') });
    const variant = async (extensions: Extension[]) => {
      const c = await customCert(pki.authCa, { extensions: [...extensions, ocsp] });
      return login(c.certificate, c.privateKey);
    };
    await expectCode(
      verifyJpkiLogin(
        await variant([
          new KeyUsagesExtension(KeyUsageFlags.keyEncipherment, true),
          new CertificatePolicyExtension([POLICY_AUTH], true),
        ]),
        deps(),
      ),
      'ERR_JPKI_KEY_USAGE',
    );
    await expectCode(
      verifyJpkiLogin(
        await variant([
          new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
          new CertificatePolicyExtension([POLICY_SIGN_TEST], true),
        ]),
        deps(),
      ),
      'ERR_JPKI_POLICY',
    );
    await expectCode(
      verifyJpkiLogin(
        await variant([
          new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
          new CertificatePolicyExtension([POLICY_AUTH], true),
          new BasicConstraintsExtension(true, undefined, true),
        ]),
        deps(),
      ),
      'ERR_JPKI_KEY_USAGE',
    );
    // Byte-identical profile extensions from a CA that is not pinned: the chain still decides.
    const foreign = await createTestPki({ generations: 1 });
    const stranger = await issueCard(foreign, holder, {
      ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
    });
    await expectCode(
      verifyJpkiLogin(await login(stranger.auth.certificate, stranger.auth.privateKey), deps()),
      'ERR_JPKI_UNTRUSTED_CA',
    );
    // A malformed value is refused every time, warm cache or not.
    const broken = await variant([
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new Extension('2.5.29.32', true, new Uint8Array([0x30, 0x03, 0x06, 0x01])),
    ]);
    await expectCode(verifyJpkiLogin(broken, deps()), 'ERR_JPKI_MALFORMED');
    await expectCode(verifyJpkiLogin(broken, deps()), 'ERR_JPKI_MALFORMED');
  });
});

describe('OCSP cache key without a CertID', () => {
  it('keeps apart certificates with the same serial from two CA generations', async () => {
    const clock = Date.now();
    const checker = new OcspChecker({ fetch, now: () => clock });
    const current = await customCert(pki.authCa, {
      extensions: [new AuthorityInfoAccessExtension({ ocsp: server.ocspUrl('auth') })],
    });
    const older = pki.authCaGenerations[1];
    if (!older) throw new Error('fixture');
    const sameSerial = await customCert(older, {
      serialNumber: current.certificate.serialNumber,
      extensions: [new AuthorityInfoAccessExtension({ ocsp: server.ocspUrl('auth') })],
    });
    expect(sameSerial.certificate.serialNumber).toBe(current.certificate.serialNumber);
    await checker.check(current.certificate, pki.authCa.certificate);
    server.revoke(sameSerial.certificate);
    const before = server.requestCount.ocsp;
    await expectCode(checker.check(sameSerial.certificate, older.certificate), 'ERR_JPKI_REVOKED');
    expect(server.requestCount.ocsp).toBe(before + 1);
    // The first certificate's cached good answer is untouched and still served.
    await checker.check(current.certificate, pki.authCa.certificate);
    expect(server.requestCount.ocsp).toBe(before + 1);
  });
});
