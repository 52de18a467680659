import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import type { CertKind } from './profile.js';
import type { CaMaterial, TestPki } from './types.js';

/** A revocation as persisted by the CLI (`revoked.json`) and loaded by the server. */
export interface RevocationRecord {
  serialHex: string;
  issuerDn: string;
  /** RFC 5280 CRLReason code (0 unspecified, 1 keyCompromise, 3 affiliationChanged, 4 superseded, ...). */
  reason: number;
  /** ISO date; defaults to the moment of loading. */
  revokedAt?: string;
}

/** A platform linkage record as persisted by the CLI (`links.json`). */
export interface LinkRecord {
  authSerialHex: string;
  signSerialHex?: string;
  previousAuth?: { issuer: string; serialHex: string };
}

/** One CA generation with the hashes an OCSP CertID may use for it. */
export interface KnownIssuer {
  kind: CertKind;
  generation: number;
  ca: CaMaterial;
  /** hash algorithm name ('sha1' | 'sha256') -> { name hash hex, key hash hex } */
  hashes: Map<string, { nameHash: string; keyHash: string }>;
}

/** Canonical serial: lower-case hex without leading zero bytes (CertID carries the INTEGER content). */
export function normalizeSerial(hex: string): string {
  const s = hex.toLowerCase().replace(/^(00)+/, '');
  return s === '' ? '00' : s;
}

/** The BIT STRING content of subjectPublicKey: what RFC 6960 issuerKeyHash hashes. */
export function publicKeyBits(certificate: X509Certificate): ArrayBuffer {
  return AsnConvert.parse(certificate.publicKey.rawData, SubjectPublicKeyInfo).subjectPublicKey;
}

const hex = (alg: string, data: ArrayBuffer): string =>
  createHash(alg).update(Buffer.from(data)).digest('hex');

/** All CA generations of both kinds, with SHA-1 and SHA-256 CertID hashes precomputed. */
export function knownIssuers(pki: TestPki): KnownIssuer[] {
  const out: KnownIssuer[] = [];
  for (const [kind, gens] of [
    ['auth', pki.authCaGenerations],
    ['sign', pki.signCaGenerations],
  ] as const) {
    gens.forEach((ca, generation) => {
      const hashes = new Map<string, { nameHash: string; keyHash: string }>();
      for (const alg of ['sha1', 'sha256']) {
        hashes.set(alg, {
          nameHash: hex(alg, ca.certificate.subjectName.toArrayBuffer()),
          keyHash: hex(alg, publicKeyBits(ca.certificate)),
        });
      }
      out.push({ kind, generation, ca, hashes });
    });
  }
  return out;
}

/** In-memory revocation list keyed by issuer DN + serial (serials are random 128-bit). */
export class RevocationState {
  readonly #entries = new Map<string, { record: RevocationRecord; revokedAt: Date }>();

  static key(issuerDn: string, serialHex: string): string {
    return `${issuerDn}|${normalizeSerial(serialHex)}`;
  }

  add(record: RevocationRecord, now: Date): void {
    const revokedAt = record.revokedAt ? new Date(record.revokedAt) : now;
    this.#entries.set(RevocationState.key(record.issuerDn, record.serialHex), { record, revokedAt });
  }

  lookup(issuerDn: string, serialHex: string): { reason: number; revokedAt: Date } | undefined {
    const hit = this.#entries.get(RevocationState.key(issuerDn, serialHex));
    return hit ? { reason: hit.record.reason, revokedAt: hit.revokedAt } : undefined;
  }

  /** Entries of one issuer DN, for the CRL. */
  forIssuer(issuerDn: string): { serialHex: string; reason: number; revokedAt: Date }[] {
    return [...this.#entries.values()]
      .filter((e) => e.record.issuerDn === issuerDn)
      .map((e) => ({
        serialHex: normalizeSerial(e.record.serialHex),
        reason: e.record.reason,
        revokedAt: e.revokedAt,
      }));
  }
}
