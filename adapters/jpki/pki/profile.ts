/**
 * JPKI test-profile constants (schemes.md §1.2). The roots carry `O=JPKI-TEST`
 * and a "(TEST)" suffix so they can never be mistaken for J-LIS production roots.
 */

/** Distinguished name of the user-authentication CA (every generation shares it). */
export const AUTH_CA_DN =
  'C=JP, O=JPKI-TEST, OU=JPKI for user authentication (TEST), OU=Japan Agency for Local Authority Information Systems (TEST)';
/** Distinguished name of the digital-signature CA (every generation shares it). */
export const SIGN_CA_DN =
  'C=JP, O=JPKI-TEST, OU=JPKI for digital signature (TEST), OU=Japan Agency for Local Authority Information Systems (TEST)';

/** certificatePolicies OIDs (arc 1.2.392.200149.8.5.1, jpki-certificatePolicy). */
export const POLICY_AUTH = '1.2.392.200149.8.5.1.3.30';
export const POLICY_SIGN_TEST = '1.2.392.200149.8.5.1.0.20';
export const POLICY_SIGN_PRODUCTION = '1.2.392.200149.8.5.1.1.20';

/** subjectAltName otherName type-ids of the signature certificate (basic 4 attributes). */
export const OID_SAN_NAME = '1.2.392.200149.8.5.5.1';
export const OID_SAN_NAME_SUBSTITUTE = '1.2.392.200149.8.5.5.2';
export const OID_SAN_GENDER = '1.2.392.200149.8.5.5.3';
export const OID_SAN_BIRTH_DATE = '1.2.392.200149.8.5.5.4';
export const OID_SAN_ADDRESS = '1.2.392.200149.8.5.5.5';
export const OID_SAN_ADDRESS_SUBSTITUTE = '1.2.392.200149.8.5.5.6';

/** Default base URL of the revocation test server, used in AIA/CRLDP when no URL is given. */
export const DEFAULT_REVOCATION_BASE_URL = 'http://127.0.0.1:8790';

/** Paths served by the revocation test server (relative to its base URL). */
export const REVOCATION_PATHS = {
  ocsp: { auth: '/ocsp/auth', sign: '/ocsp/sign' },
  crl: { auth: '/crl/auth.crl', sign: '/crl/sign.crl' },
  platformStatus: '/platform/status',
} as const;

/** The algorithm of every key in the test PKI: RSA-2048, e=65537, PKCS#1 v1.5 with SHA-256. */
export const RSA_ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
} as const;

export const SIGNING_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export type CertKind = 'auth' | 'sign';
