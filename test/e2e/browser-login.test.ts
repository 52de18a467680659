/**
 * Real-browser end to end: headless Chromium (driven by playwright-core) logs in
 * at the demo relying party through the gateway's own pages — source choice,
 * demo sign-in, consent in Japanese and in English — and lands on the RP page
 * that shows the ID token claims and UserInfo it received.
 *
 * Needs Debian's /usr/bin/chromium (CI: `apt-get install -y chromium`). When it
 * is missing the suite is skipped locally and fails under CI=true.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/interaction/i18n.js';
import { bootGateway, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const available = existsSync(CHROMIUM);
const FLOW_TIMEOUT = 60_000;

if (!available) {
  if (process.env.CI === 'true') {
    it('has Chromium installed (required in CI)', () => {
      throw new Error(`${CHROMIUM} not found: install it with apt-get install -y chromium`);
    });
  } else {
    console.warn(`skipping browser e2e: ${CHROMIUM} not found (apt-get install -y chromium)`);
  }
}

/** The attributes the demo RP's "attributes" flow asks for and the demo identity holds. */
const EXPECTED_ATTRIBUTES = ['familyName', 'givenName', 'birthDate', 'gender', 'address'] as const;

describe.skipIf(!available)('browser login through the demo RP', () => {
  let gw: TestGateway;
  let browser: Browser;
  let shots: string;

  beforeAll(async () => {
    gw = await bootGateway({ config: { demoRp: { enabled: true } } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    shots = mkdtempSync(join(tmpdir(), 'kakehashi-e2e-'));
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    if (shots) rmSync(shots, { recursive: true, force: true });
  });

  /** A fresh user agent (own cookies) whose Accept-Language is Japanese. */
  async function japaneseContext(): Promise<BrowserContext> {
    return browser.newContext({ locale: 'ja-JP', extraHTTPHeaders: { 'accept-language': 'ja' } });
  }

  /** Wait for `selector`; fail at once, with the page's error, if an error page shows instead. */
  async function expectStep(page: Page, selector: string) {
    await page.waitForSelector(`${selector}, p.error, #rp-error`);
    const error = await page.$('p.error, #rp-error');
    if (error)
      throw new Error(
        `error page at ${new URL(page.url()).pathname}: ${(await error.textContent())?.trim()}`,
      );
  }

  /** From the RP start page to the consent page: attributes flow, demo source, demo sign-in. */
  async function toConsent(page: Page, rpUrl: string) {
    await page.goto(rpUrl);
    await page.click('#login-attributes');
    await expectStep(page, 'button[data-source="demo"]');
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[\w-]+$/);
    await page.click('button[data-source="demo"]');
    await expectStep(page, '#demo-login');
    await page.click('#demo-login');
    await expectStep(page, 'button[value=approve]');
  }

  async function attributeItems(page: Page) {
    return page.$$eval('li[data-attribute]', (lis) =>
      lis.map((li) => ({ name: li.getAttribute('data-attribute') ?? '', text: li.textContent ?? '' })),
    );
  }

  /** Approve and read the claims the RP page shows. */
  async function approve(page: Page) {
    await page.click('button[value=approve]');
    await expectStep(page, '#userinfo');
    expect(new URL(page.url()).pathname).toBe('/demo-rp/callback');
    const idToken = JSON.parse((await page.textContent('#id-token-claims')) ?? 'null') as Record<
      string,
      unknown
    >;
    const userinfo = JSON.parse((await page.textContent('#userinfo')) ?? 'null') as Record<string, unknown>;
    return { idToken, userinfo };
  }

  it(
    'logs in with consent in Japanese and shows the claims at the RP',
    async () => {
      const context = await japaneseContext();
      try {
        const page = await context.newPage();
        await toConsent(page, `${gw.issuer}/demo-rp/`);
        expect(await page.getAttribute('html', 'lang')).toBe('ja');
        expect(await page.textContent('h1')).toBe(MESSAGES.ja.consentTitle);
        const items = await attributeItems(page);
        for (const a of EXPECTED_ATTRIBUTES)
          expect(items).toContainEqual({ name: a, text: MESSAGES.ja[`attr.${a}`] });
        expect(items.map((i) => i.name)).toContain('verified_claims');
        expect(await page.textContent('button[value=approve]')).toBe(MESSAGES.ja.approve);

        const png = join(shots, 'consent-ja.png');
        await page.screenshot({ path: png, fullPage: true });
        const bytes = readFileSync(png);
        expect(bytes.length).toBeGreaterThan(1000);
        expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a'); // PNG signature

        const { idToken, userinfo } = await approve(page);
        expect(idToken.iss).toBe(gw.issuer);
        expect(idToken.aud).toBe('demo-rp');
        expect(idToken.sub).toBe(userinfo.sub);
        expect(userinfo.family_name).toBe('架橋');
        expect(userinfo.given_name).toBe('花子');
        expect(userinfo.birthdate).toBe('1990-04-01');
      } finally {
        await context.close();
      }
    },
    FLOW_TIMEOUT,
  );

  it(
    'logs in in English when the RP sends ui_locales=en, over a Japanese Accept-Language',
    async () => {
      const context = await japaneseContext();
      try {
        const page = await context.newPage();
        await toConsent(page, `${gw.issuer}/demo-rp/?lang=en`);
        expect(await page.getAttribute('html', 'lang')).toBe('en');
        expect(await page.textContent('h1')).toBe(MESSAGES.en.consentTitle);
        expect(await page.textContent('main')).toContain('The following information will be sent to');
        const items = await attributeItems(page);
        for (const a of EXPECTED_ATTRIBUTES)
          expect(items).toContainEqual({ name: a, text: MESSAGES.en[`attr.${a}`] });
        expect(await page.textContent('button[value=approve]')).toBe(MESSAGES.en.approve);

        const { idToken, userinfo } = await approve(page);
        expect(idToken.aud).toBe('demo-rp');
        expect(userinfo.family_name).toBe('架橋');
      } finally {
        await context.close();
      }
    },
    FLOW_TIMEOUT,
  );

  it(
    'ends at the RP when the user double-clicks "approve" (the decision is sent once)',
    async () => {
      const context = await japaneseContext();
      try {
        const page = await context.newPage();
        await toConsent(page, `${gw.issuer}/demo-rp/`);
        const consentPosts: string[] = [];
        page.on('request', (r) => {
          if (r.method() === 'POST' && /^\/auth\/[\w-]+$/.test(new URL(r.url()).pathname))
            consentPosts.push(r.url());
        });
        // Two separate clicks while the first answer is still on its way (the page has not unloaded yet).
        await page.evaluate(() => {
          const b = document.querySelector<HTMLButtonElement>('button[value=approve]');
          b?.click();
          setTimeout(() => b?.click(), 5);
        });
        await expectStep(page, '#userinfo');
        expect(new URL(page.url()).pathname).toBe('/demo-rp/callback');
        expect(JSON.parse((await page.textContent('#userinfo')) ?? 'null')).toMatchObject({
          family_name: '架橋',
        });
        expect(consentPosts).toHaveLength(1);
      } finally {
        await context.close();
      }
    },
    FLOW_TIMEOUT,
  );
});
