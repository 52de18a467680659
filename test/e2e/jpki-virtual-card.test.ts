/**
 * What `npm start` offers a newcomer, in a real browser: the demo RP asks for the
 * basic four attributes, the user picks the My Number Card, the waiting page's
 * dev-only button plays a virtual card (the card client runs server-side against
 * the challenge URL), the page notices by polling, consent follows, and the RP
 * shows the card holder's verified attributes.
 */
import 'reflect-metadata';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkiInit, startRevocationServerFromDir } from '../../adapters/jpki/pki/cli.js';
import { type RevocationServer, TEST_HOLDERS } from '../../adapters/jpki/pki/index.js';
import { bootGateway, freePort, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env.CI === 'true') {
    it('has Chromium installed (required in CI)', () => {
      throw new Error(`${CHROMIUM} not found: install it with apt-get install -y chromium`);
    });
  } else console.warn(`skipping browser JPKI e2e: ${CHROMIUM} not found (apt-get install -y chromium)`);
}

describe.skipIf(!available)('virtual My Number Card in the browser', () => {
  let gw: TestGateway;
  let browser: Browser;
  let revocation: RevocationServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kakehashi-jpki-e2e-'));
    const port = await freePort();
    await pkiInit(join(dir, 'jpki'), { revocationBaseUrl: `http://127.0.0.1:${port}`, cards: 1 });
    revocation = await startRevocationServerFromDir(join(dir, 'jpki'));
    const pem = (kind: string, g: number) => join(dir, 'jpki', `${kind}-ca-gen${g}.pem`);
    gw = await bootGateway({
      config: {
        demoRp: { enabled: true },
        sources: [
          {
            adapter: 'jpki',
            name: 'jpki',
            options: {
              authAnchors: [pem('auth', 0), pem('auth', 1)],
              signAnchors: [pem('sign', 0), pem('sign', 1)],
              policies: { sign: ['1.2.392.200149.8.5.1.0.20'] },
              revocation: { kind: 'ocsp' },
              demo: { cardsDir: join(dir, 'jpki', 'cards') },
            },
          },
        ],
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await revocation?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with the virtual card and shows the verified basic four at the RP', async () => {
    const context = await browser.newContext({ locale: 'ja-JP' });
    const page = await context.newPage();
    await page.goto(`${gw.issuer}/demo-rp/`);
    await page.click('#login-attributes');
    await page.click('button[data-source="jpki"]');
    await page.waitForSelector('#jpki-challenge-url');
    expect(await page.$('svg')).not.toBeNull(); // the QR code
    await page.click('#jpki-demo');
    // The page polls the status and moves on to consent by itself.
    await page.waitForSelector('button[value="approve"]', { timeout: 30_000 });
    await page.click('button[value="approve"]');
    await page.waitForSelector('#userinfo');
    const userinfo = JSON.parse((await page.textContent('#userinfo')) ?? '{}') as Record<string, unknown>;
    const idToken = JSON.parse((await page.textContent('#id-token-claims')) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(idToken.acr).toBe('urn:kakehashi:loa:high');
    expect(userinfo.family_name).toBe(TEST_HOLDERS[0]!.familyName);
    expect(userinfo.birthdate).toBe(TEST_HOLDERS[0]!.birthDate);
    expect(
      (userinfo.verified_claims as { verification: { trust_framework: string } }).verification
        .trust_framework,
    ).toBe('jp_jpki');
    await context.close();
  }, 90_000);
});
