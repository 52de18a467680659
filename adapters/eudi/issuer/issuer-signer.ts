/**
 * The issuer's JWS signer (ES256 over node:crypto), apart from the certificate generation of issuer-key.ts so
 * that the issuance worker (issuance-worker.ts) loads only this and the SD-JWT code.
 */
import { createPrivateKey, type JsonWebKeyInput, type KeyObject, sign as nodeSign } from 'node:crypto';
import type { JWK } from 'jose';

/** Signs JWS signing inputs with the issuer key (ES256, raw r||s as JWS requires). */
export interface IssuerSigner {
  readonly alg: 'ES256';
  /** base64 DER certificates, leaf first, without the trust anchor. */
  readonly x5c: readonly string[];
  readonly publicJwk: JWK;
  /** For jose (status list tokens). */
  readonly privateKey: KeyObject;
  /** Called unbound (a plain function, no `this`). */
  readonly sign: (signingInput: string) => string;
}

export function createIssuerSigner(privateJwk: JWK, publicJwk: JWK, x5c: readonly string[]): IssuerSigner {
  const key: KeyObject = createPrivateKey({ key: privateJwk as JsonWebKeyInput['key'], format: 'jwk' });
  return {
    alg: 'ES256',
    x5c,
    publicJwk,
    privateKey: key,
    sign: (input) =>
      nodeSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
  };
}
