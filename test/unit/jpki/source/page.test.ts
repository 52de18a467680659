/** The waiting page's QR code: one byte-mode segment holding exactly the challenge URL. */
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { renderWaitingPage } from '../../../../adapters/jpki/source/page.js';

const url = 'https://gw.example/a/jpki/challenge/AbCdEfGhIjKlMnOpQrStUv';

describe('renderWaitingPage', () => {
  it('draws the QR symbol of the challenge URL as one byte segment, no larger than the default encoding', async () => {
    const page = await renderWaitingPage({
      locale: 'en',
      challengeUrl: url,
      statusUrl: `${url}/status`,
      finishUrl: `${url}/finish`,
      expiresAt: 1_700_000_000,
      signing: false,
    });
    const symbol = QRCode.create([{ data: Buffer.from(url, 'utf8'), mode: 'byte' }], {
      errorCorrectionLevel: 'M',
    });
    expect(symbol.segments).toHaveLength(1);
    expect(Buffer.from((symbol.segments[0] as unknown as { data: Uint8Array }).data).toString('utf8')).toBe(
      url,
    );
    expect(symbol.version).toBe(QRCode.create(url, { errorCorrectionLevel: 'M' }).version);
    const svg = await QRCode.toString([{ data: Buffer.from(url, 'utf8'), mode: 'byte' }], {
      type: 'svg',
      errorCorrectionLevel: 'M',
      margin: 1,
    });
    expect(page).toContain(svg);
  });
});
