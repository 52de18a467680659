import { constants, KeyObject, privateEncrypt } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import type { IssuedCard } from '../pki/types.js';
import {
  AID_JPKI,
  type ApduTransport,
  AUTH_PIN_MAX_TRIES,
  type CommandApdu,
  EF,
  parseApdu,
  SIGN_PIN_MAX_TRIES,
  SW,
  swHex,
  toHex,
} from './apdu.js';

export interface ApduLogEntry {
  /** Command APDU in hex; VERIFY PIN bytes are redacted as `XX`. */
  command: string;
  sw: string;
}

export interface VirtualCardOptions {
  log?: (entry: ApduLogEntry) => void;
  /** Issuing CA certificates stored on the card (EF 000B / 0002). Absent -> 6A82. */
  caCertificates?: { auth?: X509Certificate; sign?: X509Certificate };
}

type PinKind = 'auth' | 'sign';
const TOKEN_INFO = new TextEncoder().encode('JPKIAPICCTOKEN2');
const sw = (code: number, data: Uint8Array = new Uint8Array(0)): Uint8Array => {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = code >> 8;
  out[data.length + 1] = code & 0xff;
  return out;
};
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/**
 * A software My Number Card exposing only the JPKI AP (schemes.md §1.4): SELECT,
 * READ BINARY (short/extended), VERIFY with retry counters (auth 3, sign 5) and
 * lock-out, COMPUTE DIGITAL SIGNATURE with card-side PKCS#1 v1.5 type-1 padding.
 * It holds no Individual Number: the card-input-helper and card-face APs answer 6A82.
 */
export class VirtualMyNumberCard implements ApduTransport {
  readonly #card: IssuedCard;
  readonly #options: VirtualCardOptions;
  readonly #log: ApduLogEntry[] = [];
  readonly #retries: Record<PinKind, number> = { auth: AUTH_PIN_MAX_TRIES, sign: SIGN_PIN_MAX_TRIES };
  readonly #verified: Record<PinKind, boolean> = { auth: false, sign: false };
  #apSelected = false;
  #ef: number | undefined;

  constructor(card: IssuedCard, options: VirtualCardOptions = {}) {
    this.#card = card;
    this.#options = options;
  }

  get apduLog(): readonly ApduLogEntry[] {
    return this.#log;
  }

  /** Retries left per PIN (for tests). */
  get pinRetries(): Readonly<Record<PinKind, number>> {
    return { ...this.#retries };
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const apdu = parseApdu(command);
    const response = apdu ? await this.#dispatch(apdu) : sw(SW.wrongLength);
    const isVerify = apdu?.ins === 0x20 && apdu.data.length > 0;
    const logged = isVerify ? toHex(command.slice(0, 5)) + 'XX'.repeat(command.length - 5) : toHex(command);
    const entry = { command: logged, sw: swHex(((response.at(-2) ?? 0) << 8) | (response.at(-1) ?? 0)) };
    this.#log.push(entry);
    this.#options.log?.(entry);
    return response;
  }

  async #dispatch(apdu: CommandApdu): Promise<Uint8Array> {
    if (apdu.cla === 0x00 && apdu.ins === 0xa4) return this.#select(apdu);
    if (apdu.cla === 0x00 && apdu.ins === 0xb0) return this.#readBinary(apdu);
    if (apdu.cla === 0x00 && apdu.ins === 0x20) return this.#verify(apdu);
    if (apdu.cla === 0x80 && apdu.ins === 0x2a) return this.#sign(apdu);
    if (apdu.cla !== 0x00 && apdu.cla !== 0x80) return sw(SW.claNotSupported);
    return sw(SW.insNotSupported);
  }

  #select(apdu: CommandApdu): Uint8Array {
    if (apdu.p1 === 0x04) {
      // Selecting any DF resets the security status; unknown DFs leave nothing selected.
      this.#apSelected = sameBytes(apdu.data, AID_JPKI);
      this.#ef = undefined;
      this.#verified.auth = false;
      this.#verified.sign = false;
      return sw(this.#apSelected ? SW.ok : SW.fileNotFound);
    }
    if (apdu.p1 === 0x02 && apdu.data.length === 2 && this.#apSelected) {
      const fid = ((apdu.data[0] ?? 0) << 8) | (apdu.data[1] ?? 0);
      if (!(Object.values(EF) as number[]).includes(fid)) return sw(SW.fileNotFound);
      this.#ef = fid;
      return sw(SW.ok);
    }
    return sw(this.#apSelected ? SW.wrongP1P2 : SW.fileNotFound);
  }

  #binaryContent(fid: number): Uint8Array | number {
    const der = (c: X509Certificate | undefined) => (c ? new Uint8Array(c.rawData) : SW.fileNotFound);
    switch (fid) {
      case EF.tokenInfo:
        return TOKEN_INFO;
      case EF.authCert:
        return der(this.#card.auth.certificate);
      case EF.authCaCert:
        return der(this.#options.caCertificates?.auth);
      case EF.signCert:
        return this.#verified.sign ? der(this.#card.sign.certificate) : SW.securityNotSatisfied;
      case EF.signCaCert:
        return der(this.#options.caCertificates?.sign);
      default:
        return SW.noCurrentEf;
    }
  }

  #readBinary(apdu: CommandApdu): Uint8Array {
    if (this.#ef === undefined) return sw(SW.noCurrentEf);
    if (apdu.p1 & 0x80) return sw(SW.wrongP1P2); // short-EF addressing is not used by JPKI clients
    const content = this.#binaryContent(this.#ef);
    if (typeof content === 'number') return sw(content);
    const offset = (apdu.p1 << 8) | apdu.p2;
    if (offset > content.length) return sw(SW.wrongP1P2);
    return sw(SW.ok, content.slice(offset, offset + (apdu.le ?? 256)));
  }

  #pinKind(): PinKind | undefined {
    return this.#ef === EF.authPin ? 'auth' : this.#ef === EF.signPin ? 'sign' : undefined;
  }

  #verify(apdu: CommandApdu): Uint8Array {
    const kind = this.#pinKind();
    if (!kind || apdu.p1 !== 0x00 || apdu.p2 !== 0x80) return sw(SW.noCurrentEf);
    if (this.#retries[kind] === 0) return sw(SW.pinBlocked);
    if (apdu.data.length === 0) return sw(this.#verified[kind] ? SW.ok : 0x63c0 | this.#retries[kind]);
    const expected = new TextEncoder().encode(kind === 'auth' ? this.#card.authPin : this.#card.signPin);
    if (sameBytes(apdu.data, expected)) {
      this.#retries[kind] = kind === 'auth' ? AUTH_PIN_MAX_TRIES : SIGN_PIN_MAX_TRIES;
      this.#verified[kind] = true;
      return sw(SW.ok);
    }
    this.#retries[kind]--;
    this.#verified[kind] = false;
    return sw(0x63c0 | this.#retries[kind]);
  }

  #sign(apdu: CommandApdu): Uint8Array {
    if (apdu.p1 !== 0x00 || apdu.p2 !== 0x80) return sw(SW.wrongP1P2);
    const kind: PinKind | undefined =
      this.#ef === EF.authKey ? 'auth' : this.#ef === EF.signKey ? 'sign' : undefined;
    if (!kind) return sw(SW.noCurrentEf);
    if (!this.#verified[kind]) return sw(SW.securityNotSatisfied);
    // RSA-2048 with PKCS#1 v1.5 type-1 padding leaves room for at most 245 bytes.
    if (apdu.data.length === 0 || apdu.data.length > 245) return sw(SW.wrongLength);
    const key = KeyObject.from(this.#card[kind].privateKey);
    // privateEncrypt + RSA_PKCS1_PADDING = EMSA-PKCS1-v1_5 type-1 padding + RSASP1 over the supplied
    // bytes, i.e. exactly what the card does with a host-built DigestInfo.
    const signature = privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, apdu.data);
    return sw(SW.ok, new Uint8Array(signature));
  }
}
