/** Minimal, escaping HTML templating for the server-rendered interaction pages. */
import type { Locale } from '../../core/adapter.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A JSON literal safe inside an inline <script> (no `</script>`, no JS line separators). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A string already escaped/assembled from escaped parts. */
export interface SafeHtml {
  readonly __html: string;
}
export const raw = (html: string): SafeHtml => ({ __html: html });

/** Tagged template that escapes interpolations unless they are SafeHtml (or arrays of SafeHtml). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const part = Array.isArray(v)
      ? v.map((x) => (isSafe(x) ? x.__html : escapeHtml(x))).join('')
      : isSafe(v)
        ? v.__html
        : escapeHtml(v);
    out += part + (strings[i + 1] ?? '');
  });
  return raw(out);
}

function isSafe(v: unknown): v is SafeHtml {
  return typeof v === 'object' && v !== null && '__html' in v;
}

const STYLE = `body{font-family:system-ui,"Hiragino Sans","Noto Sans JP",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}button,.button{font-size:1rem;padding:.6rem 1rem;margin:.3rem 0;border-radius:.4rem;border:1px solid #555;background:#fff;cursor:pointer;display:inline-block;text-decoration:none;color:inherit}
button.primary{background:#0b4f9c;color:#fff;border-color:#0b4f9c}ul.sources{list-style:none;padding:0}ul.sources li{margin:.5rem 0}
.muted{color:#555;font-size:.9rem}.error{color:#a40000}header{display:flex;justify-content:space-between;align-items:center}`;

export function page(
  locale: Locale,
  title: string,
  body: SafeHtml,
  options: { langSwitch?: string } = {},
): string {
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>
<header><strong>Kakehashi 架け橋</strong>${options.langSwitch ? `<a class="muted" href="${escapeHtml(options.langSwitch)}">${locale === 'ja' ? 'English' : '日本語'}</a>` : ''}</header>
<main>${body.__html}</main></body></html>`;
}
