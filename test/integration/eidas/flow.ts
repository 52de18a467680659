/** Drives a browser from a SAML request at the gateway to the HTTP-POST form addressed to the connector's ACS. */
import { inflateRawSync } from 'node:zlib';
import { type Page, TestBrowser } from '../../helpers/browser.js';

export interface PostedToAcs {
  action: string;
  SAMLResponse: string;
  RelayState?: string;
  xml: string;
  page: Page;
}

export function formToAcs(page: Page, acsUrl: string): PostedToAcs | undefined {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(page.body);
  if (!form || form[1] !== acsUrl) return undefined;
  const field = (n: string) => new RegExp(`name="${n}" value="([^"]*)"`).exec(form[2] ?? '')?.[1];
  const SAMLResponse = field('SAMLResponse') ?? '';
  const relay = field('RelayState');
  return {
    action: form[1],
    SAMLResponse,
    ...(relay !== undefined && { RelayState: relay.replace(/&amp;/g, '&') }),
    xml: Buffer.from(SAMLResponse, 'base64').toString('utf8'),
    page,
  };
}

/** Open `start` (a GET URL or a prepared POST), log in with the demo source, consent, and stop at the ACS form. */
export async function samlLogin(
  start: string | { url: string; body: URLSearchParams },
  acsUrl: string,
  opts: { browser?: TestBrowser; consent?: 'approve' | 'deny' } = {},
): Promise<PostedToAcs> {
  const browser = opts.browser ?? new TestBrowser();
  let page =
    typeof start === 'string'
      ? await browser.follow(start)
      : await browser.follow(await browser.request(start.url, { method: 'POST', body: start.body }));
  for (let step = 0; step < 8; step++) {
    const done = formToAcs(page, acsUrl);
    if (done) return done;
    if (page.body.includes('/source/')) page = await browser.submit(page, '/source/demo');
    else if (page.body.includes('id="demo-login"')) page = await browser.submit(page, '/a/demo/login');
    else if (page.body.includes('id="consent"'))
      page = await browser.submit(page, '#consent', { decision: opts.consent ?? 'approve' });
    else throw new Error(`unexpected page ${page.url} (${page.status}):\n${page.body.slice(0, 1500)}`);
  }
  throw new Error('no response to the ACS');
}

export function statusOf(xml: string): { codes: string[]; message: string | undefined } {
  return {
    codes: [...xml.matchAll(/StatusCode Value="([^"]+)"/g)].map((m) => m[1] ?? ''),
    message: /<samlp:StatusMessage>([^<]*)<\/samlp:StatusMessage>/.exec(xml)?.[1],
  };
}

/**
 * The SAMLRequest of node-saml's HTTP-POST form as the POST binding carries it (bindings §3.5.4: base64, not
 * deflated). node-saml 5 deflates it anyway; the embedded signature is unaffected.
 */
export function postBindingRequest(formHtml: string): string {
  const v = /name="SAMLRequest" value="([^"]+)"/.exec(formHtml)?.[1] ?? '';
  const raw = Buffer.from(v, 'base64');
  const xml = raw.subarray(0, 1).toString() === '<' ? raw : inflateRawSync(raw);
  return xml.toString('base64');
}
