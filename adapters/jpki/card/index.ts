/**
 * My Number Card access for the JPKI AP only (schemes.md §1.4): the APDU transport
 * interface, a virtual card for tests and demos, the host-side client and the
 * challenge-response card client.
 */
export type { ApduTransport, CommandApdu } from './apdu.js';
export {
  AID_CARD_FACE,
  AID_CARD_INPUT_HELPER,
  AID_JPKI,
  AUTH_PIN_MAX_TRIES,
  EF,
  parseApdu,
  SIGN_PIN_MAX_TRIES,
} from './apdu.js';
export type { CardErrorCode } from './client.js';
export { AUTH_PIN_PATTERN, CardError, JpkiCardClient, SIGN_PIN_PATTERN, sha256DigestInfo } from './client.js';
export type { PcscReaderLike } from './pcsc-transport.js';
export { PcscTransport } from './pcsc-transport.js';
export { challengeSchema, respondToChallenge } from './respond.js';
export type { ApduLogEntry, VirtualCardOptions } from './virtual-card.js';
export { VirtualMyNumberCard } from './virtual-card.js';
