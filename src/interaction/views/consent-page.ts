import type { Locale } from '../../core/adapter.js';
import type { PersonAttribute } from '../../core/identity.js';
import type { Loa } from '../../core/loa.js';
import { type MessageKey, t } from '../i18n.js';
import { html, page } from './html.js';

export interface ConsentPageModel {
  uid: string;
  /** Where the form posts: the interaction's resume URL path (`/auth/<uid>`). */
  action: string;
  clientName: string;
  csrf: string;
  /** Attribute names (never values) that will be released. */
  attributes: readonly PersonAttribute[];
  verifiedClaims: boolean;
  loa: Loa;
}

/**
 * The consent page. Its form posts to the resume URL, which answers with the redirect to the RP and consumes the
 * interaction, so a second submission (a double click whose first answer has not arrived yet) would end on an
 * error page instead of at the RP: the form sends itself once. The first submission keeps the clicked button's
 * value (nothing is disabled).
 */
export function renderConsentPage(locale: Locale, m: ConsentPageModel): string {
  const items = m.attributes.map(
    (a) => html`<li data-attribute="${a}">${t(locale, `attr.${a}` as MessageKey)}</li>`,
  );
  if (m.verifiedClaims)
    items.push(html`<li data-attribute="verified_claims">${t(locale, 'attr.verified')}</li>`);
  const body = html`<h1>${t(locale, 'consentTitle')}</h1>
<p>${t(locale, 'consentLead', { client: m.clientName })}</p>
${items.length ? html`<ul class="attributes">${items}</ul>` : html`<p>${t(locale, 'consentNone')}</p>`}
<p class="muted">${t(locale, 'loaLabel')}: ${m.loa}</p>
<form id="consent" method="post" action="${m.action}" onsubmit="if(this.dataset.sent)return false;this.dataset.sent='1'"><input type="hidden" name="csrf" value="${m.csrf}">
<button class="primary" type="submit" name="decision" value="approve">${t(locale, 'approve')}</button>
<button type="submit" name="decision" value="deny">${t(locale, 'deny')}</button></form>`;
  return page(locale, t(locale, 'consentTitle'), body, {
    langSwitch: `/interaction/${m.uid}?lang=${locale === 'ja' ? 'en' : 'ja'}`,
  });
}
