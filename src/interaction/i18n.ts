/** UI strings in Japanese and English, and locale negotiation (ui_locales, then Accept-Language). */
import type { Locale } from '../core/adapter.js';

export const MESSAGES = {
  ja: {
    title: '本人確認',
    chooseSource: '本人確認の方法を選んでください',
    requestedBy: '{client} があなたの本人確認を求めています。',
    cancel: 'キャンセル',
    consentTitle: '情報提供への同意',
    consentLead: '{client} に次の情報を提供します。',
    consentNone: '個人情報は提供されません（仮名の識別子のみ）。',
    approve: '同意して続ける',
    deny: '同意しない',
    errorTitle: 'エラー',
    errorLead: '処理を続けられませんでした。',
    noSource: '要求された保証レベルを満たす本人確認方法がありません。',
    language: 'English',
    'attr.familyName': '姓',
    'attr.givenName': '名',
    'attr.fullName': '氏名',
    'attr.birthName': '出生時の氏名',
    'attr.birthDate': '生年月日',
    'attr.gender': '性別',
    'attr.address': '住所',
    'attr.nationality': '国籍',
    'attr.email': 'メールアドレス',
    'attr.verified': '検証済みの属性（verified_claims）',
    loaLabel: '保証レベル',
    logoutTitle: 'ログアウト',
    logoutLead: 'Kakehashi からログアウトしますか？',
    logoutYes: 'ログアウトする',
    logoutNo: 'ログインしたままにする',
    loggedOut: 'ログアウトしました',
  },
  en: {
    title: 'Identity verification',
    chooseSource: 'Choose how to prove who you are',
    requestedBy: '{client} asks you to prove your identity.',
    cancel: 'Cancel',
    consentTitle: 'Consent to share information',
    consentLead: 'The following information will be sent to {client}.',
    consentNone: 'No personal information is shared (a pseudonymous identifier only).',
    approve: 'Agree and continue',
    deny: 'Do not agree',
    errorTitle: 'Error',
    errorLead: 'The request could not be completed.',
    noSource: 'No identity method meets the requested level of assurance.',
    language: '日本語',
    'attr.familyName': 'Family name',
    'attr.givenName': 'Given name',
    'attr.fullName': 'Full name',
    'attr.birthName': 'Birth name',
    'attr.birthDate': 'Date of birth',
    'attr.gender': 'Gender',
    'attr.address': 'Address',
    'attr.nationality': 'Nationality',
    'attr.email': 'Email address',
    'attr.verified': 'Verified attributes (verified_claims)',
    loaLabel: 'Level of assurance',
    logoutTitle: 'Sign out',
    logoutLead: 'Do you want to sign out of Kakehashi?',
    logoutYes: 'Sign out',
    logoutNo: 'Stay signed in',
    loggedOut: 'You have signed out',
  },
} as const satisfies Record<Locale, Record<string, string>>;

export type MessageKey = keyof (typeof MESSAGES)['en'];

export function t(locale: Locale, key: MessageKey, vars: Record<string, string> = {}): string {
  return MESSAGES[locale][key].replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '');
}

function parseTag(tag: string): Locale | undefined {
  const primary = tag.trim().split(/[-_;]/)[0]?.toLowerCase();
  return primary === 'ja' || primary === 'en' ? primary : undefined;
}

/** ui_locales (space-separated, in order) wins; then Accept-Language by q-value; then the fallback. */
export function negotiateLocale(
  uiLocales: string | undefined,
  acceptLanguage: string | undefined,
  fallback: Locale = 'ja',
): Locale {
  for (const tag of uiLocales?.split(' ') ?? []) {
    const l = parseTag(tag);
    if (l) return l;
  }
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? '1',
      );
      return { locale: parseTag(tag), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((x): x is { locale: Locale; q: number } => x.locale !== undefined && x.q > 0)
    .sort((a, b) => b.q - a.q);
  return ranked[0]?.locale ?? fallback;
}
