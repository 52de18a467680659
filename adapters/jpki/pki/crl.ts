import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { AuthorityKeyIdentifierExtension, X509CrlGenerator } from '@peculiar/x509';
import { SIGNING_ALGORITHM } from './profile.js';
import type { RevocationState } from './revocation-state.js';
import type { CaMaterial } from './types.js';

/**
 * Build a DER CRL (RFC 5280 §5) for one CA generation, signed with its key:
 * thisUpdate = now, nextUpdate = now + 1 day, one entry per revocation of that DN.
 * `corruptSignature` flips a bit of the signature ('bad-crl-signature' mode).
 */
export async function buildCrl(
  ca: CaMaterial,
  state: RevocationState,
  now: Date,
  corruptSignature = false,
): Promise<ArrayBuffer> {
  const crl = await X509CrlGenerator.create({
    issuer: ca.certificate.subjectName,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 24 * 3600 * 1000),
    signingAlgorithm: SIGNING_ALGORITHM,
    signingKey: ca.privateKey,
    extensions: [await AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey)],
    entries: state.forIssuer(ca.certificate.subject).map((e) => ({
      serialNumber: e.serialHex,
      revocationDate: e.revokedAt,
      reason: e.reason,
    })),
  });
  if (!corruptSignature) return crl.rawData;
  const asn = AsnConvert.parse(crl.rawData, CertificateList);
  const sig = new Uint8Array(asn.signature.slice(0));
  sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 0x01;
  asn.signature = sig.buffer;
  return AsnConvert.serialize(asn);
}
