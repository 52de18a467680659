/**
 * Whether the PC/SC tests can run: pcscd with the vsmartcard `vpcd` reader driver listening for a virtual
 * card (127.0.0.1:35963), and the optional `@pokusew/pcsclite` binding built. Outside CI a missing piece
 * skips the tests with the printed reason; in CI it fails the file (`.ci/run` installs and starts them).
 */
import { listPcscReaders } from '../../adapters/jpki/card/pcsc-reader.js';

/** The reader vpcd announces for its first slot (port 35963). */
export const VPCD_READER = 'Virtual PCD 00 00';

export async function pcscSkipReason(): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    const readers = await listPcscReaders();
    if (!readers.includes(VPCD_READER))
      reason = `PC/SC has no "${VPCD_READER}" reader (readers: ${readers.join(', ') || 'none'}; apt-get install pcscd vsmartcard-vpcd, then start pcscd)`;
  } catch (e) {
    reason = e instanceof Error ? e.message : String(e);
  }
  if (reason === undefined) return undefined;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: the PC/SC tests must run)`);
  console.warn(`skipping the PC/SC tests: ${reason}`);
  return reason;
}
