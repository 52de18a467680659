/** Singpass-like target: subjects, Myinfo items, Latin names from kana. */
import { describe, expect, it } from 'vitest';
import { myinfoClaims } from '../../../adapters/singpass-target/person.js';
import { kanaToLatin } from '../../../adapters/singpass-target/romaji.js';
import { pairwiseUuid, singpassSubject } from '../../../adapters/singpass-target/subject.js';
import { type CanonicalIdentity, parseCanonicalIdentity } from '../../../src/core/identity.js';

const base = {
  subject: { id: 'x', issuer: 'jpki' },
  authentication: { source: 'jpki', loa: 'high', amr: ['hwk', 'pin'], authTime: 1 },
} as const;

const identity = (person: Record<string, unknown>, verified: string[] = []): CanonicalIdentity =>
  parseCanonicalIdentity({ ...base, person, verified });

describe('subject', () => {
  it('is a deterministic v8 UUID per pairwise sub, in u= or bare form', () => {
    const u = pairwiseUuid('pairwise-1');
    expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pairwiseUuid('pairwise-1')).toBe(u);
    expect(pairwiseUuid('pairwise-2')).not.toBe(u);
    expect(singpassSubject('pairwise-1', 'u=')).toBe(`u=${u}`);
    expect(singpassSubject('pairwise-1', 'uuid')).toBe(u);
  });
});

describe('kana to passport Hepburn', () => {
  it.each([
    ['カケハシ', 'KAKEHASHI'],
    ['はなこ', 'HANAKO'],
    ['サトウ', 'SATO'],
    ['イノウエ', 'INOUE'],
    ['キョウコ', 'KYOKO'],
    ['シュンペイ', 'SHUMPEI'],
    ['ハットリ', 'HATTORI'],
    ['マッチャ', 'MATCHA'],
    ['ジュン', 'JUN'],
  ])('%s -> %s', (kana, latin) => {
    expect(kanaToLatin(kana)).toBe(latin);
  });
  it('refuses kanji', () => {
    expect(kanaToLatin('架橋')).toBeUndefined();
  });
});

describe('Myinfo items', () => {
  it('uses the Latin name, family first, upper case; marks verified items source 1', () => {
    const claims = myinfoClaims(
      identity(
        {
          familyName: [
            { value: '架橋', script: 'Jpan' },
            { value: 'Kakehashi', script: 'Latn' },
          ],
          givenName: [
            { value: '花子', script: 'Jpan' },
            { value: 'Hanako', script: 'Latn' },
          ],
          birthDate: '1990-04-01',
          gender: 'female',
          nationality: ['JP'],
          address: { formatted: '東京都千代田区霞が関一丁目1番1号', country: 'JP', script: 'Jpan' },
        },
        ['familyName', 'givenName', 'birthDate', 'gender'],
      ),
      'Latn',
    );
    expect(claims).toEqual({
      name: { value: 'KAKEHASHI HANAKO', source: '1', classification: 'C' },
      dob: { value: '1990-04-01', source: '1', classification: 'C' },
      sex: { code: 'F', desc: 'FEMALE', source: '1', classification: 'C' },
      nationality: { code: 'JP', source: '2', classification: 'C' },
      regadd: {
        type: 'Unformatted',
        country: { code: 'JP' },
        line1: { value: '東京都千代田区霞が関一丁目1番1号' },
        line2: { value: '' },
        source: '2',
        classification: 'C',
      },
    });
    expect(Object.keys(claims)).not.toContain('uinfin');
  });

  it('romanises a kana reading when there is no Latin name', () => {
    const claims = myinfoClaims(
      identity({
        familyName: [
          { value: '佐藤', script: 'Jpan' },
          { value: 'サトウ', script: 'Kana' },
        ],
        givenName: [
          { value: '京子', script: 'Jpan' },
          { value: 'キョウコ', script: 'Kana' },
        ],
      }),
      'Latn',
    );
    expect(claims.name).toEqual({ value: 'SATO KYOKO', source: '2', classification: 'C' });
  });

  it('marks the Latin name unavailable for a kanji-only name (JPKI), and keeps kanji when asked', () => {
    const kanjiOnly = identity({ fullName: [{ value: '架橋 花子', script: 'Jpan' }] }, ['fullName']);
    expect(myinfoClaims(kanjiOnly, 'Latn').name).toEqual({ unavailable: true });
    expect(myinfoClaims(kanjiOnly, 'Jpan').name).toEqual({
      value: '架橋 花子',
      source: '1',
      classification: 'C',
    });
  });
});
