/**
 * End to end: SPs built on node-saml -> gateway plain SAML IdP -> demo source -> Response per SP policy
 * (attribute profile, NameID format, signing, encryption), checked by node-saml, xmlsec1 and the SAML schemas;
 * plus request forgeries, each refused with its specific status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSamlSchema } from '../../../adapters/eidas/schema-validator.js';
import { TestBrowser } from '../../helpers/browser.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { formToAcs, postBindingRequest, samlLogin, statusOf } from '../eidas/flow.js';
import { hasXmlsec1, type TestKeyPair } from '../eidas/support.js';
import { bootSamlGateway, type IdpInfo, makeSp, samlIdp, type TestSp, verifyWithXmlsec1 } from './support.js';

const REQUESTER = 'urn:oasis:names:tc:SAML:2.0:status:Requester';
const DENIED = 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

let gw: TestGateway;
let idp: IdpInfo & { keys: TestKeyPair };
/** saml2-uri profile, signed requests required, encrypted assertions, persistent and transient. */
let spA: TestSp;
/** basic profile, unsigned requests allowed, only the assertion signed, not encrypted, few attributes. */
let spB: TestSp;
let stranger: TestSp;
const xmlsecAvailable = hasXmlsec1();

beforeAll(async () => {
  const fx = await samlIdp();
  idp = fx;
  spA = await makeSp(idp, 'sp-a');
  spB = await makeSp(idp, 'sp-b', { wantAuthnResponseSigned: false, decryptionPvk: undefined });
  stranger = await makeSp(idp, 'stranger');
  gw = await bootSamlGateway(fx, [
    {
      metadata: spA.metadata,
      attributes: [
        'givenName',
        'sn',
        'displayName',
        'mail',
        'dateOfBirth',
        'gender',
        'eduPersonPrincipalName',
        'eduPersonTargetedID',
        'pairwiseId',
      ],
      nameIdFormats: ['persistent', 'transient'],
      encryptAssertion: true,
    },
    {
      metadata: spB.metadata,
      profile: 'basic',
      attributes: ['givenName', 'pairwiseId'],
      requireSignedRequests: false,
      signResponse: false,
    },
  ]);
}, 30_000);

afterAll(async () => {
  await gw?.close();
});

const login = async (sp: TestSp, overrides: Parameters<TestSp['saml']>[0] = {}, relay = '') => {
  const saml = sp.saml(overrides);
  const posted = await samlLogin(await saml.getAuthorizeUrlAsync(relay, undefined, {}), sp.acsUrl);
  const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse });
  return { posted, profile: profile as Record<string, unknown> & NonNullable<typeof profile> };
};
const verify = (xml: string, element: string) => verifyWithXmlsec1(xml, element, idp.keys.certPem);

describe('plain SAML IdP: metadata and logins', () => {
  it('publishes signed, schema-valid metadata with SSO and SLO endpoints', async () => {
    const res = await fetch(idp.entityId);
    const xml = await res.text();
    expect(res.status).toBe(200);
    expect(() => validateSamlSchema(xml)).not.toThrow();
    expect(xml).toContain(
      `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${idp.sloUrl}"/>`,
    );
    expect(xml).toContain(`Location="${idp.ssoUrl}"`);
    expect(xml).toContain(`<md:NameIDFormat>${TRANSIENT}</md:NameIDFormat>`);
    expect(xml).toContain('Name="urn:oid:2.5.4.42"');
    // One SP accepts unsigned requests, so the IdP cannot claim to want them all signed.
    expect(xml).toContain('WantAuthnRequestsSigned="false"');
    if (!xmlsecAvailable) return void console.warn('xmlsec1 missing: metadata signature not checked');
    expect(verify(xml, 'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor')).toBe('');
  });

  it('SP A (redirect, signed): encrypted assertion in the saml2-uri profile, accepted by node-saml and xmlsec1', async () => {
    const { posted, profile } = await login(spA, {}, 'relay-a');
    expect(posted.RelayState).toBe('relay-a');
    expect(profile.nameIDFormat).toBe(PERSISTENT);
    expect(profile.nameID).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(profile.nameID).not.toContain('demo-user');
    expect(profile['urn:oid:2.5.4.42']).toBe('花子');
    expect(profile['urn:oid:2.5.4.4']).toBe('架橋');
    expect(profile['urn:oid:2.16.840.1.113730.3.1.241']).toBe('架橋\u3000花子');
    expect(profile['urn:oid:1.3.6.1.4.1.25178.1.2.3']).toBe('19900401');
    expect(profile['urn:oid:1.3.6.1.4.1.25178.1.2.2']).toBe('2');
    expect(profile['urn:oid:1.3.6.1.4.1.5923.1.1.1.6']).toMatch(/^[0-9a-f]{64}@127\.0\.0\.1$/);
    expect(profile['urn:oasis:names:tc:SAML:attribute:pairwise-id']).toBe(
      profile['urn:oid:1.3.6.1.4.1.5923.1.1.1.6'],
    );
    expect(JSON.stringify(profile['urn:oid:1.3.6.1.4.1.5923.1.1.1.10'])).toContain(String(profile.nameID));
    expect(profile['urn:oid:0.9.2342.19200300.100.1.3']).toBeUndefined(); // the demo person has no e-mail
    const assertion = profile.getAssertionXml?.() ?? '';
    expect(assertion).toContain('urn:kakehashi:loa:substantial');
    expect(() => validateSamlSchema(posted.xml)).not.toThrow();
    expect(() => validateSamlSchema(assertion)).not.toThrow();
    expect(posted.xml.match(/<(\w+:)?EncryptedAssertion[\s>]/g)?.length).toBe(1);
    expect(posted.xml).not.toContain('花子');

    if (!xmlsecAvailable) return void console.warn('xmlsec1 missing: response not checked by xmlsec1');
    expect(verify(posted.xml, 'urn:oasis:names:tc:SAML:2.0:protocol:Response')).toBe('');
    expect(verify(assertion, 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion')).toBe('');
  }, 30_000);

  it('SP B (POST, unsigned request allowed): basic names, plaintext signed assertion, only allowed attributes', async () => {
    const saml = spB.saml({ authnRequestBinding: 'HTTP-POST', privateKey: undefined });
    const SAMLRequest = postBindingRequest(await saml.getAuthorizeFormAsync('', undefined, {}));
    expect(Buffer.from(SAMLRequest, 'base64').toString()).not.toContain('Signature');
    const posted = await samlLogin(
      { url: idp.ssoUrl, body: new URLSearchParams({ SAMLRequest }) },
      spB.acsUrl,
    );
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse });
    const p = profile as Record<string, unknown>;
    expect(p.givenName).toBe('花子');
    expect(p['pairwise-id']).toMatch(/^[0-9a-f]{64}@127\.0\.0\.1$/);
    // sn and dateOfBirth are released to SP A, not to SP B: not in its policy, so never in its assertion.
    expect(posted.xml).not.toContain('架橋');
    expect(posted.xml).not.toMatch(/Name="(sn|dateOfBirth|displayName)"/);
    expect(posted.xml).not.toContain('EncryptedAssertion');
    expect(posted.xml).toContain('NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"');
    // Only the assertion is signed (signResponse: false).
    expect(posted.xml.match(/<ds:Signature[\s>]/g)?.length).toBe(1);
    expect(() => validateSamlSchema(posted.xml)).not.toThrow();
    if (!xmlsecAvailable) return;
    expect(verify(posted.xml, 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion')).toBe('');
  }, 30_000);

  it('persistent NameID: stable per SP, different across SPs; transient: new each login', async () => {
    const a1 = (await login(spA)).profile;
    const a2 = (await login(spA)).profile;
    const b = (await login(spB)).profile;
    expect(a1.nameID).toBe(a2.nameID);
    expect(b.nameID).not.toBe(a1.nameID);
    expect(b['pairwise-id']).not.toBe(a1['urn:oasis:names:tc:SAML:attribute:pairwise-id']);
    const t1 = (await login(spA, { identifierFormat: TRANSIENT })).profile;
    const t2 = (await login(spA, { identifierFormat: TRANSIENT })).profile;
    expect(t1.nameIDFormat).toBe(TRANSIENT);
    expect(t1.nameID).not.toBe(t2.nameID);
    expect(t1.nameID).not.toBe(a1.nameID);
  }, 60_000);
});

describe('plain SAML IdP: refusals', () => {
  const acsError = async (url: string, sp: TestSp = spA) => {
    const page = await new TestBrowser().request(url);
    const posted = formToAcs(page, sp.acsUrl);
    expect(posted, page.body.slice(0, 800)).toBeDefined();
    expect(() => validateSamlSchema(posted?.xml ?? '')).not.toThrow();
    return { ...statusOf(posted?.xml ?? ''), xml: posted?.xml ?? '' };
  };
  const retarget = (url: string) => `${idp.ssoUrl}?${new URL(url).search.slice(1)}`;

  it('an unknown SP gets a 400 page and no SAML response', async () => {
    const page = await new TestBrowser().request(
      await stranger.saml().getAuthorizeUrlAsync('', undefined, {}),
    );
    expect(page.status).toBe(400);
    expect(page.body).toContain('ERR_SAML_UNKNOWN_SP');
    expect(page.body).not.toContain('SAMLResponse');
  });

  it('refuses an unsigned request from an SP whose policy requires signatures', async () => {
    const status = await acsError(
      await spA.saml({ privateKey: undefined }).getAuthorizeUrlAsync('', undefined, {}),
    );
    expect(status.codes).toEqual([REQUESTER, DENIED]);
    expect(status.message).toBe('message signature missing');
    expect(status.xml).not.toContain('InResponseTo');
  });

  it('refuses a request signed by a key not in the SP metadata (also for an SP with optional signatures)', async () => {
    for (const sp of [spA, spB]) {
      const url = await sp
        .saml({ privateKey: stranger.signing.keyPem })
        .getAuthorizeUrlAsync('', undefined, {});
      const status = await acsError(url, sp);
      expect(status.codes).toEqual([REQUESTER, DENIED]);
      expect(status.message).toBe('message signature invalid');
    }
  });

  it('refuses a wrong Destination', async () => {
    const saml = spA.saml({ entryPoint: 'https://other-idp.example/sso' });
    const status = await acsError(retarget(await saml.getAuthorizeUrlAsync('', undefined, {})));
    expect(status.codes).toEqual([REQUESTER, DENIED]);
    expect(status.message).toBe('Destination is missing or not this endpoint');
  });

  it('refuses a replayed request ID', async () => {
    const url = await spA.saml().getAuthorizeUrlAsync('', undefined, {});
    expect((await new TestBrowser().request(url)).status).toBe(303);
    const status = await acsError(url);
    expect(status.codes).toEqual([REQUESTER, DENIED]);
    expect(status.message).toBe('request ID already used');
  });

  it('refuses a NameIDPolicy the SP may not use', async () => {
    const email = await acsError(
      await spA
        .saml({ identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' })
        .getAuthorizeUrlAsync('', undefined, {}),
    );
    expect(email.codes).toEqual([REQUESTER, 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy']);
    // SP B's policy allows persistent only.
    const transient = await acsError(
      await spB.saml({ identifierFormat: TRANSIENT }).getAuthorizeUrlAsync('', undefined, {}),
      spB,
    );
    expect(transient.codes).toEqual([REQUESTER, 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy']);
    expect(transient.message).toBe('the requested NameID format is not available to this SP');
  });

  it('refuses an authentication context it cannot honour (PasswordProtectedTransport, exact)', async () => {
    const saml = spA.saml({
      authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'],
      racComparison: 'exact',
    });
    const status = await acsError(await saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(status.codes).toEqual([REQUESTER, 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext']);
  });

  it('IsPassive without a hub session: Responder/NoPassive, no assertion', async () => {
    const saml = spA.saml({ passive: true });
    const posted = await samlLogin(await saml.getAuthorizeUrlAsync('', undefined, {}), spA.acsUrl);
    expect(statusOf(posted.xml).codes).toEqual([
      'urn:oasis:names:tc:SAML:2.0:status:Responder',
      'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
    ]);
    expect(posted.xml).not.toContain('Assertion');
  }, 30_000);

  it('a delivered level outside the request (maximum low, the demo source gives substantial) is NoAuthnContext', async () => {
    const saml = spA.saml({ authnContext: ['urn:kakehashi:loa:low'], racComparison: 'maximum' });
    const posted = await samlLogin(await saml.getAuthorizeUrlAsync('', undefined, {}), spA.acsUrl);
    expect(statusOf(posted.xml)).toEqual({
      codes: [
        'urn:oasis:names:tc:SAML:2.0:status:Responder',
        'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
      ],
      message: 'level of assurance not met',
    });
    expect(posted.xml).not.toContain('Assertion');
  }, 30_000);

  it('a denied consent at the hub becomes Responder/RequestDenied', async () => {
    const saml = spA.saml();
    const posted = await samlLogin(await saml.getAuthorizeUrlAsync('', undefined, {}), spA.acsUrl, {
      consent: 'deny',
    });
    expect(statusOf(posted.xml).codes).toEqual(['urn:oasis:names:tc:SAML:2.0:status:Responder', DENIED]);
    await expect(saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse })).rejects.toThrow(
      /Responder/,
    );
  }, 30_000);

  it('refuses a POST request whose signature covers another request wrapped inside it', async () => {
    const saml = spA.saml({ authnRequestBinding: 'HTTP-POST' });
    const signed = Buffer.from(
      postBindingRequest(await saml.getAuthorizeFormAsync('', undefined, {})),
      'base64',
    )
      .toString('utf8')
      .replace(/^<\?xml[^>]*>/, '');
    // Outer request with a fresh ID and the same signature; the signed original hidden in Extensions.
    const outer = signed
      .replace(/ ID="[^"]+"/, ' ID="_wrapped0123456789"')
      .replace(
        /(<\/(\w+:)?Signature>)/,
        `$1<samlp:Extensions><x:Wrap xmlns:x="urn:example:evil">${signed}</x:Wrap></samlp:Extensions>`,
      );
    const page = await new TestBrowser().request(idp.ssoUrl, {
      method: 'POST',
      body: new URLSearchParams({ SAMLRequest: Buffer.from(outer).toString('base64') }),
    });
    const posted = formToAcs(page, spA.acsUrl);
    expect(posted, page.body.slice(0, 600)).toBeDefined();
    expect(statusOf(posted?.xml ?? '')).toEqual({
      codes: [REQUESTER, DENIED],
      message: 'message signature invalid',
    });
  });

  it('refuses an ACS URL that is not in the SP metadata', async () => {
    const saml = spA.saml({ callbackUrl: 'https://evil.example/acs' });
    const status = await acsError(await saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(status.codes).toEqual([REQUESTER]);
    expect(status.message).toBe('the AssertionConsumerService is not in the SP metadata');
  });
});
