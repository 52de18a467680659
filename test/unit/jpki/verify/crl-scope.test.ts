/**
 * CRL scope (RFC 5280 §5.2.5 issuingDistributionPoint, §6.3.3 (b)(2)): a partitioned CRL — J-LIS publishes
 * one per municipality, named by a directoryName distribution point — answers only for the certificates
 * whose cRLDistributionPoints name that partition. CRLs built with @peculiar/x509 here (OpenSSL-built ones
 * are in test/integration/jpki/openssl-ocsp-responder.test.ts).
 */
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  Name as AsnName,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  GeneralName,
  GeneralNames,
  IssuingDistributionPoint,
  id_ce_cRLDistributionPoints,
  id_ce_issuingDistributionPoint,
  Reason,
  ReasonFlags,
  type RelativeDistinguishedName,
} from '@peculiar/asn1-x509';
import { Extension, Name, type X509Certificate, X509Crl, X509CrlGenerator } from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CaMaterial,
  createTestPki,
  SIGNING_ALGORITHM,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import { CrlChecker, checkCrlScope } from '../../../../adapters/jpki/verify/crl.js';
import { serveCrls } from '../../../helpers/crl-server.js';
import { authProfileExtensions, BasicConstraintsExtension, customCert, expectCode } from './fixtures.js';

const CHIYODA =
  'C=JP, O=JPKI-TEST, OU=JPKI for user authentication (TEST), OU=CRL Distribution Points, OU=Tokyo-to, CN=Chiyoda-ku';
const MINATO = CHIYODA.replace('Chiyoda-ku', 'Minato-ku');

let pki: TestPki;
let chiyoda: X509Certificate;
let minato: X509Certificate;
let uriCert: X509Certificate;
let noDp: X509Certificate;

const dirName = (dn: string) =>
  new GeneralName({ directoryName: AsnConvert.parse(new Name(dn).toArrayBuffer(), AsnName) });
const uri = (u: string) => new GeneralName({ uniformResourceIdentifier: u });

function crldp(...names: GeneralName[]): Extension {
  const dp = new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: names }) });
  return new Extension(
    id_ce_cRLDistributionPoints,
    false,
    AsnConvert.serialize(new CRLDistributionPoints([dp])),
  );
}

async function cert(ca: CaMaterial, ...extensions: Extension[]): Promise<X509Certificate> {
  return (await customCert(ca, { extensions: [...authProfileExtensions(), ...extensions] })).certificate;
}

async function crlWith(
  idp: IssuingDistributionPoint | ArrayBuffer | undefined,
  critical = true,
  revoked: X509Certificate[] = [],
) {
  const value = idp instanceof ArrayBuffer ? idp : idp && AsnConvert.serialize(idp);
  return X509CrlGenerator.create({
    issuer: pki.authCa.certificate.subjectName,
    thisUpdate: new Date(),
    nextUpdate: new Date(Date.now() + 3600_000),
    signingAlgorithm: SIGNING_ALGORITHM,
    signingKey: pki.authCa.privateKey,
    extensions: value ? [new Extension(id_ce_issuingDistributionPoint, critical, value)] : [],
    entries: revoked.map((c) => ({ serialNumber: c.serialNumber, revocationDate: new Date() })),
  });
}

const partition = (dn: string, extra: Partial<IssuingDistributionPoint> = {}) =>
  new IssuingDistributionPoint({
    distributionPoint: new DistributionPointName({ fullName: [dirName(dn)] }),
    onlyContainsUserCerts: true,
    ...extra,
  });

/** checkCrlScope's verdict: 'in' or the error code. */
function scope(crl: X509Crl, c: X509Certificate): string {
  try {
    checkCrlScope(crl, c);
    return 'in';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

beforeAll(async () => {
  pki = await createTestPki({ generations: 1 });
  chiyoda = await cert(pki.authCa, crldp(dirName(CHIYODA)));
  minato = await cert(pki.authCa, crldp(dirName(MINATO)));
  uriCert = await cert(pki.authCa, crldp(uri('http://crl.example.test/a.crl')));
  noDp = await cert(pki.authCa);
});

describe('CRL scope: issuingDistributionPoint', () => {
  it('a CRL without IDP covers every certificate of its issuer', async () => {
    const crl = await crlWith(undefined);
    for (const c of [chiyoda, minato, uriCert, noDp]) expect(scope(crl, c)).toBe('in');
  });

  it('a partition answers for the certificates naming it, critical or not, and for no others', async () => {
    for (const critical of [true, false]) {
      const crl = await crlWith(partition(CHIYODA), critical);
      expect(scope(crl, chiyoda)).toBe('in');
      expect(scope(crl, minato)).toBe('ERR_JPKI_STATUS_UNKNOWN');
      expect(scope(crl, noDp)).toBe('ERR_JPKI_STATUS_UNKNOWN');
      expect(scope(crl, uriCert)).toBe('ERR_JPKI_STATUS_UNKNOWN');
    }
  });

  it('directory names match across string types, case and spacing (RFC 5280 §7.1), not across values or order', async () => {
    // UTF8String everywhere and other case/spacing: the same name.
    const utf8 = AsnConvert.parse(new Name(CHIYODA).toArrayBuffer(), AsnName);
    for (const rdn of utf8) {
      for (const atv of rdn) {
        const text = atv.value.toString();
        atv.value.printableString = undefined;
        atv.value.utf8String = atv.type === '2.5.4.3' ? `  ${text.toUpperCase()} ` : text.replace(/ /g, '  ');
      }
    }
    const sameName = new IssuingDistributionPoint({
      distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ directoryName: utf8 })] }),
    });
    expect(
      Buffer.from(AsnConvert.serialize(utf8)).equals(Buffer.from(new Name(CHIYODA).toArrayBuffer())),
    ).toBe(false);
    expect(scope(await crlWith(sameName), chiyoda)).toBe('in');
    // RDNs in another order are another name.
    const reordered = AsnConvert.parse(new Name(CHIYODA).toArrayBuffer(), AsnName);
    const swapped = new AsnName([...reordered].reverse() as RelativeDistinguishedName[]);
    const other = new IssuingDistributionPoint({
      distributionPoint: new DistributionPointName({
        fullName: [new GeneralName({ directoryName: swapped })],
      }),
    });
    expect(scope(await crlWith(other), chiyoda)).toBe('ERR_JPKI_STATUS_UNKNOWN');
  });

  it('URI distribution points match exactly', async () => {
    const named = (u: string) =>
      new IssuingDistributionPoint({ distributionPoint: new DistributionPointName({ fullName: [uri(u)] }) });
    expect(scope(await crlWith(named('http://crl.example.test/a.crl')), uriCert)).toBe('in');
    expect(scope(await crlWith(named('http://crl.example.test/b.crl')), uriCert)).toBe(
      'ERR_JPKI_STATUS_UNKNOWN',
    );
  });

  it('refuses CRLs that are not complete for end-entity certificates', async () => {
    const incomplete = [
      new IssuingDistributionPoint({ onlyContainsCACerts: true }),
      new IssuingDistributionPoint({ onlyContainsAttributeCerts: true }),
      partition(CHIYODA, { indirectCRL: true }),
      partition(CHIYODA, { onlySomeReasons: new Reason(ReasonFlags.keyCompromise) }),
      new IssuingDistributionPoint({
        distributionPoint: new DistributionPointName({
          nameRelativeToCRLIssuer: AsnConvert.parse(new Name('CN=Chiyoda-ku').toArrayBuffer(), AsnName)[0],
        }),
      }),
    ];
    for (const idp of incomplete) expect(scope(await crlWith(idp), chiyoda)).toBe('ERR_JPKI_STATUS_UNKNOWN');
    // The certificate's distribution point is served by another CRL issuer (cRLIssuer): not this direct CRL.
    const viaOther = new DistributionPoint({
      distributionPoint: new DistributionPointName({ fullName: [dirName(CHIYODA)] }),
      cRLIssuer: [dirName('C=JP, O=JPKI-TEST, CN=another CRL issuer')],
    });
    const indirect = await cert(
      pki.authCa,
      new Extension(
        id_ce_cRLDistributionPoints,
        false,
        AsnConvert.serialize(new CRLDistributionPoints([viaOther])),
      ),
    );
    expect(scope(await crlWith(partition(CHIYODA)), indirect)).toBe('ERR_JPKI_STATUS_UNKNOWN');
    // onlyContainsUserCerts says nothing about a CA certificate.
    const ca = await cert(
      pki.authCa,
      new BasicConstraintsExtension(true, undefined, true),
      crldp(dirName(CHIYODA)),
    );
    expect(scope(await crlWith(partition(CHIYODA)), ca)).toBe('ERR_JPKI_STATUS_UNKNOWN');
    expect(scope(await crlWith(new IssuingDistributionPoint({ onlyContainsUserCerts: true })), chiyoda)).toBe(
      'in',
    );
    // An IDP value that does not parse.
    expect(scope(await crlWith(new Uint8Array([0x04, 0x01, 0x00]).buffer), chiyoda)).toBe(
      'ERR_JPKI_STATUS_UNKNOWN',
    );
  });

  it('CrlChecker applies the scope before the revocation lookup (CRLs over HTTP)', async () => {
    const crls = new Map<string, ArrayBuffer>([
      ['revoked.crl', (await crlWith(partition(CHIYODA), true, [chiyoda])).rawData],
      ['clean.crl', (await crlWith(partition(CHIYODA), true)).rawData],
    ]);
    const server = await serveCrls((name) => crls.get(name));
    try {
      const revoked = new CrlChecker({ fetch, url: `${server.base}revoked.crl` });
      await expectCode(revoked.check(chiyoda, pki.authCa.certificate), 'ERR_JPKI_REVOKED');
      await expectCode(revoked.check(minato, pki.authCa.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
      const clean = new CrlChecker({ fetch, url: `${server.base}clean.crl` });
      expect(await clean.check(chiyoda, pki.authCa.certificate)).toMatchObject({ status: 'good' });
      await expectCode(clean.check(minato, pki.authCa.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
      expect(new X509Crl(crls.get('clean.crl') as ArrayBuffer).extensions.some((e) => e.critical)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('CRL partitions by configuration (directoryName distribution points mirrored over HTTP)', () => {
  it("fetches the partition the certificate names; a wrong mapping is refused by the CRL's own scope", async () => {
    const crls = new Map<string, ArrayBuffer>([
      ['chiyoda.crl', (await crlWith(partition(CHIYODA), true, [chiyoda])).rawData],
      ['minato.crl', (await crlWith(partition(MINATO), true)).rawData],
    ]);
    const asked: string[] = [];
    const server = await serveCrls((name) => {
      asked.push(name);
      return crls.get(name);
    });
    try {
      const dp = (dn: string) => AsnConvert.parse(new Name(dn).toArrayBuffer(), AsnName);
      const checker = new CrlChecker({
        fetch,
        partitions: [
          { distributionPoint: dp(CHIYODA), url: `${server.base}chiyoda.crl` },
          // Case and spacing differ from the certificate's name: still that partition (RFC 5280 §7.1).
          { distributionPoint: dp(MINATO.toUpperCase()), url: `${server.base}minato.crl` },
        ],
      });
      await expectCode(checker.check(chiyoda, pki.authCa.certificate), 'ERR_JPKI_REVOKED');
      expect(await checker.check(minato, pki.authCa.certificate)).toMatchObject({ status: 'good' });
      expect(asked).toEqual(['chiyoda.crl', 'minato.crl']);
      // A certificate whose partition is not configured and that has no http(s) distribution point: unknown.
      await expectCode(checker.check(noDp, pki.authCa.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
      // Minato's certificates mapped to Chiyoda's CRL: that CRL does not cover them, so no answer.
      const swapped = new CrlChecker({
        fetch,
        partitions: [{ distributionPoint: dp(MINATO), url: `${server.base}chiyoda.crl` }],
      });
      await expectCode(swapped.check(minato, pki.authCa.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
    } finally {
      await server.close();
    }
  });
});

describe('CRL entry extensions (RFC 5280 §5.3)', () => {
  it('a critical entry extension we do not process makes the whole CRL unusable; non-critical ones do not', async () => {
    const nullValue = new Uint8Array([0x05, 0x00]).buffer;
    const certificateIssuer = (dn: string) => AsnConvert.serialize(new GeneralNames([dirName(dn)]));
    const crlWithEntryExtension = (critical: boolean, type = '1.3.6.1.4.1.99999.1', value = nullValue) =>
      X509CrlGenerator.create({
        issuer: pki.authCa.certificate.subjectName,
        thisUpdate: new Date(),
        nextUpdate: new Date(Date.now() + 3600_000),
        signingAlgorithm: SIGNING_ALGORITHM,
        signingKey: pki.authCa.privateKey,
        entries: [
          {
            serialNumber: minato.serialNumber,
            revocationDate: new Date(),
            extensions: [new Extension(type, critical, value)],
          },
        ],
      });
    const crls = new Map<string, ArrayBuffer>([
      ['critical.crl', (await crlWithEntryExtension(true)).rawData],
      ['noncritical.crl', (await crlWithEntryExtension(false)).rawData],
      // certificateIssuer (always critical): an indirect CRL.
      [
        'certificate-issuer.crl',
        (await crlWithEntryExtension(true, '2.5.29.29', certificateIssuer('C=JP, CN=another issuer')))
          .rawData,
      ],
    ]);
    const server = await serveCrls((name) => crls.get(name));
    try {
      const at = (name: string) => new CrlChecker({ fetch, url: server.base + name });
      const issuerExt = new X509Crl(crls.get('certificate-issuer.crl') as ArrayBuffer).entries[0]?.extensions;
      expect(issuerExt?.some((e) => e.type === '2.5.29.29' && e.critical)).toBe(true);
      for (const name of ['critical.crl', 'certificate-issuer.crl']) {
        await expectCode(at(name).check(chiyoda, pki.authCa.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
        await expectCode(at(name).check(minato, pki.authCa.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
      }
      expect(await at('noncritical.crl').check(chiyoda, pki.authCa.certificate)).toMatchObject({
        status: 'good',
      });
      await expectCode(at('noncritical.crl').check(minato, pki.authCa.certificate), 'ERR_JPKI_REVOKED');
    } finally {
      await server.close();
    }
  });
});
