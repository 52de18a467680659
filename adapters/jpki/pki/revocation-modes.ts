/**
 * Behaviour of the revocation test server:
 * - `good`: normal answers;
 * - `unknown-for-all`: every OCSP CertID answered `unknown`;
 * - `bad-signer`: OCSP responses signed by a self-signed OCSP-EKU cert no CA authorised;
 * - `stale`: thisUpdate 2 days ago, nextUpdate 1 day ago;
 * - `down`: OCSP sockets destroyed, CRL and platform answer 503;
 * - `bad-crl-signature`: CRL signature bytes corrupted (OCSP normal).
 */
export type ResponderMode =
  | 'good'
  | 'unknown-for-all'
  | 'bad-signer'
  | 'stale'
  | 'down'
  | 'bad-crl-signature';
