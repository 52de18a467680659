/** Loading PEM keys, certificates and metadata given inline or as file paths. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GatewayError } from '../../src/core/errors.js';
import type { PemKeyPair } from './samlify.js';

function configError(message: string, cause?: unknown): GatewayError {
  return new GatewayError('ERR_EIDAS_CONFIG', message, { oauth: 'server_error', status: 500, cause });
}

/** Inline text when it looks like PEM or XML, otherwise the contents of the named file. */
export function inlineOrFile(value: string, what: string): string {
  const t = value.trimStart();
  if (t.startsWith('-----BEGIN') || t.startsWith('<')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (e) {
    throw configError(`cannot read ${what}`, e);
  }
}

/** A key pair whose certificate matches its private key (refused otherwise). */
export function loadKeyPair(pair: { key: string; cert: string }, what: string): PemKeyPair {
  const keyPem = inlineOrFile(pair.key, `${what} key`);
  const certPem = inlineOrFile(pair.cert, `${what} certificate`);
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('mismatch');
    if (cert.publicKey.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch (e) {
    throw configError(`${what}: certificate and RSA private key do not match or cannot be parsed`, e);
  }
  return { keyPem, certPem };
}

/** Base64 DER body of a PEM certificate (for ds:X509Certificate). */
export function certBody(certPem: string): string {
  return new X509Certificate(certPem).raw.toString('base64');
}
