/** Client encryption keys for the upstream source, written to temp files as the options expect. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface EncKey {
  file: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function makeEncKey(alg: 'ECDH-ES+A256KW' | 'RSA-OAEP-256', kid: string): Promise<EncKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), alg, kid };
  const publicJwk = { ...(await exportJWK(publicKey)), alg, kid, use: 'enc' };
  const file = join(mkdtempSync(join(tmpdir(), 'kakehashi-enc-')), `${kid}.json`);
  writeFileSync(file, JSON.stringify(privateJwk));
  return { file, privateJwk, publicJwk };
}
