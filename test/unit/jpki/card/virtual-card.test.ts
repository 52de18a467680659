import { X509Certificate } from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AID_CARD_FACE,
  AID_CARD_INPUT_HELPER,
  CardError,
  JpkiCardClient,
  PcscTransport,
  VirtualMyNumberCard,
} from '../../../../adapters/jpki/card/index.js';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';

let pki: TestPki;
let issued: IssuedCard;
const data = new TextEncoder().encode('challenge bytes');

beforeAll(async () => {
  pki = await createTestPki({ generations: 1 });
  issued = await issueCard(pki, TEST_HOLDERS[1] as (typeof TEST_HOLDERS)[number], {
    authPin: '1234',
    signPin: 'ABC123',
  });
});

const selectAid = (aid: Uint8Array) => Uint8Array.from([0x00, 0xa4, 0x04, 0x0c, aid.length, ...aid]);
const sw = (r: Uint8Array) => Buffer.from(r.slice(-2)).toString('hex').toUpperCase();

async function verifies(cert: X509Certificate, signature: Uint8Array<ArrayBuffer>): Promise<boolean> {
  const key = await cert.publicKey.export({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ['verify']);
  return crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, data);
}

async function expectCardError(p: Promise<unknown>, code: string, retriesLeft?: number): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CardError);
  expect((err as CardError).code).toBe(code);
  if (retriesLeft !== undefined) expect((err as CardError).retriesLeft).toBe(retriesLeft);
}

describe('VirtualMyNumberCard + JpkiCardClient', () => {
  it('reads both certificates (chunked and extended) and signs verifiably with both keys', async () => {
    const card = new VirtualMyNumberCard(issued);
    for (const client of [new JpkiCardClient(card), new JpkiCardClient(card, { extendedLength: true })]) {
      const authDer = await client.readAuthCertificate();
      expect(Buffer.from(authDer).equals(Buffer.from(issued.auth.certificate.rawData))).toBe(true);
      const signDer = await client.readSignCertificate('ABC123');
      expect(Buffer.from(signDer).equals(Buffer.from(issued.sign.certificate.rawData))).toBe(true);
    }
    const client = new JpkiCardClient(card);
    const authSig = await client.signWithAuthKey('1234', data);
    expect(authSig).toHaveLength(256);
    expect(await verifies(issued.auth.certificate, authSig)).toBe(true);
    expect(await verifies(issued.sign.certificate, authSig)).toBe(false);
    const signSig = await client.signWithSignKey('ABC123', data);
    expect(await verifies(issued.sign.certificate, signSig)).toBe(true);
    // The client learnt the length from the 4-byte header read, then read the rest.
    expect(card.apduLog.some((e) => /^00B0000004$/.test(e.command))).toBe(true);
    expect(card.apduLog.some((e) => e.command === '00B0000400')).toBe(true); // short, Le=256
    expect(card.apduLog.some((e) => /^00B0000400[0-9A-F]{4}$/.test(e.command))).toBe(true); // extended
    // PINs never appear in the log.
    expect(
      card.apduLog.some((e) => e.command.includes(Buffer.from('1234').toString('hex').toUpperCase())),
    ).toBe(false);
    // The session never touched the card-input-helper or card-face APs.
    const helper = Buffer.from(AID_CARD_INPUT_HELPER).toString('hex').toUpperCase();
    expect(card.apduLog.some((e) => e.command.includes(helper))).toBe(false);
    expect(card.apduLog.every((e) => e.sw === '9000')).toBe(true);
  });

  it('has no card-input-helper or card-face AP (6A82)', async () => {
    const card = new VirtualMyNumberCard(issued);
    expect(sw(await card.transmit(selectAid(AID_CARD_INPUT_HELPER)))).toBe('6A82');
    expect(sw(await card.transmit(selectAid(AID_CARD_FACE)))).toBe('6A82');
    // After a failed AP select nothing is selected: EF selects fail too.
    expect(sw(await card.transmit(Uint8Array.from([0x00, 0xa4, 0x02, 0x0c, 0x02, 0x00, 0x0a])))).toBe('6A82');
  });

  it('refuses the sign certificate and signatures without the PIN (6982)', async () => {
    const card = new VirtualMyNumberCard(issued);
    const send = async (hex: string) => sw(await card.transmit(Uint8Array.from(Buffer.from(hex, 'hex'))));
    expect(await send('00A4040C0AD392F000260100000001')).toBe('9000');
    expect(await send('00A4020C020001')).toBe('9000');
    expect(await send('00B0000004')).toBe('6982');
    expect(await send('00A4020C020017')).toBe('9000');
    expect(await send('802A00800401020304' + '00')).toBe('6982');
    expect(await send('00A4020C02000A')).toBe('9000');
    expect(await send('00B0000004')).toBe('9000');
  });

  it('counts auth PIN retries down from 3, resets on success, and locks for good', async () => {
    const card = new VirtualMyNumberCard(issued);
    const client = new JpkiCardClient(card);
    expect(await client.authPinRetries()).toBe(3);
    await expectCardError(client.signWithAuthKey('0000', data), 'WRONG_PIN', 2);
    await expectCardError(client.signWithAuthKey('0000', data), 'WRONG_PIN', 1);
    expect(await client.authPinRetries()).toBe(1);
    await client.signWithAuthKey('1234', data);
    expect(await client.authPinRetries()).toBe(3);
    await expectCardError(client.signWithAuthKey('1111', data), 'WRONG_PIN', 2);
    await expectCardError(client.signWithAuthKey('1111', data), 'WRONG_PIN', 1);
    await expectCardError(client.signWithAuthKey('1111', data), 'PIN_LOCKED', 0);
    await expectCardError(client.signWithAuthKey('1234', data), 'PIN_LOCKED', 0);
    expect(await client.authPinRetries()).toBe(0);
    // The sign PIN is independent.
    expect(await client.signPinRetries()).toBe(5);
    await expectCardError(client.signWithAuthKey('12a4', data), 'INVALID_PIN_FORMAT');
  });

  it('counts sign PIN retries down from 5 and locks', async () => {
    const card = new VirtualMyNumberCard(issued);
    const client = new JpkiCardClient(card);
    for (let left = 4; left >= 1; left--)
      await expectCardError(client.readSignCertificate('WRONG1'), 'WRONG_PIN', left);
    await expectCardError(client.readSignCertificate('WRONG1'), 'PIN_LOCKED', 0);
    await expectCardError(client.readSignCertificate('ABC123'), 'PIN_LOCKED', 0);
    await expectCardError(client.signWithSignKey('ABC123', data), 'PIN_LOCKED', 0);
    expect(await client.signPinRetries()).toBe(0);
    // The auth side still works.
    expect(await verifies(issued.auth.certificate, await client.signWithAuthKey('1234', data))).toBe(true);
  });

  it('PcscTransport chains 61xx GET RESPONSE from a reader', async () => {
    const card = new VirtualMyNumberCard(issued);
    let pending: Uint8Array | undefined;
    const reader = {
      transmit(cmd: Buffer, _len: number, _proto: number, cb: (err: Error | null, data: Buffer) => void) {
        void (async () => {
          if (cmd[1] === 0xc0 && pending) {
            const rest = pending;
            pending = undefined;
            return cb(null, Buffer.from(rest));
          }
          const res = await card.transmit(new Uint8Array(cmd));
          if (res.length > 130) {
            // Simulate T=0: return the first 128 bytes with 61xx, keep the rest for GET RESPONSE.
            pending = res.slice(128);
            return cb(null, Buffer.concat([Buffer.from(res.slice(0, 128)), Buffer.from([0x61, 0x00])]));
          }
          cb(null, Buffer.from(res));
        })();
      },
    };
    const der = await new JpkiCardClient(new PcscTransport(reader, 2)).readAuthCertificate();
    expect(new X509Certificate(der).serialNumber).toBe(issued.auth.certificate.serialNumber);
  });
});
