/**
 * The credential offer page (OpenID4VCI 1.0 §4.1): QR code and same-device link of the
 * `openid-credential-offer://` URI, and the transaction code the person types into the wallet.
 */
import QRCode from 'qrcode';
import type { Locale } from '../../../src/core/adapter.js';
import { html, page, raw } from '../../../src/interaction/views/html.js';

const TEXT = {
  ja: {
    title: 'ウォレットに証明書を発行',
    scan: 'ウォレットアプリでこのQRコードを読み取ってください。',
    sameDevice: 'この端末のウォレットで開く',
    tx: 'ウォレットで求められたら、次の確認コードを入力してください（他人に見せないでください）:',
    expires: '有効期限',
  },
  en: {
    title: 'Add the credential to your wallet',
    scan: 'Scan this QR code with your wallet app.',
    sameDevice: 'Open in the wallet on this device',
    tx: 'When the wallet asks, enter this transaction code (do not show it to anyone):',
    expires: 'Expires at',
  },
} as const;

export interface OfferPageInput {
  readonly locale: Locale;
  /** `openid-credential-offer://?credential_offer=…` */
  readonly offerUri: string;
  readonly txCode: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export async function renderOfferPage(input: OfferPageInput): Promise<string> {
  const t = TEXT[input.locale];
  const svg = await QRCode.toString(input.offerUri, { type: 'svg', errorCorrectionLevel: 'L', margin: 1 });
  const expires = new Date(input.expiresAt * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return page(
    input.locale,
    t.title,
    html`<h1>${t.title}</h1>
<p>${t.scan}</p>
<div id="offer-qr" style="max-width:20rem">${raw(svg)}</div>
<p><a class="button" id="offer-link" href="${input.offerUri}">${t.sameDevice}</a></p>
<p>${t.tx}</p>
<p><strong id="tx-code" style="font-size:1.6rem;letter-spacing:.3rem">${input.txCode}</strong></p>
<p class="muted">${t.expires}: ${expires} UTC</p>`,
  );
}
