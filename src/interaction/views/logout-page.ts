import type { Locale } from '../../core/adapter.js';
import { t } from '../i18n.js';
import { html, page, raw } from './html.js';

/**
 * RP-initiated logout confirmation. `form` is oidc-provider's own hidden form (it carries the
 * xsrf token and the logout parameters); the buttons submit it.
 */
export function renderLogoutPage(locale: Locale, form: string): string {
  return page(
    locale,
    t(locale, 'logoutTitle'),
    html`<h1>${t(locale, 'logoutTitle')}</h1><p>${t(locale, 'logoutLead')}</p>${raw(form)}
<button class="primary" autofocus type="submit" form="op.logoutForm" value="yes" name="logout" id="logout-yes">${t(locale, 'logoutYes')}</button>
<button type="submit" form="op.logoutForm" id="logout-no">${t(locale, 'logoutNo')}</button>`,
  );
}

export function renderLoggedOutPage(locale: Locale): string {
  return page(locale, t(locale, 'loggedOut'), html`<h1>${t(locale, 'loggedOut')}</h1>`);
}
