/**
 * The credential issuer's signing key and its X.509 chain (published in the `x5c` header of every credential
 * and status list token; SD-JWT VC §3.5 key discovery by x5c). Without a configured chain, a test chain is
 * generated at start-up: a self-signed "TEST" root over a persisted root key (so the trust anchor keeps its
 * name and key across restarts) and an issuer certificate for the persisted issuer key.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import type { JWK } from 'jose';

export { createIssuerSigner, type IssuerSigner } from './issuer-signer.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

async function importPair(pair: { privateJwk: JWK; publicJwk: JWK }): Promise<webcrypto.CryptoKeyPair> {
  const { d: _d, ...pub } = pair.privateJwk;
  return {
    privateKey: await webcrypto.subtle.importKey('jwk', pair.privateJwk as webcrypto.JsonWebKey, EC, true, [
      'sign',
    ]),
    publicKey: await webcrypto.subtle.importKey(
      'jwk',
      { ...pub, ...pair.publicJwk } as webcrypto.JsonWebKey,
      EC,
      true,
      ['verify'],
    ),
  };
}

export interface TestChain {
  /** x5c for the issuer: the issuer certificate only (the root is the verifier's trust anchor). */
  readonly x5c: readonly string[];
  /** PEM of the test root, to put on a verifier's trust list. */
  readonly rootPem: string;
}

/**
 * Build the test chain. Fixed serials and validity anchored at `now` (root: −1 day … +10 years; issuer:
 * −1 day … +2 years); ECDSA signatures differ per start, but name and key of the root stay, which is what a
 * path validation against the anchor uses.
 */
export async function createTestIssuerChain(input: {
  readonly root: { privateJwk: JWK; publicJwk: JWK };
  readonly issuer: { privateJwk: JWK; publicJwk: JWK };
  readonly issuerName: string;
  readonly now: number;
}): Promise<TestChain> {
  const root = await importPair(input.root);
  const issuer = await importPair(input.issuer);
  const notBefore = new Date(input.now - DAY_MS);
  const rootName = 'C=JP, O=Kakehashi TEST, CN=Kakehashi credential issuer TEST root';
  const rootCert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: rootName,
    notBefore,
    notAfter: new Date(input.now + 3650 * DAY_MS),
    keys: root,
    signingAlgorithm: SIG,
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await SubjectKeyIdentifierExtension.create(root.publicKey),
    ],
  });
  const leaf = await X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `C=JP, O=Kakehashi TEST, CN=${input.issuerName.replace(/[,=+<>#;\\"]/g, ' ')}`,
    issuer: rootCert.subject,
    notBefore,
    notAfter: new Date(input.now + 730 * DAY_MS),
    publicKey: issuer.publicKey,
    signingKey: root.privateKey,
    signingAlgorithm: SIG,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      await SubjectKeyIdentifierExtension.create(issuer.publicKey),
      await AuthorityKeyIdentifierExtension.create(root.publicKey),
    ],
  });
  return { x5c: [Buffer.from(leaf.rawData).toString('base64')], rootPem: rootCert.toString('pem') };
}
