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
import { CrlChecker } from '../../../../adapters/jpki/verify/crl.js';
import { OcspChecker } from '../../../../adapters/jpki/verify/ocsp.js';
import {
  PlatformLinkageService,
  PlatformStatusChecker,
  PlatformStatusClient,
} from '../../../../adapters/jpki/verify/platform.js';
import { checkRevocation } from '../../../../adapters/jpki/verify/revocation.js';
import { revocationUrls } from '../../../helpers/jpki.js';
import { expectCode } from './fixtures.js';

const holder = TEST_HOLDERS[1] as (typeof TEST_HOLDERS)[number];
const HOUR = 3600_000;
let pki: TestPki;
let server: RevocationServer;
let card: IssuedCard;
let oldGenCard: IssuedCard;
// One clock for the server and the checkers, moved by the tests.
let clock = Date.now();
const now = () => clock;

async function cardFor(options: { generation?: number } = {}): Promise<IssuedCard> {
  const g = options.generation ?? 0;
  return issueCard(pki, holder, {
    ...revocationUrls(server, { generation: g }),
    ...(g > 0 ? { signedBy: { auth: pki.authCaGenerations[g], sign: pki.signCaGenerations[g] } } : {}),
  });
}

beforeAll(async () => {
  pki = await createTestPki({ generations: 2 });
  server = await startRevocationServer(pki, { now });
  card = await cardFor();
  oldGenCard = await cardFor({ generation: 1 });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  clock = Date.now();
  server.setMode('good');
});

const ocsp = (extra: Partial<ConstructorParameters<typeof OcspChecker>[0]> = {}) =>
  new OcspChecker({ fetch, now, ...extra });

describe('OcspChecker', () => {
  it('accepts good answers signed by the delegated responder and by an older CA generation itself', async () => {
    const authGood = await ocsp().check(card.auth.certificate, pki.authCa.certificate);
    expect(authGood).toMatchObject({ status: 'good', source: 'ocsp' });
    await ocsp().check(card.sign.certificate, pki.signCa.certificate);
    const old = pki.authCaGenerations[1]?.certificate;
    if (!old) throw new Error('fixture');
    await ocsp().check(oldGenCard.auth.certificate, old);
  });

  it('refuses a revoked certificate', async () => {
    const revoked = await cardFor();
    server.revoke(revoked.auth.certificate);
    await expectCode(ocsp().check(revoked.auth.certificate, pki.authCa.certificate), 'ERR_JPKI_REVOKED');
  });

  it('treats an unknown status as not good', async () => {
    server.setMode('unknown-for-all');
    await expectCode(ocsp().check(card.auth.certificate, pki.authCa.certificate), 'ERR_JPKI_STATUS_UNKNOWN');
  });

  it('refuses a response signed by a key the CA never authorised', async () => {
    server.setMode('bad-signer');
    await expectCode(ocsp().check(card.auth.certificate, pki.authCa.certificate), 'ERR_JPKI_OCSP_SIGNER');
  });

  it('refuses a stale response', async () => {
    server.setMode('stale');
    await expectCode(ocsp().check(card.auth.certificate, pki.authCa.certificate), 'ERR_JPKI_OCSP_STALE');
  });

  it('refuses a replayed response that does not echo this request nonce', async () => {
    let captured: ArrayBuffer | undefined;
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      captured = await res.arrayBuffer();
      return new Response(captured, { status: res.status });
    };
    await ocsp({ fetch: recording }).check(card.auth.certificate, pki.authCa.certificate);
    const replay: typeof fetch = async () => new Response(captured, { status: 200 });
    await expectCode(
      ocsp({ fetch: replay }).check(card.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_OCSP_NONCE',
    );
  });

  it('refuses when the responder is unreachable, unless the policy allows it', async () => {
    server.setMode('down');
    await expectCode(
      ocsp().check(card.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_RESPONDER_UNREACHABLE',
    );
    await expectCode(
      checkRevocation(ocsp(), card.auth.certificate, pki.authCa.certificate, 'refuse', now),
      'ERR_JPKI_RESPONDER_UNREACHABLE',
    );
    const allowed = await checkRevocation(
      ocsp(),
      card.auth.certificate,
      pki.authCa.certificate,
      'allow',
      now,
    );
    expect(allowed).toMatchObject({ status: 'unchecked', source: 'unreachable' });
  });

  it('the allow policy never turns a revocation into a pass', async () => {
    const revoked = await cardFor();
    server.revoke(revoked.auth.certificate);
    await expectCode(
      checkRevocation(ocsp(), revoked.auth.certificate, pki.authCa.certificate, 'allow', now),
      'ERR_JPKI_REVOKED',
    );
  });

  it('caches good answers until nextUpdate (bounded by cacheMaxSeconds) and never caches failures', async () => {
    const checker = ocsp({ cacheMaxSeconds: 7200 });
    const fresh = await cardFor();
    server.setMode('unknown-for-all');
    await expectCode(
      checker.check(fresh.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_STATUS_UNKNOWN',
    );
    server.setMode('good');
    const before = server.requestCount.ocsp;
    await checker.check(fresh.auth.certificate, pki.authCa.certificate);
    await checker.check(fresh.auth.certificate, pki.authCa.certificate);
    expect(server.requestCount.ocsp).toBe(before + 1);
    // The responder's nextUpdate is one hour ahead: past it the checker asks again.
    clock += HOUR + 1000;
    await checker.check(fresh.auth.certificate, pki.authCa.certificate);
    expect(server.requestCount.ocsp).toBe(before + 2);

    const short = ocsp({ cacheMaxSeconds: 60 });
    await short.check(fresh.auth.certificate, pki.authCa.certificate);
    clock += 61_000;
    await short.check(fresh.auth.certificate, pki.authCa.certificate);
    expect(server.requestCount.ocsp).toBe(before + 4);
  });
});

describe('OCSP responder certificate reuse', () => {
  it('checks the delegated responder certificate on every response, also when its parse is reused', async () => {
    const checker = ocsp({ cacheMaxSeconds: 0 });
    const before = server.requestCount.ocsp;
    await checker.check(card.auth.certificate, pki.authCa.certificate);
    await checker.check(card.auth.certificate, pki.authCa.certificate);
    expect(server.requestCount.ocsp).toBe(before + 2);
    // Past the responder certificate's notAfter the same bytes no longer authorise anything.
    clock = pki.authOcspResponder.certificate.notAfter.getTime() + 60_000;
    await expectCode(checker.check(card.auth.certificate, pki.authCa.certificate), 'ERR_JPKI_OCSP_SIGNER');
    clock = Date.now();
    server.setMode('bad-signer');
    await expectCode(checker.check(card.auth.certificate, pki.authCa.certificate), 'ERR_JPKI_OCSP_SIGNER');
  });
});

describe('revocation while an answer is cached', () => {
  it('OCSP: a card revoked after its good answer was cached is refused once the cache expires', async () => {
    const checker = ocsp({ cacheMaxSeconds: 60 });
    const c = await cardFor();
    await checker.check(c.auth.certificate, pki.authCa.certificate);
    server.revoke(c.auth.certificate);
    clock += 61_000;
    await expectCode(checker.check(c.auth.certificate, pki.authCa.certificate), 'ERR_JPKI_REVOKED');
  });

  it('platform: answers are reused for memoSeconds at most, never past cacheMaxSeconds, revocations never', async () => {
    const c = await cardFor();
    const url = server.platformStatusUrl;
    const memo = new PlatformStatusChecker(new PlatformStatusClient({ fetch, now, url, memoSeconds: 60 }));
    const before = server.requestCount.platform;
    await memo.check(c.auth.certificate);
    await memo.check(c.auth.certificate);
    expect(server.requestCount.platform).toBe(before + 1);
    const uncached = new PlatformStatusChecker(
      new PlatformStatusClient({ fetch, now, url, memoSeconds: 60, cacheMaxSeconds: 0 }),
    );
    await uncached.check(c.auth.certificate);
    server.revoke(c.auth.certificate);
    await expectCode(uncached.check(c.auth.certificate), 'ERR_JPKI_REVOKED');
    await expectCode(uncached.check(c.auth.certificate), 'ERR_JPKI_REVOKED');
    expect(server.requestCount.platform).toBe(before + 4);
    clock += 61_000;
    await expectCode(memo.check(c.auth.certificate), 'ERR_JPKI_REVOKED');
  });
});

describe('CrlChecker', () => {
  const crl = (extra: Partial<ConstructorParameters<typeof CrlChecker>[0]> = {}) =>
    new CrlChecker({ fetch, now, ...extra });

  it('accepts a certificate absent from a valid CRL, for current and older generations', async () => {
    expect(await crl().check(card.sign.certificate, pki.signCa.certificate)).toMatchObject({
      status: 'good',
      source: 'crl',
    });
    const old = pki.signCaGenerations[1]?.certificate;
    if (!old) throw new Error('fixture');
    await crl().check(oldGenCard.sign.certificate, old);
  });

  it('refuses a certificate on the CRL', async () => {
    const revoked = await cardFor();
    server.revoke(revoked.sign.certificate);
    await expectCode(crl().check(revoked.sign.certificate, pki.signCa.certificate), 'ERR_JPKI_REVOKED');
  });

  it('refuses a CRL with an invalid signature, or one signed by another generation', async () => {
    server.setMode('bad-crl-signature');
    await expectCode(crl().check(card.sign.certificate, pki.signCa.certificate), 'ERR_JPKI_CRL_SIGNATURE');
    server.setMode('good');
    const old = pki.signCaGenerations[1]?.certificate;
    if (!old) throw new Error('fixture');
    // The current generation's CRL does not cover a certificate of the older root.
    await expectCode(
      crl({ url: server.crlUrl('sign') }).check(oldGenCard.sign.certificate, old),
      'ERR_JPKI_CRL_SIGNATURE',
    );
  });

  it('refuses a CRL past its nextUpdate', async () => {
    // The server publishes with its clock at "now" (nextUpdate = now + 24 h); the verifier is 25 h later.
    const published = Date.now();
    const lagging = crl({
      now: () => published + 25 * HOUR,
      fetch: async (input, init) => {
        clock = published;
        return fetch(input, init);
      },
    });
    await expectCode(lagging.check(card.sign.certificate, pki.signCa.certificate), 'ERR_JPKI_CRL_STALE');
  });

  it('caches a verified CRL and refuses when the CRL server is down', async () => {
    const checker = crl();
    const before = server.requestCount.crl;
    await checker.check(card.auth.certificate, pki.authCa.certificate);
    await checker.check(card.auth.certificate, pki.authCa.certificate);
    expect(server.requestCount.crl).toBe(before + 1);
    server.setMode('down');
    await expectCode(
      crl().check(card.auth.certificate, pki.authCa.certificate),
      'ERR_JPKI_RESPONDER_UNREACHABLE',
    );
  });
});

describe('platform operator status and linkage', () => {
  const client = () => new PlatformStatusClient({ fetch, now, url: server.platformStatusUrl });

  it('maps good, revoked and unknown', async () => {
    expect(await new PlatformStatusChecker(client()).check(card.auth.certificate)).toMatchObject({
      status: 'good',
      source: 'platform',
    });
    const revoked = await cardFor();
    server.revoke(revoked.auth.certificate);
    await expectCode(new PlatformStatusChecker(client()).check(revoked.auth.certificate), 'ERR_JPKI_REVOKED');
    const foreign = await issueCard(await createTestPki({ generations: 1 }), holder);
    await expectCode(
      new PlatformStatusChecker(client()).check(foreign.auth.certificate),
      'ERR_JPKI_STATUS_UNKNOWN',
    );
  });

  it('refuses when the platform is down', async () => {
    server.setMode('down');
    await expectCode(
      new PlatformStatusChecker(client()).check(card.auth.certificate),
      'ERR_JPKI_RESPONDER_UNREACHABLE',
    );
  });

  it('reads sign<->auth and renewal links', async () => {
    const first = await cardFor();
    const renewed = await cardFor();
    server.linkCertificates({
      auth: renewed.auth.certificate,
      sign: renewed.sign.certificate,
      previousAuth: first.auth.certificate,
    });
    const linkage = new PlatformLinkageService(client());
    expect(await linkage.linkedAuthSerial(renewed.sign.certificate)).toBe(
      renewed.auth.certificate.serialNumber.toLowerCase().replace(/^(00)+/, ''),
    );
    expect(await linkage.previousAuth(renewed.auth.certificate)).toEqual({
      issuer: first.auth.certificate.issuer,
      serial: first.auth.certificate.serialNumber.toLowerCase().replace(/^(00)+/, ''),
    });
    expect(await linkage.linkedAuthSerial(first.sign.certificate)).toBeUndefined();
  });
});
