/**
 * End to end: EU connector (node-saml) -> gateway eIDAS IdP -> demo source -> signed+encrypted assertion,
 * checked by node-saml, by the xmlsec1 CLI and against the SAML/eIDAS schemas; plus request forgeries.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateSamlSchema } from '../../../adapters/eidas/schema-validator.js';
import { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, freePort, type TestGateway } from '../../helpers/gateway.js';
import { eidasProxyTarget } from './fixtures.js';
import { formToAcs, postBindingRequest, samlLogin, statusOf } from './flow.js';
import {
  type Connector,
  eidasExtensions,
  hasXmlsec1,
  MINIMUM_SET,
  makeConnector,
  NP,
  rsaKeyPair,
  type TestKeyPair,
  xmlsec1,
} from './support.js';

const REQUESTER = 'urn:oasis:names:tc:SAML:2.0:status:Requester';
const RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';
const DENIED = 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied';
const NO_AUTHN_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext';

let gw: TestGateway;
let idpKeys: TestKeyPair;
let connector: Connector;
let stranger: Connector;
let ssoUrl: string;
let entityId: string;
const xmlsecAvailable = hasXmlsec1();

beforeAll(async () => {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  ssoUrl = `${issuer}/a/eidas/sso`;
  entityId = `${issuer}/a/eidas/metadata`;
  idpKeys = await rsaKeyPair('Kakehashi eIDAS proxy service');
  const idp = { ssoUrl, entityId, certPem: idpKeys.certPem };
  connector = await makeConnector(idp, 'connector-de');
  stranger = await makeConnector(idp, 'stranger');
  gw = await bootGateway({
    port,
    config: {
      sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'substantial' } }],
      targets: [eidasProxyTarget(idpKeys, connector)],
    },
  });
}, 30_000);

afterAll(async () => {
  await gw?.close();
});

describe('eIDAS proxy service: success', () => {
  it('publishes signed metadata that validates against the schemas', async () => {
    const res = await fetch(entityId);
    const xml = await res.text();
    expect(res.status).toBe(200);
    expect(() => validateSamlSchema(xml)).not.toThrow();
    expect(xml).toContain('<eidas:NodeCountry>JP</eidas:NodeCountry>');
    expect(xml).toContain('http://eidas.europa.eu/NotNotified/LoA/high');
    expect(xml).toContain('WantAuthnRequestsSigned="true"');
    if (!xmlsecAvailable)
      return void console.warn('xmlsec1 missing: metadata signature not checked by xmlsec1');
    const out = xmlsec1(
      [
        '--verify',
        '--pubkey-cert-pem',
        '$DIR/idp.crt',
        '--id-attr:ID',
        'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor',
      ],
      xml,
      { 'idp.crt': idpKeys.certPem },
    );
    expect(out).toBe('');
  });

  it('HTTP-Redirect request -> demo login -> assertion accepted by node-saml and xmlsec1', async () => {
    const saml = connector.saml();
    const url = await saml.getAuthorizeUrlAsync('relay-123', undefined, {});
    const posted = await samlLogin(url, connector.acsUrl);
    expect(posted.RelayState).toBe('relay-123');

    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse });
    expect(profile?.nameID).toMatch(/^JP\/DE\/[A-Za-z0-9_-]{20,}$/);
    expect(profile?.nameID).not.toContain('demo-user');
    const attr = (n: string) => (profile as Record<string, unknown>)[`${NP}${n}`];
    expect(attr('PersonIdentifier')).toBe(profile?.nameID);
    expect(JSON.stringify(attr('CurrentFamilyName'))).toContain('Kakehashi');
    expect(JSON.stringify(attr('CurrentFamilyName'))).toContain('架橋');
    expect(JSON.stringify(attr('CurrentGivenName'))).toContain('Hanako');
    expect(attr('DateOfBirth')).toBe('1990-04-01');
    expect(attr('Gender')).toBeUndefined(); // not requested
    expect(profile?.getAssertionXml?.()).toContain('http://eidas.europa.eu/NotNotified/LoA/substantial');

    // The Response and the decrypted assertion are schema-valid; exactly one EncryptedAssertion.
    expect(() => validateSamlSchema(posted.xml)).not.toThrow();
    expect(posted.xml.match(/<(\w+:)?EncryptedAssertion[\s>]/g)?.length).toBe(1);
    expect(posted.xml).toContain('http://www.w3.org/2009/xmlenc11#aes256-gcm');
    expect(posted.xml).toContain('http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p');
    const assertion = profile?.getAssertionXml?.() ?? '';
    expect(() => validateSamlSchema(assertion)).not.toThrow();
    expect(assertion).toContain('LatinScript="false"');

    if (!xmlsecAvailable) return void console.warn('xmlsec1 missing: response not checked by xmlsec1');
    const idAttrs = ['--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:Response'];
    expect(
      xmlsec1(['--verify', '--pubkey-cert-pem', '$DIR/idp.crt', ...idAttrs], posted.xml, {
        'idp.crt': idpKeys.certPem,
      }),
    ).toBe('');
    const decrypted = xmlsec1(['--decrypt', '--privkey-pem', '$DIR/sp.key'], posted.xml, {
      'sp.key': connector.encryption.keyPem,
    });
    expect(decrypted).toContain('<saml:Assertion');
    expect(
      xmlsec1(
        [
          '--verify',
          '--pubkey-cert-pem',
          '$DIR/idp.crt',
          '--id-attr:ID',
          'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
        ],
        decrypted.replace(/^[\s\S]*?(<saml:Assertion)/, '$1').replace(/(<\/saml:Assertion>)[\s\S]*$/, '$1'),
        { 'idp.crt': idpKeys.certPem },
      ),
    ).toBe('');
  }, 30_000);

  it('HTTP-POST request with optional attributes; Gender and CurrentAddress only when requested', async () => {
    const saml = connector.saml({
      authnRequestBinding: 'HTTP-POST',
      samlAuthnRequestExtensions: eidasExtensions([
        ...MINIMUM_SET,
        ['Gender', false],
        ['CurrentAddress', false],
      ]),
    });
    const SAMLRequest = postBindingRequest(await saml.getAuthorizeFormAsync('', undefined, {}));
    const posted = await samlLogin(
      { url: ssoUrl, body: new URLSearchParams({ SAMLRequest }) },
      connector.acsUrl,
    );
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse });
    const p = profile as Record<string, unknown>;
    expect(p[`${NP}Gender`]).toBe('Female');
    const address = Buffer.from(String(p[`${NP}CurrentAddress`]), 'base64').toString('utf8');
    expect(address).toContain('<eidas-natural:AdminunitFirstline');
    expect(address).toContain('JP');
  }, 30_000);

  it('pairwise PersonIdentifier is stable for one country', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const saml = connector.saml();
      const posted = await samlLogin(await saml.getAuthorizeUrlAsync('', undefined, {}), connector.acsUrl);
      ids.push(
        (await saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse })).profile?.nameID ?? '',
      );
    }
    expect(ids[0]).toBe(ids[1]);
  }, 30_000);
});

describe('eIDAS proxy service: refusals are SAML error responses', () => {
  async function firstPage(url: string) {
    const browser = new TestBrowser();
    return browser.follow(url, (u) => !u.startsWith(ssoUrl));
  }
  const acsError = async (url: string) => {
    const page = await new TestBrowser().request(url);
    const posted = formToAcs(page, connector.acsUrl);
    expect(posted, page.body.replace(/<style>[\s\S]*<\/style>/, '').slice(0, 1500)).toBeDefined();
    expect(() => validateSamlSchema(posted?.xml ?? '')).not.toThrow();
    return statusOf(posted?.xml ?? '');
  };
  /** A request signed by node-saml for a different entry point, replayed against the real SSO URL. */
  const retarget = (url: string) => `${ssoUrl}?${new URL(url).search.slice(1)}`;

  it('refuses an unsigned request', async () => {
    const saml = connector.saml({ privateKey: undefined });
    const status = await acsError(await saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(status.codes).toEqual([REQUESTER, DENIED]);
    expect(status.message).toBe('request signature or schema invalid');
  });

  it('refuses a request signed with a key not in the connector metadata', async () => {
    const saml = connector.saml({ privateKey: stranger.signing.keyPem });
    const status = await acsError(await saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(status.message).toBe('request signature or schema invalid');
  });

  it('refuses an unknown connector without sending a response anywhere', async () => {
    const page = await firstPage(await stranger.saml().getAuthorizeUrlAsync('', undefined, {}));
    expect(page.status).toBe(400);
    expect(page.body).toContain('ERR_EIDAS_UNKNOWN_CONNECTOR');
    expect(page.body).not.toContain('SAMLResponse');
  });

  it('refuses a wrong Destination', async () => {
    const saml = connector.saml({ entryPoint: 'https://other-node.eu.example/sso' });
    const status = await acsError(retarget(await saml.getAuthorizeUrlAsync('', undefined, {})));
    expect(status.codes).toEqual([REQUESTER, DENIED]);
    expect(status.message).toBe('Destination is missing or not this endpoint');
  });

  it('refuses a stale IssueInstant', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 3_600_000);
    const url = await connector.saml().getAuthorizeUrlAsync('', undefined, {});
    vi.useRealTimers();
    const status = await acsError(url);
    expect(status.message).toBe('the request is too old');
  });

  it('refuses a replayed request ID', async () => {
    const url = await connector.saml().getAuthorizeUrlAsync('', undefined, {});
    const first = await new TestBrowser().request(url);
    expect(first.status).toBe(303);
    const status = await acsError(url);
    expect(status.codes).toEqual([REQUESTER, DENIED]);
    expect(status.message).toBe('request ID already used');
  });

  it('refuses a notified LoA that a NotNotified issuer can never assert', async () => {
    const saml = connector.saml({ authnContext: ['http://eidas.europa.eu/LoA/high'] });
    const status = await acsError(await saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(status.codes).toEqual([RESPONDER, NO_AUTHN_CONTEXT]);
    expect(status.message).toBe('the requested level of assurance cannot be asserted');
  });

  it('a level no source can meet ends in an error status, never a lower-level assertion', async () => {
    // The demo source delivers substantial; NotNotified high is requested, so the hub offers no source.
    const saml = connector.saml({ authnContext: ['http://eidas.europa.eu/NotNotified/LoA/high'] });
    const browser = new TestBrowser();
    const login = await browser.follow(await saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(login.body).not.toContain('/source/demo');
    const page = await browser.submit(login, '/abort');
    const posted = formToAcs(page, connector.acsUrl);
    expect(posted, page.body.slice(0, 800)).toBeDefined();
    expect(statusOf(posted?.xml ?? '').codes).toEqual([RESPONDER, DENIED]);
    expect(posted?.xml).not.toContain('EncryptedAssertion');
    await expect(
      saml.validatePostResponseAsync({ SAMLResponse: posted?.SAMLResponse ?? '' }),
    ).rejects.toThrow(/Responder/);
  }, 30_000);

  it('refuses a POST request whose signature covers a request wrapped inside it (XSW)', async () => {
    const saml = connector.saml({ authnRequestBinding: 'HTTP-POST' });
    const signed = Buffer.from(
      postBindingRequest(await saml.getAuthorizeFormAsync('', undefined, {})),
      'base64',
    )
      .toString('utf8')
      .replace(/^<\?xml[^>]*>/, '');
    const sig = /<(\w+:)?Signature[\s\S]*<\/(\w+:)?Signature>/.exec(signed)?.[0] ?? '';
    expect(sig).not.toBe('');
    const inner = signed.replace(sig, '');
    const outerId = '_evil0123456789';
    const outer = inner
      .replace(/ ID="[^"]+"/, ` ID="${outerId}"`)
      .replace(/(<saml:Issuer[^>]*>[^<]*<\/saml:Issuer>)/, `$1${sig}`)
      .replace(/(<samlp:Extensions[^>]*>)/, `$1<x:Wrap xmlns:x="urn:example:evil">${inner}</x:Wrap>`);
    const page = await new TestBrowser().request(ssoUrl, {
      method: 'POST',
      body: new URLSearchParams({ SAMLRequest: Buffer.from(outer).toString('base64') }),
    });
    const posted = formToAcs(page, connector.acsUrl);
    expect(posted, page.body.slice(0, 600)).toBeDefined();
    expect(statusOf(posted?.xml ?? '').message).toBe('the signature does not cover the request');
  });

  it('refuses a request without SPType when the connector config has none', async () => {
    const saml = connector.saml({ samlAuthnRequestExtensions: eidasExtensions(MINIMUM_SET, null) });
    const status = await acsError(await saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(status.message).toBe('SPType missing or invalid');
  });
});
