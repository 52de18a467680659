/**
 * ISO 7816-4 constants of the JPKI AP on the My Number Card (schemes.md §1.4,
 * from OpenSC card-jpki.c / jpki.h and jpki/myna).
 */

/** Anything that can carry a command APDU to a card and return `data || SW1 SW2`. */
export interface ApduTransport {
  transmit(command: Uint8Array): Promise<Uint8Array>;
}

/** JPKI AP: the only application the gateway's client ever selects. */
export const AID_JPKI = Uint8Array.from(Buffer.from('D392F000260100000001', 'hex'));
/** 券面事項入力補助AP: can output the Individual Number. Never selected by our client; the virtual card lacks it. */
export const AID_CARD_INPUT_HELPER = Uint8Array.from(Buffer.from('D3921000310001010408', 'hex'));
/** 券面AP (card face image). Absent from the virtual card. */
export const AID_CARD_FACE = Uint8Array.from(Buffer.from('D3921000310001010402', 'hex'));

/** Elementary files of the JPKI AP. */
export const EF = {
  tokenInfo: 0x0006,
  authCert: 0x000a,
  authCaCert: 0x000b,
  signCert: 0x0001,
  signCaCert: 0x0002,
  authKey: 0x0017,
  authPin: 0x0018,
  signKey: 0x001a,
  signPin: 0x001b,
} as const;

export const AUTH_PIN_MAX_TRIES = 3;
export const SIGN_PIN_MAX_TRIES = 5;

export const SW = {
  ok: 0x9000,
  wrongLength: 0x6700,
  securityNotSatisfied: 0x6982,
  pinBlocked: 0x6983,
  noCurrentEf: 0x6986,
  wrongData: 0x6a80,
  fileNotFound: 0x6a82,
  wrongP1P2: 0x6b00,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
} as const;

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

/** Status word of a response (last two bytes). */
export function statusWord(response: Uint8Array): number {
  if (response.length < 2) return -1;
  return ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
}

export const swHex = (sw: number): string => sw.toString(16).toUpperCase().padStart(4, '0');

/** A parsed command APDU (short or extended length). */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Expected response length; undefined = none; 0 in the encoding means the maximum (256 / 65536). */
  le?: number;
}

/** Parse ISO 7816-4 cases 1-4, short and extended. Returns undefined on a malformed APDU. */
export function parseApdu(apdu: Uint8Array): CommandApdu | undefined {
  if (apdu.length < 4) return undefined;
  const [cla = 0, ins = 0, p1 = 0, p2 = 0] = apdu;
  const head = { cla, ins, p1, p2 };
  const empty = new Uint8Array(0);
  if (apdu.length === 4) return { ...head, data: empty };
  const b4 = apdu[4] ?? 0;
  if (apdu.length === 5) return { ...head, data: empty, le: b4 === 0 ? 256 : b4 };
  if (b4 !== 0) {
    const end = 5 + b4;
    if (apdu.length === end) return { ...head, data: apdu.slice(5, end) };
    if (apdu.length === end + 1) {
      const le = apdu[end] ?? 0;
      return { ...head, data: apdu.slice(5, end), le: le === 0 ? 256 : le };
    }
    return undefined;
  }
  // Extended length: 00 followed by two bytes.
  const n = ((apdu[5] ?? 0) << 8) | (apdu[6] ?? 0);
  if (apdu.length === 7) return { ...head, data: empty, le: n === 0 ? 65536 : n };
  const end = 7 + n;
  if (n === 0) return undefined;
  if (apdu.length === end) return { ...head, data: apdu.slice(7, end) };
  if (apdu.length === end + 2) {
    const le = ((apdu[end] ?? 0) << 8) | (apdu[end + 1] ?? 0);
    return { ...head, data: apdu.slice(7, end), le: le === 0 ? 65536 : le };
  }
  return undefined;
}
