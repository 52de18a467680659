import { createHash } from 'node:crypto';
import { DigestInfo, sha256 } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AID_JPKI,
  type ApduTransport,
  AUTH_PIN_MAX_TRIES,
  EF,
  SIGN_PIN_MAX_TRIES,
  SW,
  statusWord,
  swHex,
} from './apdu.js';

export type CardErrorCode = 'WRONG_PIN' | 'PIN_LOCKED' | 'INVALID_PIN_FORMAT' | 'SW_ERROR' | 'BAD_RESPONSE';

/** A card-level failure. `retriesLeft` is set for WRONG_PIN / PIN_LOCKED. */
export class CardError extends Error {
  readonly code: CardErrorCode;
  readonly retriesLeft?: number;
  readonly sw?: string;

  constructor(code: CardErrorCode, message: string, extra: { retriesLeft?: number; sw?: number } = {}) {
    super(message);
    this.name = 'CardError';
    this.code = code;
    if (extra.retriesLeft !== undefined) this.retriesLeft = extra.retriesLeft;
    if (extra.sw !== undefined) this.sw = swHex(extra.sw);
  }
}

/** 4 digits (auth) and 6-16 of [A-Z0-9] (sign), schemes.md §1.1. */
export const AUTH_PIN_PATTERN = /^\d{4}$/;
export const SIGN_PIN_PATTERN = /^[A-Z0-9]{6,16}$/;

/** DER DigestInfo { sha256, SHA-256(data) } (RFC 8017 §9.2): what the card pads and signs. */
export function sha256DigestInfo(data: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(data).digest();
  const info = new DigestInfo({ digestAlgorithm: sha256, digest: new OctetString(digest) });
  return new Uint8Array(AsnConvert.serialize(info));
}

const apdu = (header: number[], data?: Uint8Array, le?: number): Uint8Array => {
  const body = data ? [data.length, ...data] : [];
  return Uint8Array.from([...header, ...body, ...(le === undefined ? [] : [le])]);
};

type PinKind = 'auth' | 'sign';

/**
 * Host-side driver of the JPKI AP over any {@link ApduTransport} (virtual card or PC/SC).
 * It selects only the JPKI AP (never the card-input-helper AP that holds the
 * Individual Number) and signs RSASSA-PKCS1-v1_5/SHA-256 by sending DigestInfo.
 */
export class JpkiCardClient {
  readonly #transport: ApduTransport;
  readonly #extended: boolean;

  /** `extendedLength`: read certificates in one extended-length READ BINARY instead of 256-byte chunks. */
  constructor(transport: ApduTransport, options: { extendedLength?: boolean } = {}) {
    this.#transport = transport;
    this.#extended = options.extendedLength ?? false;
  }

  async #send(
    command: Uint8Array,
    okStatuses: readonly number[] = [SW.ok],
  ): Promise<{ data: Uint8Array<ArrayBuffer>; sw: number }> {
    const res = await this.#transport.transmit(command);
    const sw = statusWord(res);
    if (sw < 0) throw new CardError('BAD_RESPONSE', 'response shorter than a status word');
    if (!okStatuses.includes(sw)) throw new CardError('SW_ERROR', `card returned ${swHex(sw)}`, { sw });
    return { data: Uint8Array.from(res.subarray(0, -2)), sw };
  }

  async #selectAp(): Promise<void> {
    await this.#send(apdu([0x00, 0xa4, 0x04, 0x0c], AID_JPKI));
  }

  async #selectEf(fid: number): Promise<void> {
    await this.#send(apdu([0x00, 0xa4, 0x02, 0x0c], Uint8Array.from([fid >> 8, fid & 0xff])));
  }

  async #readBinary(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    const head = [0x00, 0xb0, (offset >> 8) & 0x7f, offset & 0xff];
    const command =
      length > 256
        ? Uint8Array.from([...head, 0x00, (length >> 8) & 0xff, length & 0xff])
        : Uint8Array.from([...head, length & 0xff]);
    return (await this.#send(command)).data;
  }

  /** Read a DER object from the current EF: first `30 82 LL LL`, then the rest. */
  async #readDer(): Promise<Uint8Array<ArrayBuffer>> {
    const head = await this.#readBinary(0, 4);
    if (head.length !== 4 || head[0] !== 0x30 || head[1] !== 0x82) {
      throw new CardError('BAD_RESPONSE', 'EF does not start with a DER SEQUENCE of two-byte length');
    }
    const total = (((head[2] ?? 0) << 8) | (head[3] ?? 0)) + 4;
    const out = new Uint8Array(total);
    out.set(head);
    let offset = 4;
    while (offset < total) {
      const chunk = await this.#readBinary(offset, Math.min(total - offset, this.#extended ? 0xffff : 256));
      if (chunk.length === 0) throw new CardError('BAD_RESPONSE', 'EF ended before its DER length');
      out.set(chunk.slice(0, total - offset), offset);
      offset += chunk.length;
    }
    return out;
  }

  async #verifyPin(kind: PinKind, pin: string): Promise<void> {
    const pattern = kind === 'auth' ? AUTH_PIN_PATTERN : SIGN_PIN_PATTERN;
    // Refuse malformed PINs locally: sending them would burn a retry.
    if (!pattern.test(pin)) throw new CardError('INVALID_PIN_FORMAT', `${kind} PIN has the wrong format`);
    await this.#selectEf(kind === 'auth' ? EF.authPin : EF.signPin);
    const res = await this.#transport.transmit(apdu([0x00, 0x20, 0x00, 0x80], new TextEncoder().encode(pin)));
    const sw = statusWord(res);
    if (sw === SW.ok) return;
    if (sw === SW.pinBlocked)
      throw new CardError('PIN_LOCKED', `${kind} PIN is locked`, { retriesLeft: 0, sw });
    if ((sw & 0xfff0) === 0x63c0) {
      const retriesLeft = sw & 0x0f;
      if (retriesLeft === 0)
        throw new CardError('PIN_LOCKED', `${kind} PIN is now locked`, { retriesLeft, sw });
      throw new CardError('WRONG_PIN', `wrong ${kind} PIN`, { retriesLeft, sw });
    }
    throw new CardError('SW_ERROR', `VERIFY returned ${swHex(sw)}`, { sw });
  }

  async #retries(kind: PinKind): Promise<number> {
    await this.#selectAp();
    await this.#selectEf(kind === 'auth' ? EF.authPin : EF.signPin);
    const res = await this.#transport.transmit(Uint8Array.from([0x00, 0x20, 0x00, 0x80]));
    const sw = statusWord(res);
    if (sw === SW.ok) return kind === 'auth' ? AUTH_PIN_MAX_TRIES : SIGN_PIN_MAX_TRIES;
    if (sw === SW.pinBlocked) return 0;
    if ((sw & 0xfff0) === 0x63c0) return sw & 0x0f;
    throw new CardError('SW_ERROR', `VERIFY returned ${swHex(sw)}`, { sw });
  }

  async #signDigestInfo(keyEf: number, data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    await this.#selectEf(keyEf);
    const command = apdu([0x80, 0x2a, 0x00, 0x80], sha256DigestInfo(data), 0x00);
    const { data: signature } = await this.#send(command);
    if (signature.length !== 256) throw new CardError('BAD_RESPONSE', 'signature is not 256 bytes');
    return signature;
  }

  /** Auth certificate DER (EF 000A, no PIN). */
  async readAuthCertificate(): Promise<Uint8Array<ArrayBuffer>> {
    await this.#selectAp();
    await this.#selectEf(EF.authCert);
    return this.#readDer();
  }

  /** RSASSA-PKCS1-v1_5/SHA-256 signature of `data` with the auth key (PIN: 4 digits). */
  async signWithAuthKey(pin: string, data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    await this.#selectAp();
    await this.#verifyPin('auth', pin);
    return this.#signDigestInfo(EF.authKey, data);
  }

  /** Sign certificate DER (EF 0001): readable only after the sign PIN is verified. */
  async readSignCertificate(signPin: string): Promise<Uint8Array<ArrayBuffer>> {
    await this.#selectAp();
    await this.#verifyPin('sign', signPin);
    await this.#selectEf(EF.signCert);
    return this.#readDer();
  }

  /** RSASSA-PKCS1-v1_5/SHA-256 signature of `data` with the sign key. */
  async signWithSignKey(signPin: string, data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    await this.#selectAp();
    await this.#verifyPin('sign', signPin);
    return this.#signDigestInfo(EF.signKey, data);
  }

  authPinRetries(): Promise<number> {
    return this.#retries('auth');
  }

  signPinRetries(): Promise<number> {
    return this.#retries('sign');
  }
}
