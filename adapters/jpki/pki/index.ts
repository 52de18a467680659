/**
 * JPKI test PKI (schemes.md §1.2-1.3): roots with several generations sharing one DN,
 * card issuance in the JPKI certificate profile, and revocation test servers
 * (OCSP responder, CRL publisher, platform-operator status API).
 * Test and demo use only: the roots say `O=JPKI-TEST`.
 */
export { TEST_HOLDERS } from './holders.js';
export {
  basicFourSan,
  genderCode,
  holderFullName,
  issueCard,
  jpkiBirthDate,
  loadCard,
  renewCard,
  saveCard,
} from './issue-card.js';
export type { PlatformStatusResponse } from './platform-status.js';
export * from './profile.js';
export type { ResponderMode } from './revocation-modes.js';
export type { RevocationServer, RevocationServerOptions } from './revocation-server.js';
export { startRevocationServer } from './revocation-server.js';
export type { LinkRecord, RevocationRecord } from './revocation-state.js';
export { normalizeSerial, publicKeyBits } from './revocation-state.js';
export { createTestPki, loadTestPki, saveTestPki } from './test-pki.js';
export type { CaMaterial, CardHolder, CardKey, IssuedCard, IssueOptions, TestPki } from './types.js';
