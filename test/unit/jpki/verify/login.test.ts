import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JpkiCardClient, VirtualMyNumberCard } from '../../../../adapters/jpki/card/index.js';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  type RevocationServer,
  renewCard,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import {
  JPKI_LOGIN_STEPS,
  type JpkiLoginInput,
  type JpkiVerifyDeps,
  verifyJpkiLogin,
} from '../../../../adapters/jpki/verify/login.js';
import { OcspChecker } from '../../../../adapters/jpki/verify/ocsp.js';
import type { RevocationChecker } from '../../../../adapters/jpki/verify/revocation.js';
import { SimulatedLinkageService, subjectFor } from '../../../../adapters/jpki/verify/subject.js';
import type { AdapterStore } from '../../../../src/core/adapter.js';
import { parseCanonicalIdentity } from '../../../../src/core/identity.js';
import { memoryAdapterStore } from '../../../helpers/adapter-store.js';
import { expectCode, verifyDeps } from './fixtures.js';

const holder = TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number];
let pki: TestPki;
let server: RevocationServer;
let card: IssuedCard;
let otherCard: IssuedCard;
let linkage: SimulatedLinkageService;
let store: AdapterStore;
const challenge = new TextEncoder().encode('kakehashi-jpki-v1\nhttps://gw.example\nuid-1\n1700000000\nnonce');

const adapterStore = () => memoryAdapterStore('a:jpki');

async function issue(h = holder): Promise<IssuedCard> {
  const c = await issueCard(pki, h, {
    ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
    crlUrl: { auth: server.crlUrl('auth'), sign: server.crlUrl('sign') },
  });
  linkage.link({ auth: c.auth.certificate, sign: c.sign.certificate });
  return c;
}

/** What the card client sends: read certificates and sign through the APDU interface of a virtual card. */
async function respond(
  c: IssuedCard,
  bytes: Uint8Array,
  options: { sign?: boolean; signBytes?: Uint8Array } = {},
) {
  const client = new JpkiCardClient(new VirtualMyNumberCard(c));
  const input: JpkiLoginInput = {
    challenge,
    authCertificate: await client.readAuthCertificate(),
    authSignature: await client.signWithAuthKey(c.authPin, bytes),
  };
  if (options.sign) {
    input.signCertificate = await client.readSignCertificate(c.signPin);
    input.signSignature = await client.signWithSignKey(c.signPin, options.signBytes ?? bytes);
  }
  return input;
}

function deps(extra: Partial<JpkiVerifyDeps> = {}): JpkiVerifyDeps {
  return verifyDeps(pki, { linkage, store, ...extra });
}

beforeAll(async () => {
  pki = await createTestPki({ generations: 1 });
  server = await startRevocationServer(pki);
  linkage = new SimulatedLinkageService();
  card = await issue();
  otherCard = await issue(TEST_HOLDERS[1]);
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.setMode('good');
  store = adapterStore();
});

describe('verifyJpkiLogin', () => {
  it('runs the steps in order: authentication first, then signing', () => {
    expect(JPKI_LOGIN_STEPS.map((s) => s.name)).toEqual([
      'parse',
      'auth-signature',
      'auth-chain',
      'auth-revocation',
      'sign-signature',
      'sign-chain',
      'sign-revocation',
      'holder-linkage',
      'attributes',
      'subject',
    ]);
  });

  it('authenticates with the auth certificate only: no personal attributes', async () => {
    const identity = await verifyJpkiLogin(await respond(card, challenge), deps());
    expect(parseCanonicalIdentity(identity)).toEqual(identity);
    expect(identity.subject).toEqual({ id: await subjectFor(card.auth.certificate), issuer: 'jpki' });
    expect(identity.authentication).toMatchObject({ source: 'jpki', loa: 'high', amr: ['hwk', 'pin', 'sc'] });
    expect(identity.authentication.evidence).toEqual([
      {
        type: 'x509',
        trustFramework: 'jp_jpki',
        documentType: 'jp_individual_number_card',
        issuer: pki.authCa.certificate.subject,
        thumbprint: Buffer.from(await card.auth.certificate.getThumbprint('SHA-256')).toString('base64url'),
        verifiedAt: identity.authentication.authTime,
      },
    ]);
    expect(identity.person).toEqual({});
    expect(identity.verified).toEqual([]);
    expect(identity.extensions).toEqual({ 'jpki:certificateType': 'auth', 'jpki:revocation': 'ocsp' });
    const json = JSON.stringify(identity);
    for (const enc of ['base64', 'base64url', 'hex'] as const) {
      expect(json).not.toContain(Buffer.from(card.auth.certificate.rawData).toString(enc).slice(40, 80));
    }
  });

  it('adds the basic 4 attributes from the signing certificate', async () => {
    const identity = await verifyJpkiLogin(await respond(card, challenge, { sign: true }), deps());
    expect(parseCanonicalIdentity(identity)).toEqual(identity);
    expect(identity.person.familyName).toEqual([{ value: '山田', script: 'Jpan' }]);
    expect(identity.person.birthDate).toBe('1985-04-12');
    expect(identity.verified).toEqual(['familyName', 'givenName', 'birthDate', 'gender', 'address']);
    expect(identity.extensions['jpki:certificateType']).toBe('auth+sign');
    expect(identity.authentication.evidence?.map((e) => e.issuer)).toEqual([
      pki.authCa.certificate.subject,
      pki.signCa.certificate.subject,
    ]);
  });

  it('refuses an auth signature over another challenge', async () => {
    const other = new TextEncoder().encode('kakehashi-jpki-v1\nhttps://gw.example\nuid-2\n1700000000\nnonce');
    await expectCode(verifyJpkiLogin(await respond(card, other), deps()), 'ERR_JPKI_SIGNATURE');
  });

  it('refuses a signing signature over another challenge', async () => {
    const other = new TextEncoder().encode('another challenge');
    await expectCode(
      verifyJpkiLogin(await respond(card, challenge, { sign: true, signBytes: other }), deps()),
      'ERR_JPKI_SIGNATURE',
    );
  });

  it('refuses a signing certificate from a different card', async () => {
    const mine = await respond(card, challenge);
    const theirs = await respond(otherCard, challenge, { sign: true });
    const mixed = { ...mine, signCertificate: theirs.signCertificate, signSignature: theirs.signSignature };
    await expectCode(verifyJpkiLogin(mixed, deps()), 'ERR_JPKI_HOLDER_MISMATCH');
  });

  it('refuses a signing certificate whose link is unknown, unless told not to require it', async () => {
    const input = await respond(card, challenge, { sign: true });
    const unknownLinks = new SimulatedLinkageService();
    await expectCode(verifyJpkiLogin(input, deps({ linkage: unknownLinks })), 'ERR_JPKI_HOLDER_MISMATCH');
    const identity = await verifyJpkiLogin(
      input,
      deps({ linkage: unknownLinks, requireHolderLinkage: false }),
    );
    expect(identity.extensions['jpki:certificateType']).toBe('auth+sign');
  });

  it('never looks at a signing certificate when the authentication fails', async () => {
    const calls: string[] = [];
    const inner = new OcspChecker({ fetch });
    const counting: RevocationChecker = {
      check: (cert, issuer) => {
        calls.push(cert.subject);
        return inner.check(cert, issuer);
      },
    };
    const revoked = await issue();
    server.revoke(revoked.auth.certificate);
    await expectCode(
      verifyJpkiLogin(await respond(revoked, challenge, { sign: true }), deps({ revocation: counting })),
      'ERR_JPKI_REVOKED',
    );
    expect(calls).toEqual([revoked.auth.certificate.subject]);
  });

  it('refuses a revoked signing certificate', async () => {
    const c = await issue();
    server.revoke(c.sign.certificate);
    await expectCode(
      verifyJpkiLogin(await respond(c, challenge, { sign: true }), deps()),
      'ERR_JPKI_REVOKED',
    );
  });

  it('records an unchecked revocation status under the allow policy', async () => {
    server.setMode('down');
    const input = await respond(card, challenge);
    await expectCode(verifyJpkiLogin(input, deps()), 'ERR_JPKI_RESPONDER_UNREACHABLE');
    const identity = await verifyJpkiLogin(input, deps({ onUnreachable: 'allow' }));
    expect(identity.extensions).toMatchObject({
      'jpki:revocation': 'unreachable',
      'jpki:revocationUnchecked': true,
    });
  });

  it('refuses malformed and oversized inputs before any crypto', async () => {
    const input = await respond(card, challenge, { sign: true });
    await expectCode(
      verifyJpkiLogin({ ...input, authCertificate: input.authCertificate.slice(0, 100) }, deps()),
      'ERR_JPKI_MALFORMED',
    );
    await expectCode(
      verifyJpkiLogin({ ...input, authCertificate: new Uint8Array(9000).fill(0x30) }, deps()),
      'ERR_JPKI_TOO_LARGE',
    );
    await expectCode(
      verifyJpkiLogin({ ...input, authSignature: new Uint8Array(512) }, deps()),
      'ERR_JPKI_TOO_LARGE',
    );
    const { signSignature: _dropped, ...noSignSignature } = input;
    await expectCode(verifyJpkiLogin(noSignSignature, deps()), 'ERR_JPKI_MALFORMED');
  });

  it('maps a renewed card to the first subject ever seen', async () => {
    const first = await issue();
    const second = await renewCard(pki, first, {
      ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
    });
    const third = await renewCard(pki, second, {
      ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
    });
    linkage.link({ auth: second.auth.certificate, previousAuth: first.auth.certificate });
    linkage.link({ auth: third.auth.certificate, previousAuth: second.auth.certificate });
    const s1 = (await verifyJpkiLogin(await respond(first, challenge), deps())).subject.id;
    const s2 = (await verifyJpkiLogin(await respond(second, challenge), deps())).subject.id;
    const s3 = (await verifyJpkiLogin(await respond(third, challenge), deps())).subject.id;
    expect(s1).toBe(await subjectFor(first.auth.certificate));
    expect(s2).toBe(s1);
    expect(s3).toBe(s1);
    // Another card never shares it.
    expect((await verifyJpkiLogin(await respond(otherCard, challenge), deps())).subject.id).not.toBe(s1);
  });
});
