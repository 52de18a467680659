/**
 * A delegated OCSP responder that leaves its certificate out of the response (RFC 6960 §4.2.1: `certs` is
 * optional; `openssl ocsp -resp_no_certs`). Our test responder always includes it, so the fetch here drops
 * the `certs` field of its real answers: it lies outside the signed tbsResponseData, and what remains is
 * exactly what such a responder sends.
 */
import 'reflect-metadata';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  type RevocationServer,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import { OcspChecker, type OcspCheckerOptions } from '../../../../adapters/jpki/verify/ocsp.js';
import { revocationUrls } from '../../../helpers/jpki.js';
import { expectCode } from './fixtures.js';

const holder = TEST_HOLDERS[2] as (typeof TEST_HOLDERS)[number];
let pki: TestPki;
let other: TestPki;
let server: RevocationServer;
let card: IssuedCard;
let clock = Date.now();
const now = () => clock;

beforeAll(async () => {
  pki = await createTestPki({ generations: 1 });
  other = await createTestPki({ generations: 1 });
  server = await startRevocationServer(pki, { now });
  card = await issueCard(pki, holder, revocationUrls(server, { crl: false }));
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  clock = Date.now();
  server.setMode('good');
});

/** Our responder's answers with the `certs` field removed; `seen` counts the certificates it carried. */
function withoutCerts() {
  const seen = { certs: 0 };
  const f: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const outer = AsnConvert.parse(await res.arrayBuffer(), OCSPResponse);
    if (!outer.responseBytes) throw new Error('no responseBytes');
    const basic = AsnConvert.parse(outer.responseBytes.response, BasicOCSPResponse);
    seen.certs += basic.certs?.length ?? 0;
    basic.certs = undefined;
    outer.responseBytes.response = new OctetString(AsnConvert.serialize(basic));
    return new Response(AsnConvert.serialize(outer), { status: res.status });
  };
  return { fetch: f, seen };
}

const checker = (extra: Partial<OcspCheckerOptions> = {}) =>
  new OcspChecker({ fetch: withoutCerts().fetch, now, cacheMaxSeconds: 0, ...extra });

describe('OcspChecker with configured responder certificates', () => {
  it('refuses a delegated response without certificates when no responder is configured', async () => {
    const strip = withoutCerts();
    await expectCode(
      checker({ fetch: strip.fetch }).check(card.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_OCSP_SIGNER',
    );
    // The responder did include its certificate; only the removal makes the difference.
    expect(strip.seen.certs).toBe(1);
    await new OcspChecker({ fetch, now }).check(card.auth.certificate, pki.authCa.certificate);
  });

  it('accepts it with the configured delegated certificate, and still sees revocations', async () => {
    const responderCertificates = [pki.authOcspResponder.certificate];
    expect(
      await checker({ responderCertificates }).check(card.auth.certificate, pki.authCa.certificate),
    ).toMatchObject({ status: 'good', source: 'ocsp' });
    const revoked = await issueCard(pki, holder, revocationUrls(server, { crl: false }));
    server.revoke(revoked.auth.certificate);
    await expectCode(
      checker({ responderCertificates }).check(revoked.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_REVOKED',
    );
  });

  it('a configured certificate is authorised like one in the response: not for another CA, not expired', async () => {
    // The sign CA's responder is an authorised responder, but not for the auth CA's certificates.
    await expectCode(
      checker({ responderCertificates: [pki.signOcspResponder.certificate] }).check(
        card.auth.certificate,
        pki.authCa.certificate,
      ),
      'ERR_JPKI_OCSP_SIGNER',
    );
    // The right certificate, checked against another PKI's CA of the same profile.
    await expectCode(
      checker({ responderCertificates: [pki.authOcspResponder.certificate] }).check(
        card.auth.certificate,
        other.authCa.certificate,
      ),
      'ERR_JPKI_OCSP_SIGNER',
    );
    // Past its notAfter it authorises nothing (the responder keeps answering with our shared clock).
    clock = pki.authOcspResponder.certificate.notAfter.getTime() + 60_000;
    await expectCode(
      checker({
        responderCertificates: [pki.authOcspResponder.certificate],
        clockSkewSeconds: 120,
      }).check(card.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_OCSP_SIGNER',
    );
  });
});
