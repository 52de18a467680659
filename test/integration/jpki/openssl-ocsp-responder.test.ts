/**
 * Our OCSP and CRL checkers against OpenSSL as an independent responder and CRL issuer: `openssl ocsp
 * -port` serving an index.txt of the test PKI's cards, `openssl ca -gencrl` publishing CRLs. Every
 * other revocation test talks to our own responder; this one checks that we accept what an honest
 * second implementation produces, in its own encoding choices, and refuse what we must.
 */
import 'reflect-metadata';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicOCSPResponse, id_pkix_ocsp_nonce, OCSPRequest, OCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  Name as AsnName,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  GeneralName,
  id_ce_cRLDistributionPoints,
} from '@peculiar/asn1-x509';
import {
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaMaterial,
  createTestPki,
  type IssuedCard,
  issueCard,
  SIGNING_ALGORITHM,
  TEST_HOLDERS,
  type TestPki,
} from '../../../adapters/jpki/pki/index.js';
import { generateRsaKeyPair, privateKeyToPem, randomSerialHex } from '../../../adapters/jpki/pki/keys.js';
import { CrlChecker } from '../../../adapters/jpki/verify/crl.js';
import { OcspChecker, type OcspCheckerOptions } from '../../../adapters/jpki/verify/ocsp.js';
import { type CrlServer, serveCrls } from '../../helpers/crl-server.js';
import {
  gencrlWithOpenssl,
  type IndexEntry,
  issueResponderWithOpenssl,
  type OpensslResponder,
  opensslAvailable,
  startOpensslResponder,
  stopAllResponders,
  writeIndex,
} from '../../helpers/openssl-pki.js';
import { authProfileExtensions, customCert, expectCode } from '../../unit/jpki/verify/fixtures.js';

const available = opensslAvailable('the OpenSSL OCSP responder / CRL issuer tests');
const holder = TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number];
const MINUTE = 60_000;

let dir: string;
let pki: TestPki;
let foreign: TestPki;
/** In index.txt as valid. */
let good: IssuedCard;
/** In index.txt as revoked (keyCompromise) from the start. */
let revoked: IssuedCard;
/** Issued by the CA but never entered in index.txt. */
let missing: IssuedCard;
let baseIndex: IndexEntry[];
let crlServer: CrlServer;
let crlBase: string;

async function saveCa(material: CaMaterial, name: string): Promise<void> {
  await writeFile(join(dir, `${name}.pem`), material.certificate.toString('pem'));
  await writeFile(join(dir, `${name}.key`), await privateKeyToPem(material.privateKey), { mode: 0o600 });
}

/** id-kp-OCSPSigning, signed with the CA's key, but its issuer field names someone else. */
async function renamedIssuerResponder(ca: CaMaterial): Promise<CaMaterial> {
  const keys = await generateRsaKeyPair();
  const certificate = await X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: 'C=JP, O=JPKI-TEST, CN=renamed-issuer',
    issuer: 'C=JP, O=JPKI-TEST, CN=not the authentication CA',
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 30 * 24 * 3600_000),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.ocspSigning], false),
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

async function certificateFile(name: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(join(dir, `${name}.pem`), 'utf8'));
}

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(join(tmpdir(), 'jpki-openssl-responder-'));
  pki = await createTestPki({ generations: 2 });
  foreign = await createTestPki({ generations: 1 });
  [good, revoked, missing] = [
    await issueCard(pki, holder),
    await issueCard(pki, holder),
    await issueCard(pki, holder),
  ];
  await saveCa(pki.authCa, 'ca');
  await saveCa(pki.authOcspResponder, 'delegated');
  // The same DN as the current root, another key (J-LIS generations share their DN).
  await saveCa(pki.authCaGenerations[1] as CaMaterial, 'ca-gen1');
  await saveCa(foreign.authCa, 'foreign-ca');
  baseIndex = [
    { certificate: good.auth.certificate },
    {
      certificate: revoked.auth.certificate,
      revoked: { at: new Date(Date.now() - MINUTE), reason: 'keyCompromise' },
    },
  ];
  await writeIndex(join(dir, 'index.txt'), baseIndex);
  await saveCa(await renamedIssuerResponder(pki.authCa), 'renamed-issuer');
  await Promise.all([
    issueResponderWithOpenssl(dir, 'openssl-delegated', 'ca', 'OCSPSigning'),
    issueResponderWithOpenssl(dir, 'no-eku', 'ca', undefined),
    issueResponderWithOpenssl(dir, 'any-eku', 'ca', 'anyExtendedKeyUsage'),
    issueResponderWithOpenssl(dir, 'gen1-delegated', 'ca-gen1', 'OCSPSigning'),
    issueResponderWithOpenssl(dir, 'foreign-delegated', 'foreign-ca', 'OCSPSigning'),
  ]);
  // CRLs are files OpenSSL wrote; this only serves them over HTTP (GET /<name>).
  crlServer = await serveCrls((name) => readFile(join(dir, name)));
  crlBase = crlServer.base;
});

afterAll(async () => {
  await stopAllResponders();
  await crlServer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fetch that counts requests and keeps the last response body (to see what OpenSSL encoded). */
function recordingFetch(rewriteRequest?: (der: Uint8Array) => Uint8Array<ArrayBuffer>) {
  const log = { requests: 0, last: undefined as Uint8Array<ArrayBuffer> | undefined };
  const f: typeof fetch = async (input, init) => {
    log.requests++;
    const body = rewriteRequest ? rewriteRequest(new Uint8Array(init?.body as Uint8Array)) : init?.body;
    const res = await fetch(input, { ...init, body });
    log.last = new Uint8Array(await res.arrayBuffer());
    return new Response(log.last, { status: res.status, headers: res.headers });
  };
  return { fetch: f, log };
}

function basicOf(der: Uint8Array | undefined): BasicOCSPResponse {
  if (!der) throw new Error('no response recorded');
  const res = AsnConvert.parse(der, OCSPResponse);
  if (!res.responseBytes) throw new Error('no responseBytes');
  return AsnConvert.parse(res.responseBytes.response, BasicOCSPResponse);
}

/** Start OpenSSL for the auth CA (or the CA certificates in `files.ca`) with `signer` (`<signer>.pem/.key`), run `body`, stop it. */
async function withResponder(
  signer: string,
  extra: string[],
  body: (r: OpensslResponder) => Promise<void>,
  files: { index?: string; ca?: string } = {},
): Promise<void> {
  const responder = await startOpensslResponder({
    cwd: dir,
    index: files.index ?? 'index.txt',
    ca: files.ca ?? 'ca.pem',
    rsigner: `${signer}.pem`,
    rkey: `${signer}.key`,
    extra,
  });
  try {
    await body(responder);
  } finally {
    await responder.close();
  }
}

const checker = (url: string, options: Partial<OcspCheckerOptions> = {}) =>
  new OcspChecker({ fetch, url, cacheMaxSeconds: 0, ...options });

describe.skipIf(!available)('our OCSP checker against openssl ocsp as the responder', () => {
  it('CA-signed, responder id by name, certificate included: good, revoked and unknown', async () => {
    await withResponder('ca', ['-nmin', '5'], async ({ url }) => {
      const rec = recordingFetch();
      expect(
        await checker(url, { fetch: rec.fetch }).check(good.auth.certificate, pki.authCa.certificate),
      ).toMatchObject({
        status: 'good',
        source: 'ocsp',
      });
      const basic = basicOf(rec.log.last);
      expect(basic.tbsResponseData.responderID.byName).toBeDefined();
      expect(basic.certs?.length).toBe(1);
      await expectCode(
        checker(url).check(revoked.auth.certificate, pki.authCa.certificate),
        'ERR_JPKI_REVOKED',
      );
      // Not in index.txt: OpenSSL answers `unknown`, which is not good.
      await expectCode(
        checker(url).check(missing.auth.certificate, pki.authCa.certificate),
        'ERR_JPKI_STATUS_UNKNOWN',
      );
    });
  });

  it('a certificate revoked in index.txt is refused once the responder serves the new index', async () => {
    const later = await issueCard(pki, holder);
    const index = 'index-later.txt';
    await writeIndex(join(dir, index), [...baseIndex, { certificate: later.auth.certificate }]);
    await withResponder(
      'delegated',
      ['-nmin', '5'],
      async ({ url }) => {
        await checker(url).check(later.auth.certificate, pki.authCa.certificate);
      },
      { index },
    );
    await writeIndex(join(dir, index), [
      ...baseIndex,
      { certificate: later.auth.certificate, revoked: { at: new Date(), reason: 'affiliationChanged' } },
    ]);
    await withResponder(
      'delegated',
      ['-nmin', '5'],
      async ({ url }) => {
        await expectCode(
          checker(url).check(later.auth.certificate, pki.authCa.certificate),
          'ERR_JPKI_REVOKED',
        );
      },
      { index },
    );
  });

  it('delegated responder (ours and one OpenSSL issued), responder id by name and by key hash', async () => {
    for (const signer of ['delegated', 'openssl-delegated']) {
      for (const byKey of [false, true]) {
        await withResponder(signer, ['-nmin', '5', ...(byKey ? ['-resp_key_id'] : [])], async ({ url }) => {
          const rec = recordingFetch();
          await checker(url, { fetch: rec.fetch }).check(good.auth.certificate, pki.authCa.certificate);
          const basic = basicOf(rec.log.last);
          expect(basic.tbsResponseData.responderID.byKey !== undefined).toBe(byKey);
          expect(basic.certs?.length).toBe(1);
          await expectCode(
            checker(url).check(revoked.auth.certificate, pki.authCa.certificate),
            'ERR_JPKI_REVOKED',
          );
        });
      }
    }
  });

  it('-resp_no_certs: a CA-signed response still verifies; a delegated one has no certificate to check and is refused', async () => {
    await withResponder('ca', ['-nmin', '5', '-resp_no_certs', '-resp_key_id'], async ({ url }) => {
      const rec = recordingFetch();
      await checker(url, { fetch: rec.fetch }).check(good.auth.certificate, pki.authCa.certificate);
      expect(basicOf(rec.log.last).certs).toBeUndefined();
    });
    // RFC 6960 §4.2.2.2: the signer must be the CA, a trusted responder the client knows, or a CA-designated
    // responder. Without its certificate in the response and none configured, we cannot know it: refused.
    await withResponder('delegated', ['-nmin', '5', '-resp_no_certs'], async ({ url }) => {
      const rec = recordingFetch();
      await expectCode(
        checker(url, { fetch: rec.fetch }).check(good.auth.certificate, pki.authCa.certificate),
        'ERR_JPKI_OCSP_SIGNER',
      );
      expect(basicOf(rec.log.last).certs).toBeUndefined();
      // Configured, the same certificate works, and revocations are seen.
      const responderCertificates = [pki.authOcspResponder.certificate];
      await checker(url, { responderCertificates }).check(good.auth.certificate, pki.authCa.certificate);
      await expectCode(
        checker(url, { responderCertificates }).check(revoked.auth.certificate, pki.authCa.certificate),
        'ERR_JPKI_REVOKED',
      );
    });
  });

  it('-resp_no_certs with a configured certificate that the CA did not authorise for OCSP is still refused', async () => {
    for (const signer of ['no-eku', 'gen1-delegated', 'renamed-issuer']) {
      await withResponder(signer, ['-nmin', '5', '-resp_no_certs'], async ({ url }) => {
        const responderCertificates = [await certificateFile(signer)];
        await expectCode(
          checker(url, { responderCertificates }).check(good.auth.certificate, pki.authCa.certificate),
          'ERR_JPKI_OCSP_SIGNER',
        );
      });
    }
  });

  it('refuses responder certificates without id-kp-OCSPSigning or not issued by this CA key', async () => {
    // no EKU; anyExtendedKeyUsage (not OCSPSigning); same DN as the CA but the older generation's key; another CA.
    // And one with OCSPSigning signed by this CA's key but naming another issuer.
    for (const signer of ['no-eku', 'any-eku', 'gen1-delegated', 'foreign-delegated', 'renamed-issuer']) {
      await withResponder(signer, ['-nmin', '5'], async ({ url }) => {
        await expectCode(
          checker(url).check(good.auth.certificate, pki.authCa.certificate),
          'ERR_JPKI_OCSP_SIGNER',
        );
      });
    }
    // The older generation's key itself, and the other PKI's CA, are not this CA either.
    for (const signer of ['ca-gen1', 'foreign-ca']) {
      await withResponder(signer, ['-nmin', '5'], async ({ url }) => {
        await expectCode(
          checker(url).check(good.auth.certificate, pki.authCa.certificate),
          'ERR_JPKI_OCSP_SIGNER',
        );
      });
    }
  });

  it("one responder for two CA generations with one DN: each generation's answers need that generation's signer", async () => {
    const gen1 = pki.authCaGenerations[1] as CaMaterial;
    const oldCard = await issueCard(pki, holder, { signedBy: { auth: gen1 } });
    const index = 'index-generations.txt';
    await writeIndex(join(dir, index), [...baseIndex, { certificate: oldCard.auth.certificate }]);
    await writeFile(
      join(dir, 'ca-both.pem'),
      `${pki.authCa.certificate.toString('pem')}\n${gen1.certificate.toString('pem')}\n`,
    );
    // Signed by the current generation's delegated responder: fine for its own cards only.
    await withResponder(
      'delegated',
      ['-nmin', '5'],
      async ({ url }) => {
        await checker(url).check(good.auth.certificate, pki.authCa.certificate);
        await expectCode(
          checker(url).check(oldCard.auth.certificate, gen1.certificate),
          'ERR_JPKI_OCSP_SIGNER',
        );
      },
      { index, ca: 'ca-both.pem' },
    );
    // Signed by the older generation's key itself: fine for its cards, not for the current generation's.
    await withResponder(
      'ca-gen1',
      ['-nmin', '5'],
      async ({ url }) => {
        await checker(url).check(oldCard.auth.certificate, gen1.certificate);
        await expectCode(
          checker(url).check(good.auth.certificate, pki.authCa.certificate),
          'ERR_JPKI_OCSP_SIGNER',
        );
      },
      { index, ca: 'ca-both.pem' },
    );
  });

  it('without nextUpdate (no -nmin/-ndays) a response is used once, never cached, and stale 5 min after thisUpdate', async () => {
    await withResponder('delegated', [], async ({ url }) => {
      const rec = recordingFetch();
      const c = checker(url, { fetch: rec.fetch, cacheMaxSeconds: 3600 });
      await c.check(good.auth.certificate, pki.authCa.certificate);
      expect(basicOf(rec.log.last).tbsResponseData.responses[0]?.nextUpdate).toBeUndefined();
      await c.check(good.auth.certificate, pki.authCa.certificate);
      expect(rec.log.requests).toBe(2);
      // A verifier clock 8 minutes ahead of OpenSSL's: thisUpdate + 300 s (+120 s skew) has passed.
      const ahead = checker(url, { now: () => Date.now() + 8 * MINUTE });
      await expectCode(ahead.check(good.auth.certificate, pki.authCa.certificate), 'ERR_JPKI_OCSP_STALE');
    });
  });

  it('with nextUpdate (-nmin 5) a good answer is cached until nextUpdate and asked again after it', async () => {
    let clock = Date.now();
    await withResponder('delegated', ['-nmin', '5'], async ({ url }) => {
      const rec = recordingFetch();
      const c = checker(url, { fetch: rec.fetch, cacheMaxSeconds: 3600, now: () => clock });
      await c.check(good.auth.certificate, pki.authCa.certificate);
      const nextUpdate = basicOf(rec.log.last).tbsResponseData.responses[0]?.nextUpdate?.getTime() ?? 0;
      expect(nextUpdate - Date.now()).toBeGreaterThan(4 * MINUTE);
      expect(nextUpdate - Date.now()).toBeLessThanOrEqual(5 * MINUTE);
      await c.check(good.auth.certificate, pki.authCa.certificate);
      expect(rec.log.requests).toBe(1);
      clock = nextUpdate + 1000;
      await c.check(good.auth.certificate, pki.authCa.certificate);
      expect(rec.log.requests).toBe(2);
    });
  });

  it('nonce: OpenSSL echoes ours; a responder that sends none is refused unless requireNonce is off', async () => {
    // Our request without its nonce extension, as a responder that ignores nonces would see it.
    const withoutNonce = (der: Uint8Array) => {
      const req = AsnConvert.parse(der, OCSPRequest);
      expect(req.tbsRequest.requestExtensions?.some((e) => e.extnID === id_pkix_ocsp_nonce)).toBe(true);
      req.tbsRequest.requestExtensions = undefined;
      return new Uint8Array(AsnConvert.serialize(req));
    };
    await withResponder('delegated', ['-nmin', '5'], async ({ url }) => {
      const echo = recordingFetch();
      await checker(url, { fetch: echo.fetch }).check(good.auth.certificate, pki.authCa.certificate);
      const ext = basicOf(echo.log.last).tbsResponseData.responseExtensions;
      expect(ext?.some((e) => e.extnID === id_pkix_ocsp_nonce)).toBe(true);

      const silent = recordingFetch(withoutNonce);
      await expectCode(
        checker(url, { fetch: silent.fetch }).check(good.auth.certificate, pki.authCa.certificate),
        'ERR_JPKI_OCSP_NONCE',
      );
      expect(basicOf(silent.log.last).tbsResponseData.responseExtensions).toBeUndefined();
      const lax = checker(url, { fetch: recordingFetch(withoutNonce).fetch, requireNonce: false });
      await lax.check(good.auth.certificate, pki.authCa.certificate);
      // requireNonce: false never lets a revoked certificate through.
      await expectCode(
        checker(url, { fetch: recordingFetch(withoutNonce).fetch, requireNonce: false }).check(
          revoked.auth.certificate,
          pki.authCa.certificate,
        ),
        'ERR_JPKI_REVOKED',
      );
    });
  });

  it('signature algorithms: sha256/384/512WithRSA are accepted, sha1WithRSA and RSA-PSS are refused', async () => {
    const cases: [string[], string, boolean][] = [
      [[], '1.2.840.113549.1.1.11', true],
      [['-rmd', 'sha384'], '1.2.840.113549.1.1.12', true],
      [['-rmd', 'sha512'], '1.2.840.113549.1.1.13', true],
      [['-rmd', 'sha1'], '1.2.840.113549.1.1.5', false],
      [['-rsigopt', 'rsa_padding_mode:pss'], '1.2.840.113549.1.1.10', false],
    ];
    for (const [extra, oid, accepted] of cases) {
      await withResponder('delegated', ['-nmin', '5', ...extra], async ({ url }) => {
        const rec = recordingFetch();
        const result = checker(url, { fetch: rec.fetch }).check(
          good.auth.certificate,
          pki.authCa.certificate,
        );
        if (accepted) await result;
        else await expectCode(result, 'ERR_JPKI_OCSP_SIGNER');
        expect(basicOf(rec.log.last).signatureAlgorithm.algorithm).toBe(oid);
      });
    }
  });

  it('-rother: extra certificates beside the delegated responder certificate do not matter', async () => {
    await withResponder('delegated', ['-nmin', '5', '-rother', 'ca-gen1.pem'], async ({ url }) => {
      const rec = recordingFetch();
      await checker(url, { fetch: rec.fetch }).check(good.auth.certificate, pki.authCa.certificate);
      expect(basicOf(rec.log.last).certs?.length).toBe(2);
    });
  });

  it('-rcid sha256: a SingleResponse whose CertID uses another hash than our request is not an answer', async () => {
    await withResponder('delegated', ['-nmin', '5', '-rcid', 'sha256'], async ({ url }) => {
      await expectCode(
        checker(url).check(good.auth.certificate, pki.authCa.certificate),
        'ERR_JPKI_STATUS_UNKNOWN',
      );
      await expectCode(
        checker(url).check(revoked.auth.certificate, pki.authCa.certificate),
        'ERR_JPKI_STATUS_UNKNOWN',
      );
    });
  });
});

describe.skipIf(!available)('our CRL checker against CRLs from openssl ca -gencrl', () => {
  const crlChecker = (name: string, now?: () => number) =>
    new CrlChecker({ fetch, url: crlBase + name, ...(now ? { now } : {}) });

  it('v2 CRL (cRLNumber, authorityKeyIdentifier): good serial, revoked serial', async () => {
    await gencrlWithOpenssl(dir, { caName: 'ca', index: 'index.txt', out: 'v2.crl', v2: true });
    expect(await crlChecker('v2.crl').check(good.auth.certificate, pki.authCa.certificate)).toMatchObject({
      status: 'good',
      source: 'crl',
    });
    await expectCode(
      crlChecker('v2.crl').check(revoked.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_REVOKED',
    );
  });

  it('v1 CRL without extensions, and an empty CRL (no revokedCertificates at all)', async () => {
    await gencrlWithOpenssl(dir, { caName: 'ca', index: 'index.txt', out: 'v1.crl', v2: false });
    await crlChecker('v1.crl').check(good.auth.certificate, pki.authCa.certificate);
    await expectCode(
      crlChecker('v1.crl').check(revoked.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_REVOKED',
    );
    await writeIndex(join(dir, 'index-empty.txt'), [{ certificate: good.auth.certificate }]);
    await gencrlWithOpenssl(dir, { caName: 'ca', index: 'index-empty.txt', out: 'empty.crl', v2: true });
    await crlChecker('empty.crl').check(revoked.auth.certificate, pki.authCa.certificate);
  });

  it('refuses a CRL signed by another key: the older generation with the same DN, another CA', async () => {
    await gencrlWithOpenssl(dir, { caName: 'ca-gen1', index: 'index-empty.txt', out: 'gen1.crl', v2: true });
    await gencrlWithOpenssl(dir, {
      caName: 'foreign-ca',
      index: 'index-empty.txt',
      out: 'foreign.crl',
      v2: true,
    });
    for (const name of ['gen1.crl', 'foreign.crl']) {
      await expectCode(
        crlChecker(name).check(good.auth.certificate, pki.authCa.certificate),
        'ERR_JPKI_CRL_SIGNATURE',
      );
    }
  });

  it('refuses an OpenSSL CRL past its nextUpdate', async () => {
    await gencrlWithOpenssl(dir, { caName: 'ca', index: 'index.txt', out: 'short.crl', v2: true, hours: 1 });
    await crlChecker('short.crl').check(good.auth.certificate, pki.authCa.certificate);
    await expectCode(
      crlChecker('short.crl', () => Date.now() + 65 * MINUTE).check(
        good.auth.certificate,
        pki.authCa.certificate,
      ),
      'ERR_JPKI_CRL_STALE',
    );
  });
});

/** Card certificates with a JPKI-style CRL distribution point: a directoryName of the municipality's partition. */
async function partitionCard(ca: CaMaterial, city: string) {
  const dp = new DistributionPoint({
    distributionPoint: new DistributionPointName({
      fullName: [
        new GeneralName({
          directoryName: AsnConvert.parse(new Name(partitionDn(city)).toArrayBuffer(), AsnName),
        }),
      ],
    }),
  });
  return customCert(ca, {
    extensions: [
      ...authProfileExtensions(),
      new Extension(
        id_ce_cRLDistributionPoints,
        false,
        AsnConvert.serialize(new CRLDistributionPoints([dp])),
      ),
    ],
  });
}

const partitionDn = (city: string) =>
  `C=JP, O=JPKI-TEST, OU=JPKI for user authentication (TEST), OU=CRL Distribution Points, OU=Tokyo-to, CN=${city}`;
/** The same name in OpenSSL's config syntax (it encodes UTF8String where our generator wrote PrintableString). */
const partitionSection = (city: string, extra: string[] = []) => [
  'fullname = dirName:partition_dn',
  'onlyuser = TRUE',
  ...extra,
  '[partition_dn]',
  'C = JP',
  'O = JPKI-TEST',
  '1.OU = JPKI for user authentication (TEST)',
  '2.OU = CRL Distribution Points',
  '3.OU = Tokyo-to',
  `CN = ${city}`,
];

describe.skipIf(!available)('partitioned CRLs from openssl ca -gencrl (issuingDistributionPoint)', () => {
  const crlChecker = (name: string) => new CrlChecker({ fetch, url: crlBase + name });
  /** The CRL `name` asked about `certificate` of the authentication CA. */
  const checkAt = (name: string, certificate: X509Certificate) =>
    crlChecker(name).check(certificate, pki.authCa.certificate);
  /** `openssl ca -gencrl` of the Chiyoda-ku index with an issuingDistributionPoint. */
  const partitionCrl = (out: string, idp: { critical: boolean; lines: string[] }) =>
    gencrlWithOpenssl(dir, { caName: 'ca', index: 'index-chiyoda.txt', out, v2: true, idp });
  let chiyodaGood: CaMaterial;
  let chiyodaRevoked: CaMaterial;
  let minato: CaMaterial;
  let uriCard: IssuedCard;

  beforeAll(async () => {
    if (!available) return;
    chiyodaGood = await partitionCard(pki.authCa, 'Chiyoda-ku');
    chiyodaRevoked = await partitionCard(pki.authCa, 'Chiyoda-ku');
    minato = await partitionCard(pki.authCa, 'Minato-ku');
    uriCard = await issueCard(pki, holder, {
      crlUrl: { auth: `${crlBase}idp-uri.crl`, sign: `${crlBase}idp-uri.crl` },
    });
    await writeIndex(join(dir, 'index-chiyoda.txt'), [
      { certificate: chiyodaGood.certificate },
      { certificate: chiyodaRevoked.certificate, revoked: { at: new Date(), reason: 'keyCompromise' } },
      { certificate: uriCard.auth.certificate, revoked: { at: new Date(), reason: 'keyCompromise' } },
    ]);
  });

  it('a partition CRL (critical IDP, directoryName like J-LIS) answers for its own partition only', async () => {
    await partitionCrl('chiyoda.crl', { critical: true, lines: partitionSection('Chiyoda-ku') });
    expect(await checkAt('chiyoda.crl', chiyodaGood.certificate)).toMatchObject({
      status: 'good',
    });
    await expectCode(checkAt('chiyoda.crl', chiyodaRevoked.certificate), 'ERR_JPKI_REVOKED');
    // Minato-ku's revocations are on another CRL: absence from this one says nothing.
    await expectCode(checkAt('chiyoda.crl', minato.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
    // A certificate without any CRL distribution point is not in a partition either.
    await expectCode(checkAt('chiyoda.crl', good.auth.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
  });

  it('a non-critical IDP limits the scope just the same', async () => {
    await partitionCrl('chiyoda-noncritical.crl', { critical: false, lines: partitionSection('Chiyoda-ku') });
    await checkAt('chiyoda-noncritical.crl', chiyodaGood.certificate);
    await expectCode(checkAt('chiyoda-noncritical.crl', minato.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
  });

  it("an IDP with a URI full name matches the certificate's URI distribution point", async () => {
    await partitionCrl('idp-uri.crl', { critical: true, lines: [`fullname = URI:${crlBase}idp-uri.crl`] });
    // The card's CRLDP is this URL (and the checker finds the CRL through it): on the CRL, so revoked.
    await expectCode(
      new CrlChecker({ fetch }).check(uriCard.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_REVOKED',
    );
    await expectCode(checkAt('idp-uri.crl', chiyodaGood.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
  });

  it('refuses CRLs that are not complete for end-entity certificates: CA-only, some reasons, indirect', async () => {
    const variants: [string, string[]][] = [
      ['only-ca.crl', ['onlyCA = TRUE']],
      ['some-reasons.crl', partitionSection('Chiyoda-ku', ['onlysomereasons = keyCompromise'])],
      ['indirect.crl', partitionSection('Chiyoda-ku', ['indirectCRL = TRUE'])],
    ];
    for (const [out, lines] of variants) {
      await partitionCrl(out, { critical: true, lines });
      await expectCode(checkAt(out, chiyodaGood.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
    }
    // onlyuser alone (no distribution point name): complete for user certificates.
    await partitionCrl('only-user.crl', { critical: true, lines: ['onlyuser = TRUE'] });
    await checkAt('only-user.crl', minato.certificate);
    await expectCode(checkAt('only-user.crl', chiyodaRevoked.certificate), 'ERR_JPKI_REVOKED');
  });
});
