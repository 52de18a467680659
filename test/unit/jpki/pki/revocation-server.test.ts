import { createHash } from 'node:crypto';
import {
  BasicOCSPResponse,
  CertID,
  id_pkix_ocsp_nonce,
  OCSPRequest,
  OCSPResponse,
  Request,
  TBSRequest,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extension } from '@peculiar/asn1-x509';
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  publicKeyBits,
  type RevocationServer,
  renewCard,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';

let pki: TestPki;
let server: RevocationServer;
let card: IssuedCard;
let oldGenCard: IssuedCard;
const holder = TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number];

beforeAll(async () => {
  pki = await createTestPki({ generations: 2 });
  server = await startRevocationServer(pki);
  const urls = {
    ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
    crlUrl: { auth: server.crlUrl('auth'), sign: server.crlUrl('sign') },
  };
  card = await issueCard(pki, holder, urls);
  oldGenCard = await issueCard(pki, holder, { ...urls, signedBy: { auth: pki.authCaGenerations[1] } });
});
afterAll(async () => {
  await server?.close();
});

function certId(cert: X509Certificate, issuer: X509Certificate): CertID {
  const sha1 = (d: ArrayBuffer) => new OctetString(createHash('sha1').update(Buffer.from(d)).digest());
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26', parameters: null }),
    issuerNameHash: sha1(issuer.subjectName.toArrayBuffer()),
    issuerKeyHash: sha1(publicKeyBits(issuer)),
    serialNumber: new Uint8Array(Buffer.from(cert.serialNumber, 'hex')).buffer,
  });
}

interface Answer {
  status: number;
  basic?: BasicOCSPResponse;
  statuses: string[];
  nonce?: string;
  signer?: X509Certificate;
}

async function ask(cert: X509Certificate, issuer: X509Certificate, nonceHex = '0a0b0c0d'): Promise<Answer> {
  const req = new OCSPRequest({
    tbsRequest: new TBSRequest({
      requestList: [new Request({ reqCert: certId(cert, issuer) })],
      requestExtensions: [
        new Extension({
          extnID: id_pkix_ocsp_nonce,
          extnValue: new OctetString(AsnConvert.serialize(new OctetString(Buffer.from(nonceHex, 'hex')))),
        }),
      ],
    }),
  });
  const res = await fetch(server.ocspUrl('auth'), {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request' },
    body: Buffer.from(AsnConvert.serialize(req)),
  });
  const resp = AsnConvert.parse(await res.arrayBuffer(), OCSPResponse);
  if (!resp.responseBytes) return { status: resp.responseStatus, statuses: [] };
  const basic = AsnConvert.parse(resp.responseBytes.response.buffer, BasicOCSPResponse);
  const statuses = basic.tbsResponseData.responses.map((r) =>
    r.certStatus.good !== undefined
      ? 'good'
      : r.certStatus.revoked
        ? `revoked:${r.certStatus.revoked.revocationReason?.reason}`
        : 'unknown',
  );
  const nonceExt = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  const nonce = nonceExt
    ? Buffer.from(AsnConvert.parse(nonceExt.extnValue.buffer, OctetString).buffer).toString('hex')
    : undefined;
  const signerDer = basic.certs?.[0];
  const signer = signerDer ? new X509Certificate(AsnConvert.serialize(signerDer)) : undefined;
  return {
    status: resp.responseStatus,
    basic,
    statuses,
    ...(nonce ? { nonce } : {}),
    ...(signer ? { signer } : {}),
  };
}

async function signatureValid(basic: BasicOCSPResponse, signer: X509Certificate): Promise<boolean> {
  const key = await signer.publicKey.export({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ['verify']);
  return crypto.subtle.verify(
    'RSASSA-PKCS1-v1_5',
    key,
    basic.signature,
    AsnConvert.serialize(basic.tbsResponseData),
  );
}

describe('OCSP responder', () => {
  it('answers good with the nonce echoed, signed by the delegated responder the CA issued', async () => {
    const a = await ask(card.auth.certificate, pki.authCa.certificate, 'c0ffee01');
    expect(a.status).toBe(0);
    expect(a.statuses).toEqual(['good']);
    expect(a.nonce).toBe('c0ffee01');
    expect(a.signer?.serialNumber).toBe(pki.authOcspResponder.certificate.serialNumber);
    expect(await a.signer?.verify({ publicKey: pki.authCa.certificate, signatureOnly: true })).toBe(true);
    expect(await signatureValid(a.basic as BasicOCSPResponse, a.signer as X509Certificate)).toBe(true);
    expect(a.basic?.signatureAlgorithm.algorithm).toBe('1.2.840.113549.1.1.11');
    const r = a.basic?.tbsResponseData.responses[0];
    expect((r?.nextUpdate?.getTime() ?? 0) - (r?.thisUpdate.getTime() ?? 0)).toBe(3600_000);
  });

  it('answers revoked with time and reason, unknown for a foreign issuer', async () => {
    const victim = await issueCard(pki, holder);
    server.revoke(victim.auth.certificate, 1);
    expect((await ask(victim.auth.certificate, pki.authCa.certificate)).statuses).toEqual(['revoked:1']);
    expect((await ask(card.auth.certificate, pki.authCa.certificate)).statuses).toEqual(['good']);
    // An issuer the responder does not know (an end-entity cert posing as issuer) -> unknown.
    expect((await ask(card.auth.certificate, card.sign.certificate)).statuses).toEqual(['unknown']);
  });

  it('answers an older root generation with a response signed by that generation key', async () => {
    const a = await ask(
      oldGenCard.auth.certificate,
      pki.authCaGenerations[1]?.certificate as X509Certificate,
    );
    expect(a.statuses).toEqual(['good']);
    expect(a.signer).toBeUndefined();
    expect(
      await signatureValid(
        a.basic as BasicOCSPResponse,
        pki.authCaGenerations[1]?.certificate as X509Certificate,
      ),
    ).toBe(true);
    expect(await signatureValid(a.basic as BasicOCSPResponse, pki.authCa.certificate)).toBe(false);
  });

  it('modes: unknown-for-all, bad-signer, stale, down', async () => {
    try {
      server.setMode('unknown-for-all');
      expect((await ask(card.auth.certificate, pki.authCa.certificate)).statuses).toEqual(['unknown']);
      server.setMode('bad-signer');
      const bad = await ask(card.auth.certificate, pki.authCa.certificate);
      expect(await signatureValid(bad.basic as BasicOCSPResponse, bad.signer as X509Certificate)).toBe(true);
      expect(await bad.signer?.verify({ publicKey: pki.authCa.certificate, signatureOnly: true })).toBe(
        false,
      );
      expect(await bad.signer?.isSelfSigned()).toBe(true);
      server.setMode('stale');
      const stale = await ask(card.auth.certificate, pki.authCa.certificate);
      expect(stale.basic?.tbsResponseData.responses[0]?.nextUpdate?.getTime()).toBeLessThan(Date.now());
      server.setMode('down');
      await expect(ask(card.auth.certificate, pki.authCa.certificate)).rejects.toThrow();
      expect((await fetch(server.crlUrl('auth'))).status).toBe(503);
    } finally {
      server.setMode('good');
    }
  });

  it('answers the GET form and rejects garbage as malformedRequest', async () => {
    const req = new OCSPRequest({
      tbsRequest: new TBSRequest({
        requestList: [new Request({ reqCert: certId(card.sign.certificate, pki.signCa.certificate) })],
      }),
    });
    const b64 = encodeURIComponent(Buffer.from(AsnConvert.serialize(req)).toString('base64'));
    const res = await fetch(`${server.ocspUrl('sign')}/${b64}`);
    const resp = AsnConvert.parse(await res.arrayBuffer(), OCSPResponse);
    expect(resp.responseStatus).toBe(0);
    const garbage = await fetch(server.ocspUrl('auth'), { method: 'POST', body: 'nope' });
    expect(AsnConvert.parse(await garbage.arrayBuffer(), OCSPResponse).responseStatus).toBe(1);
  });
});

describe('CRL publisher and platform status API', () => {
  it('publishes a CRL signed by the CA listing revocations, and a corrupted one on demand', async () => {
    const victim = await issueCard(pki, holder);
    server.revoke(victim.sign.certificate, 3);
    const crl = new X509Crl(await (await fetch(server.crlUrl('sign'))).arrayBuffer());
    expect(await crl.verify({ publicKey: pki.signCa.certificate })).toBe(true);
    expect(await crl.verify({ publicKey: pki.authCa.certificate })).toBe(false);
    expect(crl.findRevoked(victim.sign.certificate)?.reason).toBe(3);
    expect(crl.findRevoked(card.sign.certificate)).toBeNull();
    expect((crl.nextUpdate?.getTime() ?? 0) > Date.now()).toBe(true);
    const old = new X509Crl(await (await fetch(server.crlUrl('auth', 1))).arrayBuffer());
    expect(await old.verify({ publicKey: pki.authCaGenerations[1]?.certificate as X509Certificate })).toBe(
      true,
    );
    server.setMode('bad-crl-signature');
    try {
      const bad = new X509Crl(await (await fetch(server.crlUrl('sign'))).arrayBuffer());
      expect(await bad.verify({ publicKey: pki.signCa.certificate })).toBe(false);
    } finally {
      server.setMode('good');
    }
  });

  it('answers status with linkage (sign->auth, renewed auth->previous auth)', async () => {
    const renewed = await renewCard(pki, card);
    server.linkCertificates({ auth: card.auth.certificate, sign: card.sign.certificate });
    server.linkCertificates({ auth: renewed.auth.certificate, previousAuth: card.auth.certificate });
    const post = async (c: X509Certificate) =>
      (await fetch(server.platformStatusUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ certificate: Buffer.from(c.rawData).toString('base64url') }),
      }).then((r) => r.json())) as Record<string, unknown>;
    const signAnswer = await post(card.sign.certificate);
    expect(signAnswer).toMatchObject({
      status: 'good',
      linked_auth_serial: card.auth.certificate.serialNumber.toLowerCase(),
    });
    expect(typeof signAnswer.checked_at).toBe('number');
    expect(await post(renewed.auth.certificate)).toMatchObject({
      status: 'good',
      previous_auth: {
        issuer: card.auth.certificate.issuer,
        serial: card.auth.certificate.serialNumber.toLowerCase(),
      },
    });
    server.revoke(card.auth.certificate, 4);
    expect((await post(card.auth.certificate)).status).toBe('revoked');
    expect((await post(pki.authOcspResponder.certificate)).status).toBe('good');
    expect((await post(pki.authCa.certificate)).status).toBe('good');
    const bad = await fetch(server.platformStatusUrl, { method: 'POST', body: '{"certificate":1}' });
    expect(bad.status).toBe(400);
    expect(server.requestCount.platform).toBeGreaterThanOrEqual(5);
    server.revoke(card.auth.certificate, 0);
  });
});
