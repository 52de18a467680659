/**
 * End to end: a Japanese RP (openid-client) -> gateway -> eIDAS node (test node: xml-crypto/xml-encryption,
 * metadata served over HTTP and signature-checked) -> ID token and userinfo with the EU identity's claims.
 * The node's POST to the ACS is sent without cookies, as a browser does for a cross-site POST with
 * SameSite=Lax cookies; the 303 to /finish carries them again.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSamlSchema } from '../../../adapters/eidas/schema-validator.js';
import { type Page, TestBrowser } from '../../helpers/browser.js';
import { bootGateway, freePort, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { discover } from '../../helpers/rp.js';
import { eidasNodeSource, serveTestNode } from './fixtures.js';
import { rsaKeyPair, type TestKeyPair } from './support.js';
import { type AssertionSpec, readRedirectRequest, type TestNode } from './test-node.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
let gw: TestGateway;
let closeNode: (() => Promise<void>) | undefined;
let node: TestNode;
let spKeys: TestKeyPair;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;
let acsUrl: string;
let spEntityId: string;

beforeAll(async () => {
  ({ node, close: closeNode } = await serveTestNode());
  spKeys = await rsaKeyPair('Kakehashi eIDAS connector SP');
  rp = await privateKeyJwtClient('rp-eu', REDIRECT);
  const port = await freePort();
  acsUrl = `http://127.0.0.1:${port}/a/eu/acs`;
  spEntityId = `http://127.0.0.1:${port}/a/eu/metadata`;
  gw = await bootGateway({
    port,
    clients: [rp.config],
    config: {
      sources: [eidasNodeSource(node, spKeys)],
    },
  });
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await closeNode?.();
});

async function authUrl(acr = 'urn:kakehashi:loa:substantial') {
  const c = await discover(gw.issuer, rp);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(c, {
    redirect_uri: REDIRECT,
    scope: 'openid profile address',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    acr_values: acr,
  });
  return { c, verifier, state, url: url.href };
}

/** From the RP's authorization URL to the node's SSO endpoint; returns the verified AuthnRequest. */
async function toNode(browser: TestBrowser, url: string) {
  const atNode = (u: string) => u.startsWith(node.ssoUrl);
  let page: Page = await browser.follow(url, atNode);
  if (!atNode(page.url)) page = await browser.submit(page, '/source/eu', {}, atNode);
  expect(page.url.startsWith(node.ssoUrl), page.body.slice(0, 500)).toBe(true);
  const xml = readRedirectRequest(page.url, spKeys.certPem);
  return { xml, id: /ID="([^"]+)"/.exec(xml)?.[1] ?? '' };
}

/** The node's auto-submitted POST to our ACS, without cookies (cross-site POST, SameSite=Lax). */
async function postToAcs(xml: string): Promise<string> {
  const res = await fetch(acsUrl, {
    method: 'POST',
    body: new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64') }),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location') ?? '', acsUrl).href;
}

const spec = (id: string, more: Partial<AssertionSpec> = {}): AssertionSpec => ({
  inResponseTo: id,
  acsUrl,
  audience: spEntityId,
  attributes: { Gender: ['Female'] },
  ...more,
});

describe('eIDAS connector SP end to end', () => {
  it('publishes signed, schema-valid SP metadata', async () => {
    const xml = await (await fetch(spEntityId)).text();
    expect(() => validateSamlSchema(xml)).not.toThrow();
    expect(xml).toContain('AuthnRequestsSigned="true"');
    expect(xml).toContain(`Location="${acsUrl}"`);
    expect(xml).toContain('<eidas:SPType>public</eidas:SPType>');
  });

  it('openid-client RP gets an ID token and userinfo with the EU identity and the mapped acr', async () => {
    const { c, verifier, state, url } = await authUrl();
    const browser = new TestBrowser();
    const req = await toNode(browser, url);
    expect(() => validateSamlSchema(req.xml)).not.toThrow();
    expect(req.xml).toContain(
      '<saml:AuthnContextClassRef>http://eidas.europa.eu/NotNotified/LoA/substantial<',
    );
    expect(req.xml).toContain(`Destination="${node.ssoUrl}"`);
    expect(req.xml).toMatch(/PersonIdentifier" NameFormat="[^"]+" isRequired="true"/);
    expect(req.xml).toMatch(/CurrentAddress" NameFormat="[^"]+" isRequired="false"/);

    const finishUrl = await postToAcs(await node.respond(spec(req.id), spKeys.certPem));
    expect(finishUrl).toMatch(/\/a\/eu\/finish\/[A-Za-z0-9_-]{43}$/);
    const atRp = (u: string) => u.startsWith(REDIRECT);
    let page = await browser.follow(finishUrl, atRp);
    if (!atRp(page.url)) page = await browser.submit(page, '#consent', { decision: 'approve' }, atRp);
    expect(page.url.startsWith(REDIRECT), page.body.slice(0, 800)).toBe(true);

    const tokens = await oidc.authorizationCodeGrant(c, new URL(page.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const claims = tokens.claims();
    expect(claims?.acr).toBe('urn:kakehashi:loa:substantial');
    expect(claims?.amr).toEqual(['mfa']);
    expect(claims?.sub).not.toContain('0123456789abcdef');
    const info = await oidc.fetchUserInfo(c, tokens.access_token, claims?.sub ?? '');
    expect(info.family_name).toBe('Müller');
    expect(info.given_name).toBe('Erika');
    expect(info.birthdate).toBe('1964-08-12');
    expect(info.gender).toBe('female');
  }, 30_000);

  it('a refused response ends at the RP with an OAuth error; /finish belongs to one interaction', async () => {
    const { url } = await authUrl();
    const browser = new TestBrowser();
    const req = await toNode(browser, url);
    // A valid response for this request, finished in another browser's interaction: refused.
    const other = new TestBrowser();
    await toNode(other, (await authUrl()).url);
    const finishUrl = await postToAcs(await node.respond(spec(req.id), spKeys.certPem));
    const stolen = await other.follow(finishUrl, (u) => u.startsWith(REDIRECT));
    expect(new URL(stolen.url).searchParams.get('error')).toBe('access_denied');
    expect(new URL(stolen.url).searchParams.get('error_description')).toBe(
      'the eIDAS response belongs to another login',
    );
    // The node asserts a lower level than asked: refused, never downgraded.
    const { url: url2 } = await authUrl('urn:kakehashi:loa:high');
    const req2 = await toNode(browser, url2);
    expect(req2.xml).toContain('http://eidas.europa.eu/NotNotified/LoA/high');
    const fin2 = await postToAcs(await node.respond(spec(req2.id), spKeys.certPem));
    const back = await browser.follow(fin2, (u) => u.startsWith(REDIRECT));
    expect(new URL(back.url).searchParams.get('error')).toBe('unmet_authentication_requirements');
    // Our own check answers (ERR_EIDAS_LOA_NOT_MET), before the hub's LoA check would.
    expect(new URL(back.url).searchParams.get('error_description')).toBe(
      'the asserted LoA is below the request',
    );
  }, 30_000);
});
