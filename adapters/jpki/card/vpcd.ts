import { createConnection, type Socket } from 'node:net';
import type { ApduTransport } from './apdu.js';

/**
 * Puts any {@link ApduTransport} (in practice the virtual My Number Card) into a real PC/SC stack, so that
 * the PC/SC transport and the card client are exercised through pcscd exactly as with a hardware reader.
 *
 * The reader is `vpcd` from vsmartcard (Debian package `vsmartcard-vpcd`): a pcsc-lite reader driver that
 * listens on TCP (127.0.0.1:35963 by default, `/etc/reader.conf.d/vpcd`) for a "virtual ICC" to connect.
 * This is that ICC side. The wire protocol (vsmartcard's `vpcd.h` / `vicc.py`): every message is a 2-byte
 * big-endian length followed by that many bytes. A 1-byte message is a control code — 0 power off, 1 power
 * on, 2 reset, 4 "send the ATR" — anything longer is a command APDU, answered with the response APDU.
 */
export interface VpcdCardOptions {
  host?: string;
  port?: number;
  /** Answer to reset sent to the reader. Default: a minimal T=1 ATR with no historical bytes. */
  atr?: Uint8Array;
}

/** `3B 80 80 01 01`: direct convention, TD1 → T=1, TD2 → T=1 (ISO/IEC 7816-3), TCK. */
export const DEFAULT_VPCD_ATR = Uint8Array.from([0x3b, 0x80, 0x80, 0x01, 0x01]);

const CTRL = { off: 0x00, on: 0x01, reset: 0x02, atr: 0x04 } as const;

/** A card inserted into vpcd: `remove()` pulls it out (the reader reports the card absent). */
export interface VpcdCard {
  remove(): Promise<void>;
}

/** Connects `card` to vpcd; resolves once connected (pcscd then sees a card in "Virtual PCD 00 00"). */
export function insertIntoVpcd(card: ApduTransport, options: VpcdCardOptions = {}): Promise<VpcdCard> {
  const atr = options.atr ?? DEFAULT_VPCD_ATR;
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: options.host ?? '127.0.0.1', port: options.port ?? 35963 });
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    // One message at a time, in order: a later APDU must not overtake an earlier one's response.
    let queue: Promise<void> = Promise.resolve();
    const send = (payload: Uint8Array) => {
      const header = Buffer.alloc(2);
      header.writeUInt16BE(payload.length);
      socket.write(Buffer.concat([header, payload]));
    };
    const handle = async (message: Buffer) => {
      if (message.length === 1) {
        if (message[0] === CTRL.atr) send(atr);
        // Power on/off and reset need no answer. They are not passed on: ApduTransport has no reset, so the
        // card's own state (selected AP, verified PINs) survives them; the card client always re-selects and
        // verifies the PIN before it signs.
        return;
      }
      send(await card.transmit(new Uint8Array(message)));
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        queue = queue
          .then(() => handle(message))
          .catch(() => {
            socket.destroy(); // the card failed to answer: pull it out rather than leave pcscd waiting
          });
      }
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // pcscd going away ends the card, nothing to report
      resolve({ remove: () => close(socket) });
    });
  });
}

function close(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    socket.end();
  });
}
