/**
 * An independent mdoc wallet and reader, written with @auth0/mdl (its own CBOR and COSE stack: cbor-x,
 * cose-kit, jose), for checking the mdocs the issuer produces with @animo-id/mdoc (decision 0005).
 * The wallet wraps an `IssuerSigned` in a DeviceResponse for an OpenID4VP-style session (ISO/IEC 18013-7,
 * 2023 draft, Annex B handover) and signs it with the holder key; the reader verifies the issuer signature,
 * the x5chain to the given roots, every value digest, the MSO validity and the device signature.
 */
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

/** The wallet: presents `elements` of `namespace` from a base64url IssuerSigned, signed with `devicePrivateJwk`. */
export async function presentMdoc(
  credential: string,
  docType: string,
  namespace: string,
  elements: readonly string[],
  devicePrivateJwk: JWK,
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
  const response = await DeviceResponse.from(parse(stored))
    .usingPresentationDefinition({
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
    })
    .usingSessionTranscriptForOID4VP(SESSION.mdocNonce, SESSION.clientId, SESSION.responseUri, SESSION.nonce)
    .authenticateWithSignature(devicePrivateJwk as never, 'ES256')
    .sign();
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
