/**
 * The waiting page of the verifier source: QR code of the OpenID4VP request (cross-device), a same-device
 * link, and a poller that moves on to `/finish/<id>` once the wallet has answered (JPKI source pattern).
 */
import QRCode from 'qrcode';
import type { Locale } from '../../../src/core/adapter.js';
import { html, page, raw, scriptJson } from '../../../src/interaction/views/html.js';

const TEXT = {
  ja: {
    title: 'デジタルIDウォレットでログイン',
    scan: 'ウォレットアプリでこのQRコードを読み取り、表示される項目の提供に同意してください。',
    sameDevice: 'この端末のウォレットで開く',
    waiting: 'ウォレットからの応答を待っています…',
    returned: 'ウォレットが応答しました。ウォレットから開かれたページで続けてください。',
    expires: '有効期限',
  },
  en: {
    title: 'Sign in with your digital identity wallet',
    scan: 'Scan this QR code with your wallet app and agree to share the requested attributes.',
    sameDevice: 'Open in the wallet on this device',
    waiting: 'Waiting for the wallet…',
    returned: 'The wallet has answered. Continue in the page the wallet opened.',
    expires: 'Expires at',
  },
} as const;

export interface WalletPageInput {
  readonly locale: Locale;
  /** `openid4vp://?client_id=…&request_uri=…` for the QR code (cross-device). */
  readonly requestUri: string;
  /** The same with `request_uri=…?flow=same-device`: the wallet's answer redirects this browser back. */
  readonly sameDeviceUri: string;
  readonly statusUrl: string;
  readonly finishUrl: string;
  readonly expiresAt: number;
}

export async function renderWalletPage(input: WalletPageInput): Promise<string> {
  const t = TEXT[input.locale];
  const svg = await QRCode.toString(input.requestUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  const expires = new Date(input.expiresAt * 1000).toISOString().replace('T', ' ').slice(0, 19);
  const script = `(function(){var s=${scriptJson(input.statusUrl)},f=${scriptJson(input.finishUrl)},t=${scriptJson(t.returned)};
function poll(){fetch(s,{credentials:'same-origin',cache:'no-store'}).then(function(r){return r.json();}).then(function(j){if(j&&j.state==='wallet-redirect'){document.getElementById('vp-waiting').textContent=t;}else if(j&&j.state&&j.state!=='pending'){location.href=f;}else{setTimeout(poll,1000);}}).catch(function(){setTimeout(poll,2000);});}
setTimeout(poll,1000);})();`;
  return page(
    input.locale,
    t.title,
    html`<h1>${t.title}</h1>
<p>${t.scan}</p>
<div id="vp-qr" style="max-width:20rem" data-request="${input.requestUri}">${raw(svg)}</div>
<p><a class="button" id="vp-link" href="${input.sameDeviceUri}">${t.sameDevice}</a></p>
<p id="vp-waiting" aria-live="polite">${t.waiting}</p>
<p class="muted">${t.expires}: ${expires} UTC</p>
<script>${raw(script)}</script>`,
  );
}
