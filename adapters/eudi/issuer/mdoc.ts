/**
 * The optional second format: the PID-style credential as an ISO/IEC 18013-5 mdoc (`mso_mdoc`), issued with
 * @animo-id/mdoc (decision 0005). The library builds the CBOR structures, the value digests, the MSO and the
 * COSE_Sign1 `Sig_structure`; we inject only the primitives (random, SHA-256, and an ES256 signature over the
 * bytes it hands us, with the issuer key). The credential in the OpenID4VCI response is the base64url
 * encoding of the CBOR `IssuerSigned` structure (OpenID4VCI 1.0 Appendix A.2).
 *
 * Elements follow the PID rulebook's mdoc identifiers (namespace `eu.europa.ec.eudi.pid.1`, reference
 * schemes.md §3.1) under a doctype of our own, because this is a JPKI-derived PID-style credential, not an
 * EU PID — the same choice as the SD-JWT VC's `vct`. Not carried (see docs/schemes/eudi.md): the kanji and
 * kana names (mdoc has no language-tagged variants), and a status list entry (@animo-id/mdoc 0.5 cannot put
 * `status` in the MSO), so an mdoc cannot be revoked; its validity is short instead.
 */
import { createHash, sign as nodeSign, randomBytes } from 'node:crypto';
import { cborEncode, DateOnly, Document, type MdocContext } from '@animo-id/mdoc';
import type { JWK } from 'jose';
import type { Address, CanonicalIdentity, ScriptedName } from '../../../src/core/identity.js';
import { eudiError } from '../errors.js';
import { MDOC_RESIDENT_ELEMENTS } from '../pid-claims.js';
import type { IssuerSigner } from './issuer-key.js';

/** Our doctype: PID elements, JPKI-derived, not an EU PID. */
export const JP_PID_STYLE_DOCTYPE = 'jp.kakehashi.jpki-derived-pid-style.1';
/** The PID rulebook's mdoc namespace, whose element identifiers we use. */
export const PID_NAMESPACE = 'eu.europa.ec.eudi.pid.1';

/** Every element the issuer may put in the PID namespace (for the issuer metadata's claim paths). */
export const PID_MDOC_ELEMENTS = [
  'family_name',
  'given_name',
  'birth_date',
  'nationality',
  'sex',
  ...MDOC_RESIDENT_ELEMENTS,
  'email_address',
  'issuing_authority',
  'issuing_country',
  'issuance_date',
  'expiry_date',
] as const;

const SEX: Readonly<Record<string, number>> = { unknown: 0, male: 1, female: 2, other: 3 };
/** mdoc tstr values are at most 150 characters (rulebook encoding rules). */
const MAX_TSTR = 150;

export interface IssueMdocInput {
  readonly identity: CanonicalIdentity;
  /** Public holder key from the key proof: becomes the MSO's DeviceKey. */
  readonly holderJwk: JWK;
  readonly signer: IssuerSigner;
  readonly issuingAuthority: string;
  readonly issuingCountry: string;
  readonly validitySeconds: number;
  readonly nowSeconds: number;
}

function latin(names: readonly ScriptedName[] | undefined): string | undefined {
  // The rulebook's family_name/given_name are the names as written for EU readers: Latin where we have it.
  return (names?.find((n) => n.script === 'Latn') ?? names?.[0])?.value;
}

function tstr(value: string): string {
  if (value.length > MAX_TSTR) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_request' });
  return value;
}

function residentElements(a: Address): Record<string, string> {
  const out: Record<string, string> = { resident_address: tstr(a.formatted) };
  if (a.country) out.resident_country = a.country;
  if (a.region) out.resident_state = tstr(a.region);
  if (a.locality) out.resident_city = tstr(a.locality);
  if (a.postalCode) out.resident_postal_code = tstr(a.postalCode);
  if (a.streetAddress) out.resident_street = tstr(a.streetAddress);
  return out;
}

const isoDate = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** The PID namespace's elements for an identity; every element is an IssuerSignedItem the holder may withhold. */
export function pidMdocElements(
  identity: CanonicalIdentity,
  meta: { issuingAuthority: string; issuingCountry: string; issuanceDate: string; expiryDate: string },
): Record<string, unknown> {
  const p = identity.person;
  const family = latin(p.familyName);
  const given = latin(p.givenName);
  if (!family || !given || !p.birthDate) throw eudiError('ERR_EUDI_ISSUANCE', { oauth: 'invalid_request' });
  return {
    family_name: tstr(family),
    given_name: tstr(given),
    birth_date: new DateOnly(p.birthDate), // full-date, CBOR tag 1004
    ...(p.nationality?.length && { nationality: [...p.nationality] }),
    ...(p.gender && { sex: SEX[p.gender] }),
    ...(p.address && residentElements(p.address)),
    ...(p.email && { email_address: tstr(p.email) }),
    issuing_authority: tstr(meta.issuingAuthority),
    issuing_country: meta.issuingCountry,
    issuance_date: new DateOnly(meta.issuanceDate),
    expiry_date: new DateOnly(meta.expiryDate),
  };
}

/** The primitives @animo-id/mdoc asks for when it issues; verification and MACs are not used here. */
function issuingContext(signer: IssuerSigner): Pick<MdocContext, 'crypto' | 'cose'> {
  const unused = () => {
    throw new Error('not used when issuing');
  };
  return {
    crypto: {
      random: (length) => new Uint8Array(randomBytes(length)),
      digest: ({ digestAlgorithm, bytes }) =>
        new Uint8Array(createHash(digestAlgorithm.replace('-', '').toLowerCase()).update(bytes).digest()),
      calculateEphemeralMacKeyJwk: unused,
    },
    cose: {
      sign1: {
        sign: ({ sign1 }) => {
          const { data, alg } = sign1.getRawSigningData();
          if (alg !== 'ES256') throw new Error(`unexpected COSE alg ${alg}`);
          // COSE ECDSA signatures are r || s (RFC 9053 §2.1), like JWS.
          return new Uint8Array(
            nodeSign('sha256', data, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' }),
          );
        },
        verify: unused,
      },
      mac0: { sign: unused, verify: unused },
    },
  };
}

/** Issues the mdoc; returns the base64url `IssuerSigned` and its technical expiry (`validUntil`). */
export async function issuePidMdoc(input: IssueMdocInput): Promise<{ credential: string; exp: number }> {
  const jwk = input.holderJwk;
  if ('d' in jwk || jwk.kty !== 'EC') throw eudiError('ERR_EUDI_PROOF_INVALID', { oauth: 'invalid_request' });
  const iat = input.nowSeconds;
  const exp = iat + input.validitySeconds;
  const ctx = issuingContext(input.signer);
  const elements = pidMdocElements(input.identity, {
    issuingAuthority: input.issuingAuthority,
    issuingCountry: input.issuingCountry,
    issuanceDate: isoDate(iat),
    expiryDate: isoDate(exp),
  });
  const [leaf] = input.signer.x5c;
  if (!leaf) throw eudiError('ERR_EUDI_ISSUANCE');
  const signed = await new Document(JP_PID_STYLE_DOCTYPE, ctx)
    .addIssuerNameSpace(PID_NAMESPACE, elements)
    .useDigestAlgorithm('SHA-256')
    .addValidityInfo({
      signed: new Date(iat * 1000),
      validFrom: new Date(iat * 1000),
      validUntil: new Date(exp * 1000),
    })
    .addDeviceKeyInfo({ deviceKey: { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } })
    .sign(
      {
        issuerPrivateKey: input.signer.privateKey.export({ format: 'jwk' }) as JWK,
        issuerCertificate: new Uint8Array(Buffer.from(leaf, 'base64')),
        alg: 'ES256',
      },
      ctx,
    );
  const issuerSigned = signed.prepare().get('issuerSigned');
  return { credential: Buffer.from(cborEncode(issuerSigned)).toString('base64url'), exp };
}
