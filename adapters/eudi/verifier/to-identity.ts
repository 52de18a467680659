/**
 * A verified PID presentation -> the canonical identity. The LoA comes from the issuer's trust list entry,
 * never from the credential itself. The subject id is a keyed hash of issuer, type and the identifying PID
 * attributes (a PID carries no stable subject identifier); the hub derives its account id from it again.
 * An mdoc has no `iss`: its `iss` here is `mdoc:<trust list entry name>` and its type the docType, so the
 * same person gets another subject id through an mdoc than through an SD-JWT VC.
 */
import { createHmac } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import {
  type CanonicalIdentity,
  PERSON_ATTRIBUTES,
  parseCanonicalIdentity,
} from '../../../src/core/identity.js';
import { personFromPidClaims } from '../pid-claims.js';
import type { VerifiedPresentation } from './verify-presentation.js';

export interface ToIdentityOptions {
  /** The source instance name. */
  readonly source: string;
  /** Secret for the subject pseudonym (32 bytes). */
  readonly pseudonymKey: Uint8Array;
  readonly nowSeconds: number;
}

/** A verified presentation of either format; mdoc elements are first mapped to PID claims (`pid-claims.ts`). */
export type VerifiedCredential = VerifiedPresentation & { readonly format?: 'dc+sd-jwt' | 'mso_mdoc' };

export async function identityFromPresentation(
  v: VerifiedCredential,
  o: ToIdentityOptions,
): Promise<CanonicalIdentity> {
  const person = personFromPidClaims(v.claims);
  const c = v.claims;
  const subject = createHmac('sha256', o.pseudonymKey)
    .update(
      JSON.stringify([
        v.iss,
        v.vct,
        c.family_name,
        c.given_name,
        c.birthdate,
        c.personal_administrative_number ?? null,
      ]),
    )
    .digest('base64url');
  return parseCanonicalIdentity({
    subject: { id: subject, issuer: o.source },
    authentication: {
      source: o.source,
      loa: v.issuer.loa,
      amr: ['pop'],
      authTime: o.nowSeconds,
      evidence: [
        {
          type: v.format === 'mso_mdoc' ? 'mdoc' : 'sd-jwt-vc',
          trustFramework: 'eudi_pid',
          documentType: v.vct.slice(0, 128),
          issuer: v.issuer.name,
          thumbprint: await calculateJwkThumbprint(v.holderJwk),
          verifiedAt: o.nowSeconds,
        },
      ],
    },
    person,
    verified: PERSON_ATTRIBUTES.filter((a) => person[a] !== undefined),
  });
}
