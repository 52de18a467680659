/**
 * `npm start` (kakehashi start --demo): a test PKI with virtual My Number Cards
 * under <dataDir>/jpki (created on first start) and its OCSP/CRL/platform test
 * server on loopback, so a newcomer can log in with a virtual card.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pkiInit, startRevocationServerFromDir } from '../../adapters/jpki/pki/cli.js';

export async function prepareDemo(
  dataDir: string,
  print: (line: string) => void,
): Promise<{ close(): Promise<void> }> {
  const dir = join(resolve(dataDir), 'jpki');
  if (!existsSync(join(dir, 'pki.json'))) {
    const { cards } = await pkiInit(dir);
    print(`created a TEST JPKI PKI and ${cards.length} virtual My Number Cards in ${dir}`);
  }
  const server = await startRevocationServerFromDir(dir);
  print(`  test OCSP responder / CRL publisher: ${server.baseUrl}`);
  return { close: () => server.close() };
}
