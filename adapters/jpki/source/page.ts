/**
 * The waiting page: QR code of the challenge URL for a phone, a same-device
 * link, the URL for the CLI card client, and a tiny long poller that moves on
 * when the card has answered. Server-rendered, every value escaped.
 */
import QRCode from 'qrcode';
import type { Locale } from '../../../src/core/adapter.js';
import { html, page, raw, scriptJson } from '../../../src/interaction/views/html.js';

const TEXT = {
  ja: {
    title: 'マイナンバーカードでログイン',
    scan: 'スマートフォンのカードアプリでこのQRコードを読み取り、利用者証明用電子証明書の暗証番号（数字4桁）を入力してください。',
    signing:
      'この手続きでは氏名・住所などの確認のため、署名用電子証明書の暗証番号（英数字6〜16桁）も必要です。',
    sameDevice: 'この端末のアプリで開く',
    cli: 'カードリーダーをお使いの場合は、カードクライアントにこのURLを渡してください:',
    waiting: 'カードからの応答を待っています…',
    expires: '有効期限',
    demo: 'テスト用カードで応答する（開発用）',
    qrAlt: 'ログイン用QRコード',
  },
  en: {
    title: 'Sign in with your My Number Card',
    scan: 'Scan this QR code with your card app and enter the 4-digit PIN of the user authentication certificate.',
    signing:
      'This request also needs your name, address and similar details: you will need the signature certificate password (6-16 letters and digits) too.',
    sameDevice: 'Open in the app on this device',
    cli: 'With a card reader, give this URL to the card client:',
    waiting: 'Waiting for the card…',
    expires: 'Expires at',
    demo: 'Answer with a test card (development)',
    qrAlt: 'Sign-in QR code',
  },
} as const;

export interface WaitingPageInput {
  locale: Locale;
  challengeUrl: string;
  statusUrl: string;
  finishUrl: string;
  /** Epoch seconds. */
  expiresAt: number;
  signing: boolean;
  /** Dev mode only: URL that plays the virtual card. */
  demoPlayUrl?: string;
}

export async function renderWaitingPage(input: WaitingPageInput): Promise<string> {
  const t = TEXT[input.locale];
  // One byte-mode segment: the library's search for the shortest mix of numeric/alphanumeric/byte
  // segments (a graph search per page) costs as much as the rest of the symbol, and a URL with
  // lower-case letters is byte mode almost throughout anyway. The mask is still chosen by the library.
  const svg = await QRCode.toString([{ data: Buffer.from(input.challengeUrl, 'utf8'), mode: 'byte' }], {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 1,
  });
  const appLink = `kakehashi-jpki://login?challenge_uri=${encodeURIComponent(input.challengeUrl)}`;
  const expires = new Date(input.expiresAt * 1000).toISOString().replace('T', ' ').slice(0, 19);
  // Long poll: the server holds `?wait=1` while the login is pending and answers as soon as it is not; an
  // answer back in under a second (an older server, or one holding too many polls) waits out the second.
  const script = `(function(){var s=${scriptJson(`${input.statusUrl}?wait=1`)},f=${scriptJson(input.finishUrl)},p=${scriptJson(input.demoPlayUrl ?? null)};
function poll(){var t=Date.now();fetch(s,{credentials:'same-origin',cache:'no-store'}).then(function(r){return r.json();}).then(function(j){if(j&&j.state&&j.state!=='pending'){location.href=f;}else{setTimeout(poll,Math.max(0,1000-(Date.now()-t)));}}).catch(function(){setTimeout(poll,2000);});}
poll();var b=document.getElementById('jpki-demo');if(b&&p){b.addEventListener('click',function(){b.disabled=true;fetch(p,{method:'POST',credentials:'same-origin'}).catch(function(){b.disabled=false;});});}})();`;
  return page(
    input.locale,
    t.title,
    html`<h1>${t.title}</h1>
<p>${t.scan}</p>${input.signing ? html`<p>${t.signing}</p>` : ''}
<div role="img" aria-label="${t.qrAlt}" style="width:16rem;height:16rem">${raw(svg)}</div>
<p><a class="button" id="jpki-app-link" href="${appLink}">${t.sameDevice}</a></p>
<p class="muted">${t.cli}<br><code id="jpki-challenge-url">${input.challengeUrl}</code></p>
<p id="jpki-waiting" aria-live="polite">${t.waiting}</p>
<p class="muted">${t.expires}: ${expires} UTC</p>
${input.demoPlayUrl ? html`<p><button type="button" id="jpki-demo">${t.demo}</button></p>` : ''}
<script>${raw(script)}</script>`,
  );
}
