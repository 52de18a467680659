import { type PcscReaderLike, PcscTransport } from './pcsc-transport.js';

/**
 * Opens a PC/SC reader with the optional dependency `@pokusew/pcsclite` (a native addon over libpcsclite;
 * it builds on `npm install` where the libpcsclite headers are present, Debian `libpcsclite-dev`, and is
 * skipped otherwise) and waits for a card in it. Typed structurally, so the project compiles without it.
 */
interface PcscReader extends PcscReaderLike {
  readonly name: string;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  on(type: 'status', listener: (status: { state: number }) => void): this;
  on(type: 'error' | 'end', listener: (error?: unknown) => void): this;
  connect(
    options: { share_mode: number; protocol: number },
    callback: (err: Error | null, protocol: number) => void,
  ): void;
  disconnect(disposition: number, callback: (err: Error | null) => void): void;
  close(): void;
}

interface PcscContext {
  on(type: 'reader', listener: (reader: PcscReader) => void): this;
  on(type: 'error', listener: (error: unknown) => void): this;
  close(): void;
}

/** Why a reader could not be opened: the module is missing, no matching reader/card in time, or PC/SC failed. */
export class PcscUnavailableError extends Error {
  override name = 'PcscUnavailableError';
}

export interface OpenPcscOptions {
  /** Use the first reader whose name contains this (case-insensitive); default: the first with a card. */
  reader?: string;
  /** How long to wait for the reader and the card. Default 5 s. */
  timeoutMs?: number;
}

/** A connected card: its APDU transport (for {@link JpkiCardClient}) and how to let go of it. */
export interface PcscCard {
  readonly readerName: string;
  readonly transport: PcscTransport;
  /** Disconnects, resetting the card (its PIN state is dropped) and closes the PC/SC context. */
  close(): Promise<void>;
}

const MODULE = '@pokusew/pcsclite';

/** Loads the binding; throws {@link PcscUnavailableError} with the reason when it is not installed or built. */
export async function loadPcscLite(): Promise<() => PcscContext> {
  try {
    const mod = (await import(MODULE)) as { default: () => PcscContext };
    return mod.default;
  } catch (e) {
    throw new PcscUnavailableError(
      `${MODULE} is not available (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); install libpcsclite-dev, then npm install`,
    );
  }
}

/** Waits for a card in a matching reader and connects to it (shared mode, T=0 or T=1). */
export async function openPcscCard(options: OpenPcscOptions = {}): Promise<PcscCard> {
  const pcsc = (await loadPcscLite())();
  const wanted = options.reader?.toLowerCase();
  return new Promise<PcscCard>((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pcsc.close();
      reject(new PcscUnavailableError(message));
    };
    const timer = setTimeout(
      () => fail(`no card in ${wanted ? `a reader matching "${options.reader}"` : 'any reader'}`),
      options.timeoutMs ?? 5000,
    );
    pcsc.on('error', (e) => fail(`PC/SC: ${e instanceof Error ? e.message : String(e)}`));
    pcsc.on('reader', (reader) => {
      if (wanted && !reader.name.toLowerCase().includes(wanted)) return reader.close();
      reader.on('error', () => {});
      reader.on('status', (status) => {
        if (settled || !(status.state & reader.SCARD_STATE_PRESENT)) return;
        settled = true;
        clearTimeout(timer);
        const protocols = reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1;
        reader.connect({ share_mode: reader.SCARD_SHARE_SHARED, protocol: protocols }, (err, protocol) => {
          if (err) {
            pcsc.close();
            return reject(new PcscUnavailableError(`connecting to ${reader.name}: ${err.message}`));
          }
          resolve({
            readerName: reader.name,
            transport: new PcscTransport(reader, protocol),
            close: () =>
              new Promise<void>((done) =>
                reader.disconnect(reader.SCARD_RESET_CARD, () => {
                  reader.close();
                  pcsc.close();
                  done();
                }),
              ),
          });
        });
      });
    });
  });
}

/** The names of the readers PC/SC reports within `waitMs` (readers announce themselves asynchronously). */
export async function listPcscReaders(waitMs = 1000): Promise<string[]> {
  const pcsc = (await loadPcscLite())();
  const names: string[] = [];
  return new Promise((resolve, reject) => {
    const done = () => {
      pcsc.close();
      resolve(names);
    };
    const timer = setTimeout(done, waitMs);
    pcsc.on('error', (e) => {
      clearTimeout(timer);
      pcsc.close();
      reject(new PcscUnavailableError(`PC/SC: ${e instanceof Error ? e.message : String(e)}`));
    });
    pcsc.on('reader', (reader) => {
      names.push(reader.name);
      reader.on('error', () => {});
      reader.close();
    });
  });
}
