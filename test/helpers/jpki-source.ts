/**
 * The `jpki` source config trusting a test PKI, and the revocation URLs its cards carry: shared by the
 * card-login tests (./jpki.ts) and the bench's gateway target (bench/targets/gateway.ts), so kept free of
 * vitest.
 */
import type { IssueOptions, RevocationServer, TestPki } from '../../adapters/jpki/pki/index.js';

/** The OCSP and CRL URLs of `server` for a card's certificates (the CRLs of CA generation `generation`). */
export function revocationUrls(
  server: RevocationServer,
  options: { crl?: boolean; generation?: number } = {},
): Pick<IssueOptions, 'ocspUrl' | 'crlUrl'> {
  const g = options.generation ?? 0;
  return {
    ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
    ...(options.crl !== false && {
      crlUrl: { auth: server.crlUrl('auth', g), sign: server.crlUrl('sign', g) },
    }),
  };
}

/** The `jpki` source trusting `pki` (OCSP revocation checks, the platform's linkage API at `server`). */
export function jpkiSource(pki: TestPki, server: RevocationServer) {
  return {
    adapter: 'jpki',
    name: 'jpki',
    options: {
      authAnchors: pki.authCaGenerations.map((g) => g.certificate.toString('pem')),
      signAnchors: pki.signCaGenerations.map((g) => g.certificate.toString('pem')),
      policies: { sign: ['1.2.392.200149.8.5.1.0.20'] },
      revocation: { kind: 'ocsp' },
      linkage: { url: server.platformStatusUrl },
    },
  };
}
