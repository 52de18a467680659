import type { Locale } from '../../core/adapter.js';
import { t } from '../i18n.js';
import { html, page } from './html.js';

/** The error page: OAuth error code and a safe description, never a stack trace. */
export function renderErrorPage(
  locale: Locale,
  err: { error: string; description?: string | undefined },
): string {
  return page(
    locale,
    t(locale, 'errorTitle'),
    html`<h1>${t(locale, 'errorTitle')}</h1><p>${t(locale, 'errorLead')}</p>
<p class="error"><code>${err.error}</code>${err.description ? html`: ${err.description}` : ''}</p>`,
  );
}
