/** The per-scheme profiles: Singpass subject parsing and Myinfo mapping, Digital Agency claims, acr selection. */
import { describe, expect, it } from 'vitest';
import { acrValuesFor } from '../../../adapters/oidc-upstream/login.js';
import { mapAmrValues, scriptOf } from '../../../adapters/oidc-upstream/profiles/common.js';
import { digitalAgencyProfile } from '../../../adapters/oidc-upstream/profiles/digital-agency.js';
import {
  myinfoPerson,
  parseSingpassSub,
  SINGPASS_ACR,
  singpassProfile,
} from '../../../adapters/oidc-upstream/profiles/singpass.js';
import type { VerifiedLogin } from '../../../adapters/oidc-upstream/profiles/types.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { parseCanonicalIdentity } from '../../../src/core/identity.js';

const UUID = 'a9865837-7bd7-46ac-bef4-42a76a946424';

function claimsErrorOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isGatewayError(e) ? e.code : 'not a GatewayError';
  }
  return undefined;
}

const login = (idToken: Record<string, unknown>, userinfo?: Record<string, unknown>): VerifiedLogin => ({
  idToken,
  ...(userinfo && { userinfo }),
  loa: 'substantial',
  amr: ['pwd'],
  authTime: 1_700_000_000,
  now: 1_700_000_001,
  instanceId: 'sg',
  issuer: 'https://id.example.sg',
});

describe('Singpass subject', () => {
  it.each([
    [UUID, 'standard'],
    [`s=S8979373D,u=${UUID}`, 'standard'],
    [`s=Y4581892I,fid=G730Z-H5P96,coi=DE,u=${UUID.toUpperCase()}`, 'foreign'],
  ])('keeps only the UUID of %s', (sub, accountType) => {
    expect(parseSingpassSub(sub)).toEqual({ uuid: UUID, accountType });
  });

  it.each([
    ['no u=', 's=S8979373D'],
    ['u= not a UUID', 's=S8979373D,u=123456789A'],
    ['Corppass form', `s=S8979373D,uuid=${UUID},u=123456789A,c=SG`],
    ['duplicate key', `s=S8979373D,u=${UUID},u=${UUID}`],
    ['no s=', `u=${UUID}`],
    ['foreign without coi', `s=Y4581892I,fid=G730Z-H5P96,u=${UUID}`],
    ['not a string', 42],
  ])('refuses %s', (_what, sub) => {
    expect(claimsErrorOf(() => parseSingpassSub(sub))).toBe('ERR_UPSTREAM_CLAIMS');
  });

  it('builds an identity without the NRIC, the foreign id or sub_attributes.identity_number', () => {
    const identity = parseCanonicalIdentity(
      singpassProfile.toIdentity(
        login(
          { sub: `s=Y4581892I,fid=G730Z-H5P96,coi=DE,u=${UUID}` },
          { sub_attributes: { identity_number: 'S8979373D', name: 'JANE DOE' } },
        ),
      ),
    );
    expect(identity.subject).toEqual({ id: UUID, issuer: 'sg' });
    expect(identity.person.fullName).toEqual([{ value: 'JANE DOE', script: 'Latn' }]);
    expect(identity.extensions).toEqual({ 'singpass:account_type': 'foreign' });
    expect(JSON.stringify(identity)).not.toMatch(/S8979373D|Y4581892I|G730Z/);
  });
});

describe('Singpass acr, amr and Myinfo', () => {
  it('maps loa:1/2/3 to low/substantial/high and legacy tokens by amr', () => {
    expect(SINGPASS_ACR).toEqual({
      'urn:singpass:authentication:loa:1': 'low',
      'urn:singpass:authentication:loa:2': 'substantial',
      'urn:singpass:authentication:loa:3': 'high',
    });
    expect(singpassProfile.loaWithoutAcr?.(['pwd'])).toBe('low');
    expect(singpassProfile.loaWithoutAcr?.(['pwd', 'sms'])).toBe('substantial');
    expect(singpassProfile.mapAmr(['pwd', 'otp-email'])).toEqual(['pwd', 'otp', 'mfa']);
    expect(singpassProfile.mapAmr(['sso'])).toEqual(['user']);
  });

  it('requests the lowest acr that meets the required level', () => {
    expect(acrValuesFor(SINGPASS_ACR, 'substantial')).toBe('urn:singpass:authentication:loa:2');
    expect(acrValuesFor(SINGPASS_ACR, undefined)).toBeUndefined();
    expect(acrValuesFor({ 'urn:x:low': 'low', 'urn:x:high': 'high' }, 'substantial')).toBe('urn:x:high');
    expect(acrValuesFor({ 'urn:x:low': 'low' }, 'high')).toBeUndefined();
  });

  it('maps Myinfo items; only government-verified ones (source "1") are verified', () => {
    const { person, verified } = myinfoPerson({
      name: { value: 'TAN XIAO HUI', source: '1' },
      dob: { value: '1988-10-06', source: '2' },
      sex: { code: 'M', desc: 'MALE', source: '1' },
      nationality: { code: 'SG', source: '1' },
      regadd: { type: 'Unformatted', line1: { value: '1 MAIN ST' }, line2: { value: 'KL' }, source: '1' },
      email: { value: 'a@example.sg', source: '4' },
    });
    expect(person).toEqual({
      fullName: [{ value: 'TAN XIAO HUI', script: 'Latn' }],
      birthDate: '1988-10-06',
      gender: 'male',
      nationality: ['SG'],
      address: { formatted: '1 MAIN ST, KL', script: 'Latn' },
      email: 'a@example.sg',
    });
    expect(verified).toEqual(['fullName', 'gender', 'nationality', 'address']);
  });
});

describe('Digital Agency profile', () => {
  it('maps the basic four attributes as verified, LoA as given, evidence JPKI via the Digital Agency', () => {
    const identity = parseCanonicalIdentity(
      digitalAgencyProfile.toIdentity({
        ...login(
          { sub: 'da-pairwise-1' },
          {
            name: '架橋 花子',
            birthdate: '1990-04-01',
            gender: '2',
            address: '東京都千代田区霞が関一丁目1番1号',
            individual_number: '123456789012',
          },
        ),
        loa: 'high',
        amr: ['user'],
      }),
    );
    expect(identity.person).toEqual({
      fullName: [{ value: '架橋 花子', script: 'Jpan' }],
      birthDate: '1990-04-01',
      gender: 'female',
      address: { formatted: '東京都千代田区霞が関一丁目1番1号', country: 'JP', script: 'Jpan' },
    });
    expect(identity.verified).toEqual(['fullName', 'birthDate', 'gender', 'address']);
    expect(identity.authentication.amr).toEqual(['hwk', 'pin']);
    expect(identity.authentication.evidence?.[0]).toMatchObject({
      trustFramework: 'jp_jpki',
      documentType: 'jp_individual_number_card',
      issuer: 'JPKI via the Digital Agency',
    });
    expect(JSON.stringify(identity)).not.toContain('123456789012');
  });
});

describe('helpers', () => {
  it('detects scripts', () => {
    expect(scriptOf('カケハシ')).toBe('Kana');
    expect(scriptOf('かけはし')).toBe('Hira');
    expect(scriptOf('架橋')).toBe('Jpan');
    expect(scriptOf('Kakehashi')).toBe('Latn');
  });
  it('passes RFC 8176 amr values and drops unknown ones', () => {
    expect(mapAmrValues(['pwd', 'nope', 'hwk'])).toEqual(['pwd', 'hwk']);
  });
});
