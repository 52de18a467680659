import type { ApduTransport } from './apdu.js';

/**
 * The subset of a PC/SC reader object this transport needs, typed structurally after
 * `@pokusew/pcsclite` 0.6 `CardReader.transmit` (the optional dependency; `openPcscCard` in
 * pcsc-reader.ts connects one). Tested through the real pcsc-lite daemon with the virtual card in
 * vsmartcard's vpcd reader (test/integration/jpki/pcsc-reader.test.ts); not yet with a hardware reader
 * and a physical My Number Card.
 */
export interface PcscReaderLike {
  transmit(
    data: Buffer,
    responseLength: number,
    protocol: number,
    callback: (err: Error | null, data: Buffer) => void,
  ): void;
}

/** Maximum response we ask the reader for: 256-byte signature or extended READ BINARY + SW. */
const MAX_RESPONSE = 65538;

/** {@link ApduTransport} over a connected PC/SC reader. Handles `61xx` (GET RESPONSE) chaining. */
export class PcscTransport implements ApduTransport {
  readonly #reader: PcscReaderLike;
  readonly #protocol: number;

  constructor(reader: PcscReaderLike, protocol: number) {
    this.#reader = reader;
    this.#protocol = protocol;
  }

  #raw(command: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.#reader.transmit(Buffer.from(command), MAX_RESPONSE, this.#protocol, (err, data) =>
        err ? reject(err) : resolve(new Uint8Array(data)),
      );
    });
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    let response = await this.#raw(command);
    const chunks: Uint8Array[] = [];
    // T=0 readers signal "more data" with SW1=61; fetch it with GET RESPONSE (ISO 7816-4 §7.6.1).
    while (response.length >= 2 && response[response.length - 2] === 0x61) {
      chunks.push(response.slice(0, -2));
      response = await this.#raw(
        Uint8Array.from([0x00, 0xc0, 0x00, 0x00, response[response.length - 1] ?? 0]),
      );
    }
    if (chunks.length === 0) return response;
    return Uint8Array.from(Buffer.concat([...chunks, response]));
  }
}
