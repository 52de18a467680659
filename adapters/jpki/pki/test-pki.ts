import 'reflect-metadata';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { id_pkix_ocsp_nocheck } from '@peculiar/asn1-ocsp';
import { AsnNullConverter } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { z } from 'zod';
import { generateRsaKeyPair, loadMaterial, randomSerialHex, saveMaterial } from './keys.js';
import { AUTH_CA_DN, type CertKind, SIGN_CA_DN, SIGNING_ALGORITHM } from './profile.js';
import type { CaMaterial, TestPki } from './types.js';

const YEAR_MS = 365.25 * 24 * 3600 * 1000;
/** DER of ASN.1 NULL, the value of id-pkix-ocsp-nocheck. */
const DER_NULL = AsnNullConverter.toASN(null).toBER();

/**
 * Self-signed root of one generation. Generation g (0 = current) starts
 * 4g+1 years before `now` and lasts 10 years, so generations overlap like
 * J-LIS signca02 (2019-2029) / signca03 (2023-2033).
 */
async function createRoot(dn: string, generation: number, now: Date): Promise<CaMaterial> {
  const keys = await generateRsaKeyPair();
  const notBefore = new Date(now.getTime() - (4 * generation + 1) * YEAR_MS);
  const certificate = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: dn,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 10 * YEAR_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

/** Delegated OCSP responder (RFC 6960 §4.2.2.2): EKU id-kp-OCSPSigning + id-pkix-ocsp-nocheck. */
export async function createOcspResponder(ca: CaMaterial, kind: CertKind, now: Date): Promise<CaMaterial> {
  const keys = await generateRsaKeyPair();
  const certificate = await X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: `C=JP, O=JPKI-TEST, OU=JPKI OCSP responder (TEST), CN=${kind} OCSP responder`,
    issuer: ca.certificate.subjectName,
    notBefore: new Date(now.getTime() - 24 * 3600 * 1000),
    notAfter: new Date(now.getTime() + 2 * YEAR_MS),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.ocspSigning], false),
      new Extension(id_pkix_ocsp_nocheck, false, DER_NULL),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
      await AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

/**
 * Create the JPKI test hierarchy: `generations` (default 2) roots per CA with the
 * same DN, and a delegated OCSP responder per CA. ~100 ms per RSA key: build one
 * per test file and share it.
 */
export async function createTestPki(options: { now?: Date; generations?: number } = {}): Promise<TestPki> {
  const now = options.now ?? new Date();
  const generations = Math.max(1, options.generations ?? 2);
  const authCaGenerations: CaMaterial[] = [];
  const signCaGenerations: CaMaterial[] = [];
  for (let g = 0; g < generations; g++) {
    authCaGenerations.push(await createRoot(AUTH_CA_DN, g, now));
    signCaGenerations.push(await createRoot(SIGN_CA_DN, g, now));
  }
  const authCa = authCaGenerations[0] as CaMaterial;
  const signCa = signCaGenerations[0] as CaMaterial;
  return {
    authCa,
    signCa,
    authCaGenerations,
    signCaGenerations,
    authOcspResponder: await createOcspResponder(authCa, 'auth', now),
    signOcspResponder: await createOcspResponder(signCa, 'sign', now),
  };
}

const manifestSchema = z.object({ generations: z.number().int().min(1) });

/**
 * Write the PKI to `dir`: `<kind>-ca.pem` (current root, for openssl -CAfile),
 * `<kind>-ca-gen<N>.pem/.key` (N = 0 current), `<kind>-ocsp.pem/.key`, `pki.json`.
 * Private keys are PKCS#8 PEM with mode 0600.
 */
export async function saveTestPki(pki: TestPki, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [kind, gens] of [
    ['auth', pki.authCaGenerations],
    ['sign', pki.signCaGenerations],
  ] as const) {
    for (const [i, material] of gens.entries()) await saveMaterial(material, dir, `${kind}-ca-gen${i}`);
    await writeFile(`${dir}/${kind}-ca.pem`, (gens[0] as CaMaterial).certificate.toString('pem'));
  }
  await saveMaterial(pki.authOcspResponder, dir, 'auth-ocsp');
  await saveMaterial(pki.signOcspResponder, dir, 'sign-ocsp');
  await writeFile(`${dir}/pki.json`, JSON.stringify({ generations: pki.authCaGenerations.length }, null, 2));
}

/** Load a PKI written by {@link saveTestPki}. */
export async function loadTestPki(dir: string): Promise<TestPki> {
  const { generations } = manifestSchema.parse(JSON.parse(await readFile(`${dir}/pki.json`, 'utf8')));
  const load = async (kind: CertKind): Promise<CaMaterial[]> => {
    const out: CaMaterial[] = [];
    for (let i = 0; i < generations; i++) out.push(await loadMaterial(dir, `${kind}-ca-gen${i}`));
    return out;
  };
  const authCaGenerations = await load('auth');
  const signCaGenerations = await load('sign');
  return {
    authCa: authCaGenerations[0] as CaMaterial,
    signCa: signCaGenerations[0] as CaMaterial,
    authCaGenerations,
    signCaGenerations,
    authOcspResponder: await loadMaterial(dir, 'auth-ocsp'),
    signOcspResponder: await loadMaterial(dir, 'sign-ocsp'),
  };
}
