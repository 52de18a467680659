/**
 * Canonical identity -> OpenID Connect claims (OIDC Core §5.1 standard claims,
 * language-tagged variants per §5.2, and OpenID Connect for Identity Assurance
 * `verified_claims` for attributes the source verified).
 */
import type { CanonicalIdentity, PersonAttribute, ScriptedName } from '../core/identity.js';

/** Scope -> claims it releases (OIDC Core §5.4 plus `verified_claims`). */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: [
    'name',
    'family_name',
    'given_name',
    'name#ja-Kana-JP',
    'family_name#ja-Kana-JP',
    'given_name#ja-Kana-JP',
    'name#ja-Latn-JP',
    'family_name#ja-Latn-JP',
    'given_name#ja-Latn-JP',
    'birthdate',
    'gender',
    'nationalities',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  birthdate: ['birthdate'],
  gender: ['gender'],
  name: ['name', 'family_name', 'given_name'],
  verified_claims: ['verified_claims'],
} as const satisfies Record<string, readonly string[]>;

/** Which person attribute each claim reveals: used for consent lists and minimisation. */
export const CLAIM_ATTRIBUTE: Readonly<Record<string, PersonAttribute | undefined>> = {
  name: 'fullName',
  family_name: 'familyName',
  given_name: 'givenName',
  birthdate: 'birthDate',
  gender: 'gender',
  address: 'address',
  nationalities: 'nationality',
  email: 'email',
  email_verified: 'email',
};

export function attributeForClaim(claim: string): PersonAttribute | undefined {
  return CLAIM_ATTRIBUTE[claim.split('#')[0] ?? claim];
}

const TAGS: Readonly<Record<string, ScriptedName['script'][]>> = {
  '': ['Jpan', 'Latn'],
  '#ja-Kana-JP': ['Kana'],
  '#ja-Latn-JP': ['Latn'],
};

function pick(names: readonly ScriptedName[] | undefined, scripts: readonly ScriptedName['script'][]) {
  for (const s of scripts) {
    const hit = names?.find((n) => n.script === s);
    if (hit) return hit.value;
  }
  return undefined;
}

function joinName(family: string | undefined, given: string | undefined, script: string): string | undefined {
  if (!family && !given) return undefined;
  const sep = script === 'Latn' ? ' ' : '\u3000';
  // Latin names are written given-first in OIDC examples; Japanese family-first.
  return script === 'Latn'
    ? [given, family].filter(Boolean).join(sep)
    : [family, given].filter(Boolean).join(sep);
}

/** All claims the identity can fill, before scope/consent filtering. */
export function identityToClaims(identity: CanonicalIdentity): Record<string, unknown> {
  const p = identity.person;
  const out: Record<string, unknown> = {};
  for (const [tag, scripts] of Object.entries(TAGS)) {
    const family = pick(p.familyName, scripts);
    const given = pick(p.givenName, scripts);
    const script = scripts.find((s) => p.familyName?.some((n) => n.script === s)) ?? scripts[0] ?? 'Jpan';
    if (family) out[`family_name${tag}`] = family;
    if (given) out[`given_name${tag}`] = given;
    const full = pick(p.fullName, scripts) ?? joinName(family, given, script);
    if (full) out[`name${tag}`] = full;
  }
  if (p.birthDate) out.birthdate = p.birthDate;
  if (p.gender) out.gender = p.gender;
  if (p.nationality?.length) out.nationalities = [...p.nationality];
  if (p.email) {
    out.email = p.email;
    out.email_verified = identity.verified.includes('email');
  }
  if (p.address) {
    out.address = {
      formatted: p.address.formatted,
      ...(p.address.country && { country: p.address.country }),
      ...(p.address.postalCode && { postal_code: p.address.postalCode }),
      ...(p.address.region && { region: p.address.region }),
      ...(p.address.locality && { locality: p.address.locality }),
      ...(p.address.streetAddress && { street_address: p.address.streetAddress }),
    };
  }
  return out;
}

/**
 * OIDC4IDA `verified_claims` for the claims the source verified, limited to `wanted`
 * (the claim names the RP may receive in this response). Undefined when nothing verified is wanted.
 */
export function verifiedClaims(identity: CanonicalIdentity, wanted: ReadonlySet<string>) {
  const all = identityToClaims(identity);
  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(all)) {
    const attr = attributeForClaim(name);
    if (attr && identity.verified.includes(attr) && wanted.has(name)) claims[name] = value;
  }
  if (Object.keys(claims).length === 0) return undefined;
  const ev = identity.authentication.evidence?.[0];
  return {
    verification: {
      trust_framework: ev?.trustFramework ?? 'unknown',
      time: new Date((ev?.verifiedAt ?? identity.authentication.authTime) * 1000).toISOString(),
      assurance_level: identity.authentication.loa,
      ...(ev && {
        evidence: [
          {
            type: 'electronic_record',
            check_details: [{ check_method: 'vcrypt' }],
            time: new Date(ev.verifiedAt * 1000).toISOString(),
            record: {
              type: ev.documentType ?? ev.type,
              ...(ev.issuer && { source: { name: ev.issuer } }),
            },
          },
        ],
      }),
    },
    claims,
  };
}
