/** JPKI verification: the public surface used by the source adapter, tests and tooling. */
export {
  JPKI_SAN_OID,
  parseBirthDate,
  parseSigningAttributes,
  type SigningAttributes,
} from './attributes.js';
export { CertificateFacts, certificateSignedBy, factsOf, ParsedCertificate } from './certificate.js';
export { type CachedCertificate, CertificateCache, sharedCertificateCache } from './certificate-cache.js';
export {
  buildChain,
  type CertKind,
  type ChainOptions,
  checkCriticalExtensions,
  checkKeyUsage,
  checkNotCa,
  checkPolicy,
  checkValidity,
  isUsableAnchor,
  JPKI_POLICY,
  selectIssuer,
  UNDERSTOOD_CRITICAL_EXTENSIONS,
} from './chain.js';
export { CrlChecker, type CrlCheckerOptions, checkCrlFreshness, verifyCrl } from './crl.js';
export {
  checkCertificateEnvelope,
  checkSignatureLength,
  decodeBase64Url,
  encodeBase64Url,
  MAX_CERTIFICATE_BYTES,
  parseCertificateDer,
  RSA_2048_SIGNATURE_BYTES,
} from './der.js';
export { JPKI_LOGIN_STEPS, type JpkiLoginInput, type JpkiVerifyDeps, verifyJpkiLogin } from './login.js';
export { buildCertId, encodeOcspRequest, OcspChecker, type OcspCheckerOptions } from './ocsp.js';
export {
  type PlatformClientOptions,
  PlatformLinkageService,
  type PlatformStatus,
  PlatformStatusChecker,
  PlatformStatusClient,
  platformStatusResponseSchema,
} from './platform.js';
export {
  checkRevocation,
  ExpiringCache,
  type OnUnreachable,
  type RevocationChecker,
  type RevocationGood,
  type RevocationOutcome,
} from './revocation.js';
export { importRsa2048Key, verifyChallengeSignature } from './signature.js';
export {
  type IssuerSerial,
  issuerSerialOf,
  type LinkageService,
  noLinkage,
  resolveSubject,
  SimulatedLinkageService,
  subjectFor,
  subjectForIssuerSerial,
} from './subject.js';
