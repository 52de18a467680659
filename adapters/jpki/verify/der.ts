/**
 * Parsing of untrusted card output: size limits first, then strict DER.
 * A card certificate is ~1.5 KiB; an RSA-2048 signature is exactly 256 bytes.
 */
import 'reflect-metadata';
import { jpkiError } from '../errors.js';
import { ParsedCertificate } from './certificate.js';

export const MAX_CERTIFICATE_BYTES = 8 * 1024;
export const RSA_2048_SIGNATURE_BYTES = 256;

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Decode base64url (no padding) strictly; anything else is malformed. */
export function decodeBase64Url(value: string, maxBytes: number): Uint8Array<ArrayBuffer> {
  if (!B64URL.test(value) || value.length % 4 === 1) throw jpkiError('ERR_JPKI_MALFORMED');
  if (Math.floor((value.length * 3) / 4) > maxBytes) throw jpkiError('ERR_JPKI_TOO_LARGE');
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

export function encodeBase64Url(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('base64url');
}

/**
 * Parse a DER certificate. Rejects oversized input (ERR_JPKI_TOO_LARGE), trailing
 * bytes or indefinite lengths, and anything the X.509 parser refuses (ERR_JPKI_MALFORMED).
 */
export function parseCertificateDer(der: Uint8Array): ParsedCertificate {
  checkCertificateEnvelope(der);
  let cert: ParsedCertificate;
  try {
    cert = new ParsedCertificate(new Uint8Array(der));
  } catch (e) {
    throw jpkiError('ERR_JPKI_MALFORMED', e);
  }
  if (outerDerLength(der) !== der.byteLength) throw jpkiError('ERR_JPKI_MALFORMED');
  return cert;
}

/** The checks made before any parsing: size limit and an outer SEQUENCE tag. */
export function checkCertificateEnvelope(der: Uint8Array): void {
  if (der.byteLength > MAX_CERTIFICATE_BYTES) throw jpkiError('ERR_JPKI_TOO_LARGE');
  if (der.byteLength < 2 || der[0] !== 0x30) throw jpkiError('ERR_JPKI_MALFORMED');
}

/** Total length of the outer TLV from its definite-length header (as the card client reads EF sizes); -1 for indefinite/odd forms. */
function outerDerLength(der: Uint8Array): number {
  const first = der[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 2 || der.byteLength < 2 + n) return -1;
  let len = 0;
  for (let i = 0; i < n; i++) len = (len << 8) | (der[2 + i] ?? 0);
  return 2 + n + len;
}

/** Check an RSA-2048 PKCS#1 v1.5 signature's length before any crypto. */
export function checkSignatureLength(signature: Uint8Array): Uint8Array {
  if (signature.byteLength > RSA_2048_SIGNATURE_BYTES) throw jpkiError('ERR_JPKI_TOO_LARGE');
  if (signature.byteLength !== RSA_2048_SIGNATURE_BYTES) throw jpkiError('ERR_JPKI_MALFORMED');
  return signature;
}
