import type { CardHolder } from './types.js';

/**
 * Fictitious card holders for tests and the demo. Names and addresses are
 * realistic in shape only. `〓` (U+3013, geta mark) is the substitute character
 * JPKI uses for kanji outside JIS level 1/2; its position is flagged `1` in the
 * position map (one digit per character, the full-width space included).
 */
export const TEST_HOLDERS: readonly CardHolder[] = Object.freeze([
  {
    familyName: '山田',
    givenName: '太郎',
    birthDate: '1985-04-12',
    gender: 'male',
    address: '東京都千代田区霞が関二丁目１番２号',
    locality: { prefecture: 'Tokyo-to', city: 'Chiyoda-ku' },
  },
  {
    familyName: '佐藤',
    givenName: '花子',
    birthDate: '1992-11-03',
    gender: 'female',
    address: '大阪府大阪市北区梅田一丁目１３番１号',
    locality: { prefecture: 'Osaka-fu', city: 'Osaka-shi' },
  },
  {
    familyName: '〓田',
    givenName: '一郎',
    birthDate: '1960-01-20',
    gender: 'male',
    address: '北海道札幌市中央区北一条西二丁目１番地',
    nameSubstitutePositions: '10000',
    locality: { prefecture: 'Hokkaido', city: 'Sapporo-shi' },
  },
  {
    familyName: '鈴木',
    givenName: 'みのり',
    birthDate: '2001-07-30',
    gender: 'unknown',
    address: '福岡県福岡市博多区博多駅前三丁目２５番２１号',
    locality: { prefecture: 'Fukuoka-ken', city: 'Fukuoka-shi' },
  },
]);
