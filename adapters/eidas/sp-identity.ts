/**
 * eIDAS natural-person attributes and LoA -> canonical identity (eIDAS SAML Attribute Profile v1.2 §2;
 * mapping table in docs/schemes/eidas.md). PersonIdentifier becomes a keyed pseudonym, never the raw value.
 */
import { createHmac } from 'node:crypto';
import type { CanonicalIdentityInput, PersonAttribute, ScriptedName } from '../../src/core/identity.js';
import type { Loa } from '../../src/core/loa.js';
import { NATURAL_PERSON, NS } from './constants.js';
import type { AttributeValueRead, VerifiedAssertion } from './sp-response.js';
import { samlError } from './sp-response.js';
import { withDoc } from './xml.js';

type Attrs = VerifiedAssertion['attributes'];
const values = (a: Attrs, key: keyof typeof NATURAL_PERSON): readonly AttributeValueRead[] =>
  a[NATURAL_PERSON[key].name] ?? [];

/** Script of a name value, when it is one the canonical identity carries. */
function scriptOf(v: string): ScriptedName['script'] | undefined {
  if (/^[\p{Script=Latin}\p{P}\p{Zs}\p{M}]+$/u.test(v)) return 'Latn';
  if (/^[\p{Script=Katakana}ー\p{Zs}]+$/u.test(v)) return 'Kana';
  if (/^[\p{Script=Hiragana}ー\p{Zs}]+$/u.test(v)) return 'Hira';
  if (/^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}ー々\p{Zs}]+$/u.test(v)) return 'Jpan';
  return undefined;
}

/**
 * Name values: a value without LatinScript="false" is the Latin one; a LatinScript="false" value is kept only
 * in a script the canonical identity has (Japanese); other native scripts (Greek, Cyrillic...) are dropped.
 */
function names(vals: readonly AttributeValueRead[]): ScriptedName[] | undefined {
  const out: ScriptedName[] = [];
  for (const v of vals) {
    const script = scriptOf(v.value);
    if (!v.value || v.value.length > 256) continue;
    if (v.latinScript && script === 'Latn') out.push({ value: v.value, script: 'Latn' });
    else if (!v.latinScript && script && script !== 'Latn') out.push({ value: v.value, script });
  }
  return out.length ? out.slice(0, 8) : undefined;
}

const GENDER: Readonly<Record<string, 'male' | 'female' | 'unknown'>> = {
  Male: 'male',
  Female: 'female',
  Unspecified: 'unknown',
  'Not Specified': 'unknown',
};

/** CurrentAddress: base64 of CurrentAddressStructuredType children (eIDAS natural person XSD). */
export function decodeCurrentAddress(b64: string) {
  const xml = Buffer.from(b64, 'base64').toString('utf8');
  if (!xml.includes('<') || xml.length > 4096) return undefined;
  try {
    return withDoc(`<a xmlns:eidas-natural="${NS.eidasNatural}">${xml}</a>`, (d) => {
      const part = (n: string) => {
        const el = d.root.find(`*[local-name()="${n}"]`)[0];
        const t = el ? el.content.trim() : '';
        return t || undefined;
      };
      const street = [part('LocatorDesignator'), part('Thoroughfare')].filter(Boolean).join(' ') || undefined;
      const first = part('AdminunitFirstline');
      const fields = {
        streetAddress: street,
        locality: part('PostName'),
        region: part('AdminunitSecondline'),
        postalCode: part('PostCode'),
        country: first && /^[A-Z]{2}$/.test(first) ? first : undefined,
      };
      const formatted =
        part('FullCvaddress') ??
        part('CvaddressArea') ??
        [street, fields.postalCode, fields.locality, fields.region, first].filter(Boolean).join(', ');
      if (!formatted) return undefined;
      return {
        formatted: formatted.slice(0, 512),
        ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
      };
    });
  } catch {
    return undefined;
  }
}

export interface IdentityContext {
  readonly instanceId: string;
  readonly nodeEntityId: string;
  /** Key for the PersonIdentifier pseudonym (stable for the deployment). */
  readonly pseudonymKey: Uint8Array;
  readonly loa: Loa;
  /** Epoch seconds. */
  readonly now: number;
}

/** Build the canonical identity input (validated by the core's parseCanonicalIdentity afterwards). */
export function identityFromAssertion(a: VerifiedAssertion, c: IdentityContext): CanonicalIdentityInput {
  const pid = values(a.attributes, 'PersonIdentifier')[0]?.value ?? '';
  const m = /^([A-Z]{2})\/([A-Z]{2})\/(.+)$/.exec(pid);
  if (!m) throw samlError('ERR_EIDAS_PERSON_IDENTIFIER', 'PersonIdentifier missing or malformed');
  const person: Record<string, unknown> = {};
  const family = names(values(a.attributes, 'CurrentFamilyName'));
  const given = names(values(a.attributes, 'CurrentGivenName'));
  const birthName = names(values(a.attributes, 'BirthName'));
  const dob = values(a.attributes, 'DateOfBirth')[0]?.value;
  const gender = GENDER[values(a.attributes, 'Gender')[0]?.value ?? ''];
  const addressB64 = values(a.attributes, 'CurrentAddress')[0]?.value;
  const address = addressB64 ? decodeCurrentAddress(addressB64) : undefined;
  if (family) person.familyName = family;
  if (given) person.givenName = given;
  if (birthName) person.birthName = birthName;
  if (dob && /^\d{4}-\d{2}-\d{2}$/.test(dob)) person.birthDate = dob;
  if (gender) person.gender = gender;
  if (address) person.address = address;
  // Everything the node asserts comes from the member state's eID scheme: verified, not self-asserted.
  const verified = Object.keys(person) as PersonAttribute[];
  const subjectId = createHmac('sha256', c.pseudonymKey)
    .update(`eidas-pid\0${c.nodeEntityId}\0${pid}`)
    .digest('base64url');
  return {
    subject: { id: subjectId, issuer: c.instanceId },
    authentication: {
      source: c.instanceId,
      loa: c.loa,
      // The node does not say how the person authenticated; substantial and high imply multi-factor.
      amr: c.loa === 'low' ? ['pwd'] : ['mfa'],
      authTime: Math.floor(a.authnInstant / 1000),
      evidence: [
        {
          type: 'saml-assertion',
          trustFramework: 'eidas',
          issuer: c.nodeEntityId.slice(0, 1024),
          thumbprint: a.signerThumbprint,
          verifiedAt: c.now,
        },
      ],
    },
    person,
    verified,
    extensions: { 'eidas:originCountry': m[1] ?? '', 'eidas:destinationCountry': m[2] ?? '' },
  };
}
