/**
 * Singpass (Singapore) profile: FAPI 2.0 by default (PAR, DPoP, PKCE,
 * private_key_jwt, JWE ID token), and the legacy NDI OIDC `sub` form.
 *
 * Subject: `u=` UUID only. The NRIC/FIN (`s=`), the foreign identifier (`fid=`)
 * and `sub_attributes.identity_number` are national identifiers: they are never
 * stored, logged or released; they are not even copied out of the ID token.
 * The acr crosswalk below is ours (docs/schemes/singpass.md), unconfirmed [U].
 */
import type {
  Address,
  Amr,
  CanonicalIdentityInput,
  Person,
  PersonAttribute,
} from '../../../src/core/identity.js';
import type { Loa } from '../../../src/core/loa.js';
import { claimsError, genderOf, isoDate, mapAmrValues, scriptOf, str } from './common.js';
import type { UpstreamProfile, VerifiedLogin } from './types.js';

export const SINGPASS_ACR = {
  'urn:singpass:authentication:loa:1': 'low',
  'urn:singpass:authentication:loa:2': 'substantial',
  'urn:singpass:authentication:loa:3': 'high',
} as const satisfies Record<string, Loa>;

/** Singpass amr values (docs, non-exhaustive) -> RFC 8176. `fv` is face verification. */
const AMR_ALIASES: Readonly<Record<string, Amr>> = {
  'otp-email': 'otp',
  fv: 'face',
  'fv-alt': 'face',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SingpassSubject {
  /** The Singpass UUID (lower case): the only part we keep. */
  readonly uuid: string;
  readonly accountType: 'standard' | 'foreign';
}

/**
 * Parses `sub`: a bare UUID (FAPI), `s=<NRIC>,u=<UUID>` or the Singpass Foreign Account form
 * `s=<id>,fid=<foreign id>,coi=<country>,u=<UUID>` (legacy NDI OIDC). Returns the UUID only.
 */
export function parseSingpassSub(sub: unknown): SingpassSubject {
  if (typeof sub !== 'string' || sub.length > 512) throw claimsError('the Singpass subject is missing');
  if (UUID.test(sub)) return { uuid: sub.toLowerCase(), accountType: 'standard' };
  const fields = new Map<string, string>();
  for (const part of sub.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    if (eq <= 0 || fields.has(key) || !['s', 'u', 'fid', 'coi'].includes(key))
      throw claimsError('the Singpass subject has an unexpected form');
    fields.set(key, part.slice(eq + 1));
  }
  const uuid = fields.get('u');
  if (!uuid || !UUID.test(uuid) || !fields.get('s')) throw claimsError('the Singpass subject has no UUID');
  const foreign = fields.has('fid') || fields.has('coi');
  if (foreign && !(fields.get('fid') && /^[A-Z]{2}$/.test(fields.get('coi') ?? '')))
    throw claimsError('the Singpass foreign-account subject is incomplete');
  return { uuid: uuid.toLowerCase(), accountType: foreign ? 'foreign' : 'standard' };
}

/** A Myinfo data item: a plain string, `{ value }` or `{ code, desc }` (v3 wraps them with `source`). */
function item(v: unknown): { value?: string; code?: string; source?: string } | undefined {
  if (typeof v === 'string') return { value: v };
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const value = str(o.value);
  const code = str(o.code, 64);
  const source = str(o.source, 8);
  return { ...(value && { value }), ...(code && { code }), ...(source && { source }) };
}

/** Myinfo `regadd` -> canonical address (type SG: block/street/floor/unit/building/postal; or unformatted lines). */
export function myinfoAddress(v: unknown): Address | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const f = (k: string) => item(o[k])?.value ?? item(o[k])?.code;
  const country = item(o.country)?.code;
  let formatted: string;
  let street: string | undefined;
  if (str(o.type) === 'Unformatted') {
    formatted = [f('line1'), f('line2')].filter(Boolean).join(', ');
  } else {
    street = [f('block'), f('street')].filter(Boolean).join(' ') || undefined;
    const unit = f('floor') && f('unit') ? `#${f('floor')}-${f('unit')}` : undefined;
    formatted = [street, unit, f('building'), f('postal') && `Singapore ${f('postal')}`]
      .filter(Boolean)
      .join(', ');
  }
  if (!formatted) return undefined;
  const postal = f('postal');
  return {
    formatted: formatted.slice(0, 512),
    ...(country && /^[A-Z]{2}$/.test(country) && { country }),
    ...(postal && { postalCode: postal.slice(0, 32) }),
    ...(street && { streetAddress: street.slice(0, 256) }),
    script: 'Latn',
  };
}

/**
 * Myinfo person data (userinfo, or ID token claims) -> canonical person. Items Myinfo marks as
 * government-verified (`source: "1"`) are listed as verified.
 */
export function myinfoPerson(c: Readonly<Record<string, unknown>>): {
  person: Person;
  verified: PersonAttribute[];
} {
  const person: Person = {};
  const verified: PersonAttribute[] = [];
  const mark = (attr: PersonAttribute, it: { source?: string } | undefined) => {
    if (it?.source === '1') verified.push(attr);
  };
  const subAttributes = (c.sub_attributes ?? {}) as Record<string, unknown>;
  const name = item(c.name) ?? item(subAttributes.name);
  if (name?.value) {
    person.fullName = [{ value: name.value.slice(0, 256), script: scriptOf(name.value) }];
    mark('fullName', name);
  }
  const dob = item(c.dob);
  const birthDate = isoDate(dob?.value);
  if (birthDate) {
    person.birthDate = birthDate;
    mark('birthDate', dob);
  }
  const sex = item(c.sex);
  const gender = genderOf(sex?.code ?? sex?.value);
  if (gender) {
    person.gender = gender;
    mark('gender', sex);
  }
  const nat = item(c.nationality);
  const nationality = nat?.code ?? nat?.value;
  if (nationality && /^[A-Z]{2}$/.test(nationality)) {
    person.nationality = [nationality];
    mark('nationality', nat);
  }
  const address = myinfoAddress(c.regadd);
  if (address) {
    person.address = address;
    mark('address', c.regadd as { source?: string });
  }
  const email = item(c.email)?.value;
  if (email && /^[^\s@]+@[^\s@]+$/.test(email) && email.length <= 254) person.email = email;
  return { person, verified };
}

export const singpassProfile: UpstreamProfile = {
  id: 'singpass',
  defaults: {
    scope: 'openid',
    par: true,
    dpop: true,
    userinfo: false,
    requireEncryptedIdToken: true,
    idTokenSigningAlg: 'ES256',
    clientAssertionTyp: 'JWT',
    maxLoa: 'high',
    label: { ja: 'Singpass（シンガポール）', en: 'Singpass (Singapore)' },
  },
  acrMap: SINGPASS_ACR,
  // Legacy NDI OIDC tokens carry no acr: a password alone is low, any second factor substantial [U].
  loaWithoutAcr: (amr) => (amr.some((a) => a !== 'pwd' && a !== 'sso') ? 'substantial' : 'low'),
  mapAmr(amr) {
    const out = mapAmrValues(amr, AMR_ALIASES);
    if (out.length >= 2 && !out.includes('mfa')) out.push('mfa');
    return out.slice(0, 8);
  },
  toIdentity(login: VerifiedLogin): CanonicalIdentityInput {
    const subject = parseSingpassSub(login.idToken.sub);
    const { person, verified } = myinfoPerson({ ...login.idToken, ...login.userinfo });
    return {
      subject: { id: subject.uuid, issuer: login.instanceId },
      authentication: {
        source: login.instanceId,
        loa: login.loa,
        amr: [...login.amr],
        authTime: login.authTime,
        evidence: [
          { type: 'id-token', trustFramework: 'sg_singpass', issuer: login.issuer, verifiedAt: login.now },
        ],
      },
      person,
      verified,
      extensions: { 'singpass:account_type': subject.accountType },
    };
  },
};
