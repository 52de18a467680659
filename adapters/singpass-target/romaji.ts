/**
 * Katakana/hiragana -> Latin (passport-style Hepburn, upper case): the reading
 * a Japanese passport would print. Kanji are never transliterated (their
 * reading is not derivable from the characters); without a kana reading or a
 * Latin name from the source, the Latin name is unavailable.
 */
const BASE: Readonly<Record<string, string>> = {
  ア: 'A',
  イ: 'I',
  ウ: 'U',
  エ: 'E',
  オ: 'O',
  カ: 'KA',
  キ: 'KI',
  ク: 'KU',
  ケ: 'KE',
  コ: 'KO',
  ガ: 'GA',
  ギ: 'GI',
  グ: 'GU',
  ゲ: 'GE',
  ゴ: 'GO',
  サ: 'SA',
  シ: 'SHI',
  ス: 'SU',
  セ: 'SE',
  ソ: 'SO',
  ザ: 'ZA',
  ジ: 'JI',
  ズ: 'ZU',
  ゼ: 'ZE',
  ゾ: 'ZO',
  タ: 'TA',
  チ: 'CHI',
  ツ: 'TSU',
  テ: 'TE',
  ト: 'TO',
  ダ: 'DA',
  ヂ: 'JI',
  ヅ: 'ZU',
  デ: 'DE',
  ド: 'DO',
  ナ: 'NA',
  ニ: 'NI',
  ヌ: 'NU',
  ネ: 'NE',
  ノ: 'NO',
  ハ: 'HA',
  ヒ: 'HI',
  フ: 'FU',
  ヘ: 'HE',
  ホ: 'HO',
  バ: 'BA',
  ビ: 'BI',
  ブ: 'BU',
  ベ: 'BE',
  ボ: 'BO',
  パ: 'PA',
  ピ: 'PI',
  プ: 'PU',
  ペ: 'PE',
  ポ: 'PO',
  マ: 'MA',
  ミ: 'MI',
  ム: 'MU',
  メ: 'ME',
  モ: 'MO',
  ヤ: 'YA',
  ユ: 'YU',
  ヨ: 'YO',
  ラ: 'RA',
  リ: 'RI',
  ル: 'RU',
  レ: 'RE',
  ロ: 'RO',
  ワ: 'WA',
  ヰ: 'I',
  ヱ: 'E',
  ヲ: 'O',
  ン: 'N',
  ヴ: 'VU',
  ァ: 'A',
  ィ: 'I',
  ゥ: 'U',
  ェ: 'E',
  ォ: 'O',
};
const YOON: Readonly<Record<string, string>> = { ャ: 'A', ュ: 'U', ョ: 'O' };

function toKatakana(s: string): string {
  return s.replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}

/** Passport Hepburn of a kana string, or undefined when it holds anything else. */
export function kanaToLatin(input: string): string | undefined {
  const s = toKatakana(input.normalize('NFKC'))
    .replace(/[\u3000\s]+/g, ' ')
    .trim();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const next = s[i + 1];
    if (c === ' ') {
      out += ' ';
    } else if (c === 'ー') {
      // Passport Hepburn drops long-vowel marks.
    } else if (c === 'ッ') {
      const following = next ? BASE[next] : undefined;
      if (!following) return undefined;
      out += following.startsWith('CH') ? 'T' : following[0];
    } else if (next && YOON[next] && BASE[c]?.endsWith('I') && c !== 'イ') {
      const stem = BASE[c]!.slice(0, -1);
      out += (/^(SH|CH|J)$/.test(stem) ? stem : `${stem}Y`) + YOON[next];
      i++;
    } else if (c === 'ン') {
      // Passport Hepburn writes M before B, M and P.
      out += next && /^[BMP]/.test(BASE[next] ?? '') ? 'M' : 'N';
    } else {
      const r = BASE[c];
      if (!r) return undefined;
      out += r;
    }
  }
  // Passport Hepburn writes OU/OO as O (e.g. サトウ -> SATO).
  return out.replace(/O[UO](?=[^AEIOU]|$)/g, 'O') || undefined;
}
