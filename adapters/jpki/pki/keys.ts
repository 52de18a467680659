import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { PemConverter, X509Certificate } from '@peculiar/x509';
import { RSA_ALGORITHM, SIGNING_ALGORITHM } from './profile.js';
import type { CaMaterial } from './types.js';

/** Generate an extractable RSA-2048 RSASSA-PKCS1-v1_5/SHA-256 key pair (WebCrypto). */
export async function generateRsaKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(RSA_ALGORITHM, true, ['sign', 'verify']);
}

/** Positive random serial number as hex (16 bytes, top bit cleared). */
export function randomSerialHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  return PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

export async function privateKeyFromPem(pem: string): Promise<CryptoKey> {
  const [der] = PemConverter.decode(pem);
  if (!der) throw new Error('no PEM block');
  return crypto.subtle.importKey('pkcs8', der, SIGNING_ALGORITHM, true, ['sign']);
}

/** Write a file readable by the owner only. */
export async function writePrivate(path: string, data: string): Promise<void> {
  await writeFile(path, data, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Save `<dir>/<name>.pem` (certificate) and `<dir>/<name>.key` (PKCS#8, 0600). */
export async function saveMaterial(material: CaMaterial, dir: string, name: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(`${dir}/${name}.pem`, material.certificate.toString('pem'));
  await writePrivate(`${dir}/${name}.key`, await privateKeyToPem(material.privateKey));
}

export async function loadMaterial(dir: string, name: string): Promise<CaMaterial> {
  const certificate = new X509Certificate(await readFile(`${dir}/${name}.pem`, 'utf8'));
  const privateKey = await privateKeyFromPem(await readFile(`${dir}/${name}.key`, 'utf8'));
  return { certificate, privateKey };
}
