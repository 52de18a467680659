import type { Locale, Localized } from '../../core/adapter.js';
import { t } from '../i18n.js';
import { html, page } from './html.js';

export interface LoginPageModel {
  uid: string;
  clientName: string;
  csrf: string;
  sources: readonly { name: string; label: Localized; description?: Localized | undefined }[];
}

export function renderLoginPage(locale: Locale, m: LoginPageModel): string {
  const items = m.sources.map(
    (s) => html`<li><form method="post" action="/interaction/${m.uid}/source/${s.name}">
<input type="hidden" name="csrf" value="${m.csrf}"><button class="primary" type="submit" data-source="${s.name}">${s.label[locale]}</button>
${s.description ? html`<div class="muted">${s.description[locale]}</div>` : ''}</form></li>`,
  );
  const body = html`<h1>${t(locale, 'chooseSource')}</h1>
<p>${t(locale, 'requestedBy', { client: m.clientName })}</p>
${items.length ? html`<ul class="sources">${items}</ul>` : html`<p class="error">${t(locale, 'noSource')}</p>`}
<form method="post" action="/interaction/${m.uid}/abort"><input type="hidden" name="csrf" value="${m.csrf}">
<button type="submit">${t(locale, 'cancel')}</button></form>`;
  return page(locale, t(locale, 'title'), body, {
    langSwitch: `/interaction/${m.uid}?lang=${locale === 'ja' ? 'en' : 'ja'}`,
  });
}
