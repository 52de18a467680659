/**
 * An independent mdoc wallet and reader, written with @auth0/mdl (its own CBOR and COSE stack: cbor-x,
 * cose-kit, jose), for checking the mdocs the issuer produces with @animo-id/mdoc (decision 0005).
 * The wallet wraps an `IssuerSigned` in a DeviceResponse for an OpenID4VP-style session (ISO/IEC 18013-7,
 * 2023 draft, Annex B handover) and signs it with the holder key; the reader verifies the issuer signature,
 * the x5chain to the given roots, every value digest, the MSO validity and the device signature.
 * For OpenID4VP 1.0 (Appendix B.2.6.1) the wallet takes the SessionTranscript bytes from
 * {@link openid4vpSessionTranscript}, computed here with @auth0/mdl's CBOR (cbor-x), independently of the verifier.
 */
import { createHash } from 'node:crypto';
import { cborDecode, cborEncode } from '@animo-id/mdoc';
import { DataItem, DeviceResponse, parse, Verifier } from '@auth0/mdl';
import { cborEncode as mdlCborEncode } from '@auth0/mdl/lib/cbor/index.js';
import type { JWK } from 'jose';

const SESSION = {
  mdocNonce: 'mdoc-generated-nonce',
  clientId: 'x509_hash:verifier',
  responseUri: 'https://verifier.test/response',
  nonce: 'n-0S6_WzA2Mj',
};

/**
 * SessionTranscriptBytes of OpenID4VP 1.0 Appendix B.2.6.1 (redirect-based flows):
 * tag 24 over `[null, null, ["OpenID4VPHandover", SHA-256(CBOR([clientId, nonce, jwkThumbprint, responseUri]))]]`;
 * `jwkThumbprint` is the RFC 7638 SHA-256 thumbprint (bstr) of the verifier's encryption key, null for direct_post.
 */
export function openid4vpSessionTranscript(
  clientId: string,
  nonce: string,
  jwkThumbprint: Uint8Array | null,
  responseUri: string,
): Uint8Array {
  const info = mdlCborEncode([clientId, nonce, jwkThumbprint && Buffer.from(jwkThumbprint), responseUri]);
  const hash = createHash('sha256').update(info).digest();
  return mdlCborEncode(DataItem.fromData([null, null, ['OpenID4VPHandover', hash]]));
}

export interface PresentOptions {
  /** SessionTranscriptBytes to sign (OpenID4VP 1.0: {@link openid4vpSessionTranscript}); default: the 2023 draft handover. */
  readonly sessionTranscriptBytes?: Uint8Array;
}

/** The wallet: presents `elements` of `namespace` from a base64url IssuerSigned, signed with `devicePrivateJwk`. */
export async function presentMdoc(
  credential: string,
  docType: string,
  namespace: string,
  elements: readonly string[],
  devicePrivateJwk: JWK,
  options: PresentOptions = {},
): Promise<Uint8Array> {
  // The stored document: a DeviceResponse-shaped container holding the IssuerSigned as issued.
  const stored = cborEncode(
    new Map<string, unknown>([
      ['version', '1.0'],
      [
        'documents',
        [
          new Map<string, unknown>([
            ['docType', docType],
            ['issuerSigned', cborDecode(Buffer.from(credential, 'base64url'))],
          ]),
        ],
      ],
      ['status', 0],
    ]),
  );
  const builder = DeviceResponse.from(parse(stored)).usingPresentationDefinition({
    id: 'request',
    input_descriptors: [
      {
        id: docType,
        format: { mso_mdoc: { alg: ['ES256'] } },
        constraints: {
          limit_disclosure: 'required',
          fields: elements.map((e) => ({ path: [`$['${namespace}']['${e}']`], intent_to_retain: false })),
        },
      },
    ],
  });
  const withTranscript = options.sessionTranscriptBytes
    ? builder.usingSessionTranscriptBytes(Buffer.from(options.sessionTranscriptBytes))
    : builder.usingSessionTranscriptForOID4VP(
        SESSION.mdocNonce,
        SESSION.clientId,
        SESSION.responseUri,
        SESSION.nonce,
      );
  const response = await withTranscript.authenticateWithSignature(devicePrivateJwk as never, 'ES256').sign();
  return response.encode();
}

/** The reader: verifies a DeviceResponse from {@link presentMdoc}, trusting only `trustedRootsPem`. */
export function verifyMdoc(encoded: Uint8Array, trustedRootsPem: readonly string[]) {
  const transcript = mdlCborEncode(
    DataItem.fromData([
      null,
      null,
      [SESSION.mdocNonce, SESSION.clientId, SESSION.responseUri, SESSION.nonce],
    ]),
  );
  return new Verifier([...trustedRootsPem]).verify(encoded, { encodedSessionTranscript: transcript });
}
