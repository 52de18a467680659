/**
 * Proof of possession of the card key: RSASSA-PKCS1-v1_5 with SHA-256 over the
 * challenge bytes (the card's COMPUTE DIGITAL SIGNATURE over DigestInfo(SHA-256)),
 * verified synchronously by node:crypto (OpenSSL), which compares the full encoded
 * block (RFC 8017 §8.2.2). The certificate's KeyObject is built once per certificate
 * object (certificate.ts): WebCrypto's per-call import and thread-pool hop cost
 * more than the RSA operation itself.
 */
import 'reflect-metadata';
import { verify as nodeVerify } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { jpkiError } from '../errors.js';
import { factsOf } from './certificate.js';
import { checkSignatureLength } from './der.js';

const RSA_PKCS1_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** The certificate's key as a WebCrypto RSA-2048 verification key; anything else is malformed for JPKI. */
export async function importRsa2048Key(cert: X509Certificate): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    key = await cert.publicKey.export(RSA_PKCS1_SHA256, ['verify']);
  } catch (e) {
    throw jpkiError('ERR_JPKI_MALFORMED', e);
  }
  const alg = key.algorithm as RsaHashedKeyAlgorithm;
  if (alg.name !== 'RSASSA-PKCS1-v1_5' || alg.modulusLength !== 2048) throw jpkiError('ERR_JPKI_MALFORMED');
  return key;
}

/** Throws ERR_JPKI_SIGNATURE unless `signature` is the card's signature over exactly `challenge`. */
export async function verifyChallengeSignature(
  cert: X509Certificate,
  challenge: Uint8Array,
  signature: Uint8Array,
): Promise<void> {
  checkSignatureLength(signature);
  const key = factsOf(cert).rsa2048Key;
  let ok: boolean;
  try {
    ok = nodeVerify('sha256', challenge, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw jpkiError('ERR_JPKI_SIGNATURE');
}
