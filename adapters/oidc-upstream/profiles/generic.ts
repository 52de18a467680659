/**
 * The generic profile: any OpenID Connect provider. `sub` is the subject,
 * OIDC Core §5.1 standard claims fill the person, and the acr mapping comes
 * from the source's options (`acrMap`); nothing is marked verified.
 */
import type { CanonicalIdentityInput, Person } from '../../../src/core/identity.js';
import { claimsError, genderOf, isoDate, mapAmrValues, scriptOf, str } from './common.js';
import type { UpstreamProfile, VerifiedLogin } from './types.js';

/** Standard OIDC claims (ID token merged with userinfo) -> canonical person. */
export function personFromStandardClaims(c: Readonly<Record<string, unknown>>): Person {
  const person: Person = {};
  const name = (v: unknown) => {
    const s = str(v, 256);
    return s ? [{ value: s, script: scriptOf(s) }] : undefined;
  };
  const family = name(c.family_name);
  const given = name(c.given_name);
  const full = name(c.name);
  if (family) person.familyName = family;
  if (given) person.givenName = given;
  if (full) person.fullName = full;
  const birthDate = isoDate(c.birthdate);
  if (birthDate) person.birthDate = birthDate;
  const gender = genderOf(c.gender);
  if (gender) person.gender = gender;
  const email = str(c.email, 254);
  if (email && /^[^\s@]+@[^\s@]+$/.test(email)) person.email = email;
  const addr = c.address;
  if (addr && typeof addr === 'object') {
    const a = addr as Record<string, unknown>;
    const parts = [a.postal_code, a.region, a.locality, a.street_address].map((p) => str(p, 256));
    const formatted = str(a.formatted) ?? parts.filter(Boolean).join(' ');
    if (formatted) {
      const country = str(a.country, 2);
      person.address = {
        formatted,
        ...(country && /^[A-Z]{2}$/.test(country) && { country }),
        ...(parts[0] && { postalCode: parts[0].slice(0, 32) }),
        ...(parts[1] && { region: parts[1].slice(0, 128) }),
        ...(parts[2] && { locality: parts[2].slice(0, 128) }),
        ...(parts[3] && { streetAddress: parts[3] }),
        script: scriptOf(formatted),
      };
    }
  }
  return person;
}

export function genericProfile(
  acrMap: Readonly<Record<string, 'low' | 'substantial' | 'high'>>,
): UpstreamProfile {
  return {
    id: 'generic',
    defaults: {
      scope: 'openid',
      par: false,
      dpop: false,
      userinfo: true,
      requireEncryptedIdToken: false,
      maxLoa: 'low',
      label: { ja: '外部の OpenID プロバイダ', en: 'External OpenID provider' },
    },
    acrMap,
    mapAmr: (amr) => mapAmrValues(amr),
    toIdentity(login: VerifiedLogin): CanonicalIdentityInput {
      const sub = str(login.idToken.sub, 255);
      if (!sub) throw claimsError('the upstream ID token has no usable subject');
      return {
        subject: { id: sub, issuer: login.instanceId },
        authentication: {
          source: login.instanceId,
          loa: login.loa,
          amr: [...login.amr],
          authTime: login.authTime,
          evidence: [
            { type: 'id-token', trustFramework: 'oidc', issuer: login.issuer, verifiedAt: login.now },
          ],
        },
        person: personFromStandardClaims({ ...login.idToken, ...login.userinfo }),
        verified: [],
      };
    },
  };
}
