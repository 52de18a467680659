/**
 * Digital Agency authentication app profile (デジタル認証アプリ, Japan): the
 * public OIDC service that authenticates a person with the My Number Card's
 * JPKI certificates on the relying party's behalf. Code flow, PKCE S256, state
 * and nonce, private_key_jwt, ES256 ID tokens, scopes
 * `openid name address birthdate gender`, `acr_values` such as `aal3`.
 *
 * The claim shapes and the acr vocabulary are modelled on the public
 * description of the service and are unconfirmed [U] (docs/schemes/digital-agency.md).
 * The service returns the basic four attributes from the card's signing
 * certificate, never the Individual Number; we read only those four claims.
 */
import type { CanonicalIdentityInput, Person, PersonAttribute } from '../../../src/core/identity.js';
import type { Loa } from '../../../src/core/loa.js';
import { claimsError, genderOf, isoDate, mapAmrValues, scriptOf, str } from './common.js';
import type { UpstreamProfile, VerifiedLogin } from './types.js';

export const DIGITAL_AGENCY_ACR = {
  aal3: 'high',
  aal2: 'substantial',
  aal1: 'low',
} as const satisfies Record<string, Loa>;

export const DIGITAL_AGENCY_EVIDENCE_ISSUER = 'JPKI via the Digital Agency';

/** The basic four attributes (基本4情報) as the service returns them. */
export function daPerson(c: Readonly<Record<string, unknown>>): {
  person: Person;
  verified: PersonAttribute[];
} {
  const person: Person = {};
  const verified: PersonAttribute[] = [];
  const name = str(c.name, 256);
  if (name) {
    // JPKI carries the name as one string in kanji (with 代替文字 where the card's charset lacks a character).
    person.fullName = [{ value: name, script: scriptOf(name) }];
    verified.push('fullName');
  }
  const birthDate = isoDate(c.birthdate);
  if (birthDate) {
    person.birthDate = birthDate;
    verified.push('birthDate');
  }
  const gender = genderOf(c.gender);
  if (gender) {
    person.gender = gender;
    verified.push('gender');
  }
  const addr = c.address;
  const formatted =
    str(addr) ??
    (addr && typeof addr === 'object' ? str((addr as Record<string, unknown>).formatted) : undefined);
  if (formatted) {
    person.address = { formatted, country: 'JP', script: scriptOf(formatted) };
    verified.push('address');
  }
  return { person, verified };
}

export const digitalAgencyProfile: UpstreamProfile = {
  id: 'digital-agency',
  defaults: {
    scope: 'openid name address birthdate gender',
    par: false,
    dpop: false,
    userinfo: true,
    requireEncryptedIdToken: false,
    idTokenSigningAlg: 'ES256',
    maxLoa: 'high',
    label: {
      ja: 'デジタル認証アプリ（マイナンバーカード）',
      en: 'Digital Agency authentication app (My Number Card)',
    },
    authorizationParams: { acr_values: 'aal3' },
  },
  acrMap: DIGITAL_AGENCY_ACR,
  mapAmr: (amr) => mapAmrValues(amr),
  toIdentity(login: VerifiedLogin): CanonicalIdentityInput {
    const sub = str(login.idToken.sub, 255);
    if (!sub) throw claimsError('the Digital Agency ID token has no subject');
    const { person, verified } = daPerson({ ...login.idToken, ...login.userinfo });
    // The card login is possession (hwk) + PIN; the upstream may not say so in amr.
    const amr = login.amr.filter((a) => a !== 'user');
    return {
      subject: { id: sub, issuer: login.instanceId },
      authentication: {
        source: login.instanceId,
        loa: login.loa,
        amr: amr.length > 0 ? amr : ['hwk', 'pin'],
        authTime: login.authTime,
        evidence: [
          {
            type: 'id-token',
            trustFramework: 'jp_jpki',
            documentType: 'jp_individual_number_card',
            issuer: DIGITAL_AGENCY_EVIDENCE_ISSUER,
            verifiedAt: login.now,
          },
        ],
      },
      person,
      verified,
    };
  },
};
