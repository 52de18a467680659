/**
 * Single Logout through the gateway's plain SAML IdP with node-saml SPs: SP-initiated (LogoutRequest ->
 * hub logout -> LogoutResponse) and IdP-initiated (LogoutRequest to every SP of the browser's session), and
 * forged or unsigned LogoutRequests refused with a status, the session left intact.
 */
import { inflateRawSync } from 'node:zlib';
import { ValidateInResponseTo } from '@node-saml/node-saml';
import { signSamlPost } from '@node-saml/node-saml/lib/saml-post-signing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSamlSchema } from '../../../adapters/eidas/schema-validator.js';
import { type Page, TestBrowser } from '../../helpers/browser.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { samlLogin, statusOf } from '../eidas/flow.js';
import { hasXmlsec1 } from '../eidas/support.js';
import { bootSamlGateway, makeSp, postedForm, samlIdp, type TestSp, verifyWithXmlsec1 } from './support.js';

const IF_PRESENT = { validateInResponseTo: ValidateInResponseTo.ifPresent };
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const REQUESTER = 'urn:oasis:names:tc:SAML:2.0:status:Requester';
const DENIED = 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied';

let gw: TestGateway;
let idp: Awaited<ReturnType<typeof samlIdp>>;
let spA: TestSp;
let spB: TestSp;
let stranger: TestSp;
const logoutUrl = () => idp.sloUrl.replace(/\/slo$/, '/logout');

beforeAll(async () => {
  idp = await samlIdp();
  spA = await makeSp(idp, 'slo-a');
  spB = await makeSp(idp, 'slo-b');
  stranger = await makeSp(idp, 'slo-stranger');
  gw = await bootSamlGateway(idp, [
    { metadata: spA.metadata, attributes: ['givenName'] },
    { metadata: spB.metadata, attributes: ['givenName'] },
  ]);
}, 30_000);

afterAll(async () => {
  await gw?.close();
});

async function loginIn(browser: TestBrowser, sp: TestSp) {
  const saml = sp.saml();
  const posted = await samlLogin(await saml.getAuthorizeUrlAsync('', undefined, {}), sp.acsUrl, { browser });
  const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse });
  if (!profile) throw new Error('no profile');
  return profile;
}

/**
 * Confirm the hub's RP-initiated logout page (or submit its auto-posting form when the browser has no hub
 * session), then follow to whatever the gateway sends next.
 */
async function confirmHubLogout(browser: TestBrowser, page: Page): Promise<Page> {
  expect(page.body, page.body.slice(0, 600)).toContain('/session/end/confirm');
  return browser.submit(page, '/session/end/confirm', { logout: 'yes' });
}

const sessionCount = async (browser: TestBrowser) => {
  const page = await browser.request(logoutUrl());
  return page.body.includes('id="no-session"')
    ? 0
    : Number(/id="session-count">(\d+)</.exec(page.body)?.[1] ?? Number.NaN);
};

describe('plain SAML IdP: Single Logout', () => {
  it('SP-initiated: signed LogoutRequest ends the hub session; node-saml accepts the LogoutResponse', async () => {
    const browser = new TestBrowser();
    const profile = await loginIn(browser, spA);
    expect(await sessionCount(browser)).toBe(1);
    const saml = spA.saml();
    const url = await saml.getLogoutUrlAsync(profile, 'relay-out', {});
    const requestId = /ID="([^"]+)"/.exec(
      inflateRawSync(Buffer.from(new URL(url).searchParams.get('SAMLRequest') ?? '', 'base64')).toString(),
    )?.[1];
    const hubPage = await browser.follow(url);
    expect(hubPage.body).toContain('op.logoutForm'); // the hub asks before ending its session
    const done = await confirmHubLogout(browser, hubPage);
    const form = postedForm(done, spA.sloUrl);
    expect(form, done.body.slice(0, 600)).toBeDefined();
    expect(form?.field).toBe('SAMLResponse');
    expect(form?.relayState).toBe('relay-out');
    expect(() => validateSamlSchema(form?.xml ?? '')).not.toThrow();
    expect(statusOf(form?.xml ?? '').codes).toEqual([SUCCESS]);
    expect(form?.xml).toContain(`InResponseTo="${requestId}"`);
    // node-saml looks for InResponseTo on a Response element only, so it is checked above instead.
    const result = await spA.saml(IF_PRESENT).validatePostResponseAsync({ SAMLResponse: form?.value ?? '' });
    expect(result.loggedOut).toBe(true);
    if (hasXmlsec1())
      expect(
        verifyWithXmlsec1(
          form?.xml ?? '',
          'urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse',
          idp.keys.certPem,
        ),
      ).toBe('');
    // The SAML session and the hub session are gone: the next login asks for a source again.
    expect(await sessionCount(browser)).toBe(0);
    const again = await browser.follow(await spA.saml().getAuthorizeUrlAsync('', undefined, {}));
    expect(again.body).toContain('/source/demo');
  }, 30_000);

  it('IdP-initiated: LogoutRequest to each SP of the session (node-saml validates), then the hub logout', async () => {
    const browser = new TestBrowser();
    const a = await loginIn(browser, spA);
    const b = await loginIn(browser, spB);
    expect(await sessionCount(browser)).toBe(2);
    const confirm = await browser.request(logoutUrl());
    let page = await browser.submit(confirm, '/logout');
    const seen: string[] = [];
    for (const [sp, profile] of [
      [spA, a],
      [spB, b],
    ] as const) {
      const form = postedForm(page, sp.sloUrl);
      expect(form, page.body.slice(0, 600)).toBeDefined();
      expect(form?.field).toBe('SAMLRequest');
      expect(() => validateSamlSchema(form?.xml ?? '')).not.toThrow();
      const saml = sp.saml();
      const { profile: req, loggedOut } = await saml.validatePostRequestAsync({
        SAMLRequest: form?.value ?? '',
      });
      expect(loggedOut).toBe(true);
      expect(req?.nameID).toBe(profile.nameID);
      expect(req?.sessionIndex).toBe(profile.sessionIndex);
      seen.push(sp.entityId);
      // The SP answers with a signed HTTP-Redirect LogoutResponse to our SLO endpoint.
      page = await browser.follow(await saml.getLogoutResponseUrlAsync(req as never, '', {}, true));
    }
    expect(seen).toEqual([spA.entityId, spB.entityId]);
    const done = await confirmHubLogout(browser, page);
    expect(done.body).toContain('id="logged-out"');
    expect(done.body).not.toContain('id="partial"');
    expect(await sessionCount(browser)).toBe(0);
  }, 30_000);

  it('SP-initiated with two SPs: the other SP gets a LogoutRequest before the originator its response', async () => {
    const browser = new TestBrowser();
    const a = await loginIn(browser, spA);
    await loginIn(browser, spB);
    const page = await browser.follow(await spA.saml().getLogoutUrlAsync(a, '', {}));
    const toB = postedForm(page, spB.sloUrl);
    expect(toB?.field).toBe('SAMLRequest');
    const sb = spB.saml();
    const { profile: req } = await sb.validatePostRequestAsync({ SAMLRequest: toB?.value ?? '' });
    const hub = await browser.follow(await sb.getLogoutResponseUrlAsync(req as never, '', {}, true));
    const done = await confirmHubLogout(browser, hub);
    const toA = postedForm(done, spA.sloUrl);
    expect(statusOf(toA?.xml ?? '').codes).toEqual([SUCCESS]);
    expect(
      (await spA.saml(IF_PRESENT).validatePostResponseAsync({ SAMLResponse: toA?.value ?? '' })).loggedOut,
    ).toBe(true);
  }, 30_000);

  it('SP-initiated by HTTP-POST from another site (no gateway cookie): the session is found by NameID', async () => {
    const browser = new TestBrowser();
    const profile = await loginIn(browser, spA);
    const redirect = new URL(await spA.saml({ privateKey: undefined }).getLogoutUrlAsync(profile, '', {}));
    const unsigned = inflateRawSync(
      Buffer.from(redirect.searchParams.get('SAMLRequest') ?? '', 'base64'),
    ).toString();
    const signed = signSamlPost(unsigned, '/*[local-name(.)="LogoutRequest"]', {
      privateKey: spA.signing.keyPem,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
    });
    // A cross-site POST carries no SameSite=Lax cookie: a fresh cookie jar stands for it.
    const crossSite = new TestBrowser();
    const hub = await crossSite.follow(
      await crossSite.request(idp.sloUrl, {
        method: 'POST',
        body: new URLSearchParams({ SAMLRequest: Buffer.from(signed).toString('base64') }),
      }),
    );
    const done = await confirmHubLogout(crossSite, hub);
    expect(statusOf(postedForm(done, spA.sloUrl)?.xml ?? '').codes).toEqual([SUCCESS]);
    expect(await sessionCount(browser)).toBe(0);
  }, 30_000);

  describe('forged logout messages are refused and the session stays', () => {
    const refusal = async (browser: TestBrowser, url: string) => {
      const page = await browser.request(url);
      const form = postedForm(page, spA.sloUrl);
      expect(form, page.body.slice(0, 600)).toBeDefined();
      expect(form?.field).toBe('SAMLResponse');
      expect(() => validateSamlSchema(form?.xml ?? '')).not.toThrow();
      return statusOf(form?.xml ?? '');
    };

    it('unsigned LogoutRequest', async () => {
      const browser = new TestBrowser();
      const profile = await loginIn(browser, spA);
      const url = await spA.saml({ privateKey: undefined }).getLogoutUrlAsync(profile, '', {});
      const status = await refusal(browser, url);
      expect(status.codes).toEqual([REQUESTER, DENIED]);
      expect(status.message).toBe('message signature missing');
      expect(await sessionCount(browser)).toBe(1);
    }, 30_000);

    it('LogoutRequest signed by a key not in the SP metadata', async () => {
      const browser = new TestBrowser();
      const profile = await loginIn(browser, spA);
      const url = await spA.saml({ privateKey: stranger.signing.keyPem }).getLogoutUrlAsync(profile, '', {});
      const status = await refusal(browser, url);
      expect(status.codes).toEqual([REQUESTER, DENIED]);
      expect(status.message).toBe('message signature invalid');
      expect(await sessionCount(browser)).toBe(1);
    }, 30_000);

    it('LogoutRequest for a NameID the SP does not hold (another SP, or invented)', async () => {
      const browser = new TestBrowser();
      await loginIn(browser, spA);
      const b = await loginIn(browser, spB);
      // SP A asks to log out SP B's NameID: not its session participant.
      const url = await spA.saml().getLogoutUrlAsync({ ...b, nameID: b.nameID }, '', {});
      const status = await refusal(browser, url);
      expect(status.codes).toEqual([REQUESTER, 'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal']);
      expect(await sessionCount(browser)).toBe(2);
    }, 30_000);

    it('a replayed LogoutRequest ID is refused as such', async () => {
      const browser = new TestBrowser();
      const b = await loginIn(browser, spB);
      const url = await spA.saml().getLogoutUrlAsync(b, '', {});
      expect((await refusal(browser, url)).codes[1]).toBe(
        'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal',
      );
      const again = await refusal(browser, url);
      expect(again.codes).toEqual([REQUESTER, DENIED]);
      expect(again.message).toBe('request ID already used');
    }, 30_000);

    it('a LogoutRequest from an unknown SP gets a 400 page', async () => {
      const browser = new TestBrowser();
      const profile = await loginIn(browser, spA);
      const page = await browser.request(await stranger.saml().getLogoutUrlAsync(profile, '', {}));
      expect(page.status).toBe(400);
      expect(page.body).toContain('ERR_SAML_UNKNOWN_SP');
      expect(await sessionCount(browser)).toBe(1);
    }, 30_000);

    it('IdP-initiated logout needs the form token', async () => {
      const browser = new TestBrowser();
      await loginIn(browser, spA);
      const page = await browser.request(logoutUrl(), {
        method: 'POST',
        body: new URLSearchParams({ csrf: 'guessed' }),
      });
      expect(page.status).toBe(400);
      expect(page.body).toContain('ERR_SAML_LOGOUT_CSRF');
      expect(await sessionCount(browser)).toBe(1);
    }, 30_000);
  });
});
