/**
 * Connector-side Response validation against responses from a test eIDAS node built with xml-crypto and
 * xml-encryption (not samlify). Each forgery asserts the specific error code of the check that stops it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNodeMetadata } from '../../../adapters/eidas/node-metadata.js';
import { consumeSamlResponse, pendingKey } from '../../../adapters/eidas/sp-consume.js';
import { identityFromAssertion } from '../../../adapters/eidas/sp-identity.js';
import type { ResponseExpectations } from '../../../adapters/eidas/sp-response.js';
import type { AdapterStore } from '../../../src/core/adapter.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { parseCanonicalIdentity } from '../../../src/core/identity.js';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import { rsaKeyPair, type TestKeyPair } from './support.js';
import {
  ASSERTION_XPATH,
  type AssertionSpec,
  assertionXml,
  encrypt,
  makeTestNode,
  NP,
  newId,
  RESPONSE_XPATH,
  responseXml,
  sign,
  type TestNode,
} from './test-node.js';

const SP = 'https://gw.example/a/eu/metadata';
const ACS = 'https://gw.example/a/eu/acs';
let node: TestNode;
let sp: TestKeyPair;
let stranger: TestKeyPair;
let store: AdapterStore;
let x: ResponseExpectations;

beforeAll(async () => {
  node = await makeTestNode('https://node.eu.example');
  sp = await rsaKeyPair('our SP');
  stranger = await rsaKeyPair('stranger');
  const mem = createMemoryStore();
  const ns = 'a:eu';
  store = {
    get: (k) => mem.get(ns, k),
    set: (k, v, t) => mem.set(ns, k, v, t),
    setIfAbsent: (k, v, t) => mem.setIfAbsent(ns, k, v, t),
    take: (k) => mem.take(ns, k),
    delete: (k) => mem.delete(ns, k),
  };
  x = {
    spEntityId: SP,
    acsUrl: ACS,
    node: parseNodeMetadata(node.metadata(), {
      signingCertPem: node.metadataSigning.certPem,
      now: Date.now(),
    }),
    decryptionKeyPem: sp.keyPem,
    wantEncrypted: true,
    now: Date.now(),
    clockSkewSeconds: 30,
    maxAgeSeconds: 900,
  };
});

/** A fresh pending request; returns its ID. */
async function pending(): Promise<string> {
  const id = newId();
  await store.set(
    pendingKey(id),
    { uid: 'uid-1', loaUri: 'http://eidas.europa.eu/LoA/low', sentAt: Date.now() },
    600,
  );
  return id;
}
const spec = (inResponseTo: string, more: Partial<AssertionSpec> = {}): AssertionSpec => ({
  inResponseTo,
  acsUrl: ACS,
  audience: SP,
  ...more,
});
const plain = { ...({} as object), wantEncrypted: false };

async function codeOf(xml: string, over: Partial<ResponseExpectations> = {}): Promise<string> {
  try {
    await consumeSamlResponse(xml, { ...x, now: Date.now(), ...over }, store);
  } catch (e) {
    if (isGatewayError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

/** A plain (unencrypted) Response with a signed assertion; optionally the Response signed too. */
async function plainResponse(id: string, more: Partial<AssertionSpec> = {}, signResponse = false) {
  const a = sign(assertionXml(spec(id, more), node.entityId), ASSERTION_XPATH, node.signing);
  const r = responseXml({ inResponseTo: id, acsUrl: ACS, assertion: a }, node.entityId);
  return signResponse ? sign(r, RESPONSE_XPATH, node.signing) : r;
}

describe('eIDAS SP: accepted responses', () => {
  it('signed assertion, encrypted, in a signed Response (the eIDAS shape) -> identity', async () => {
    const id = await pending();
    const xml = await node.respond(spec(id), sp.certPem);
    const { pending: p, assertion } = await consumeSamlResponse(xml, { ...x, now: Date.now() }, store);
    expect(p.uid).toBe('uid-1');
    expect(assertion.inResponseTo).toBe(id);
    expect(assertion.loaUri).toBe('http://eidas.europa.eu/LoA/substantial');
    expect(assertion.attributes[`${NP}CurrentFamilyName`]).toEqual([
      { value: 'Müller', latinScript: true },
      { value: 'Μύλλερ', latinScript: false },
    ]);
    const identity = parseCanonicalIdentity(
      identityFromAssertion(assertion, {
        instanceId: 'eu',
        nodeEntityId: node.entityId,
        pseudonymKey: new Uint8Array(32).fill(7),
        loa: 'substantial',
        now: 1,
      }),
    );
    expect(identity.person.familyName).toEqual([{ value: 'Müller', script: 'Latn' }]); // Greek not carried
    expect(identity.person.birthDate).toBe('1964-08-12');
    expect(identity.subject.id).not.toContain('0123456789abcdef');
    expect(identity.extensions['eidas:originCountry']).toBe('DE');
  });

  it('accepts an unsigned Response around a signed encrypted assertion, and a plain one when allowed', async () => {
    const id = await pending();
    expect(await codeOf(await node.respond(spec(id), sp.certPem, { signResponse: false }))).toBe('accepted');
    const id2 = await pending();
    expect(await codeOf(await plainResponse(id2), plain)).toBe('accepted');
  });
});

describe('eIDAS SP: forgeries and refusals', () => {
  it('XSW: signed assertion moved into Extensions, an evil one in its place', async () => {
    const id = await pending();
    const legit = sign(assertionXml(spec(id), node.entityId), ASSERTION_XPATH, node.signing);
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(legit)?.[0] ?? '';
    const legitId = /ID="([^"]+)"/.exec(legit)?.[1] ?? '';
    const evil = assertionXml(spec(id, { personIdentifier: 'DE/JP/evil', id: legitId }), node.entityId)
      .replace(/(<\/saml:Issuer>)/, `$1${sig}`)
      .replace(`ID="${legitId}"`, `ID="${newId()}"`);
    const r = responseXml({ inResponseTo: id, acsUrl: ACS, assertion: evil }, node.entityId).replace(
      /(<\/saml:Issuer>)/,
      `$1<samlp:Extensions>${legit}</samlp:Extensions>`,
    );
    expect(await codeOf(r, plain)).toBe('ERR_SAML_WRAPPING');
  });

  it('XSW: duplicated assertion (evil unsigned copy next to the signed one)', async () => {
    const id = await pending();
    const legit = sign(assertionXml(spec(id), node.entityId), ASSERTION_XPATH, node.signing);
    const evil = assertionXml(spec(id, { personIdentifier: 'DE/JP/evil' }), node.entityId);
    const r = responseXml({ inResponseTo: id, acsUrl: ACS, assertion: evil + legit }, node.entityId);
    expect(await codeOf(r, plain)).toBe('ERR_SAML_ASSERTION_COUNT');
  });

  it('XSW: the assertion carries a valid signature that references another ID (the Response)', async () => {
    const id = await pending();
    const a = assertionXml(spec(id), node.entityId);
    const signed = sign(
      responseXml({ inResponseTo: id, acsUrl: ACS, assertion: a }, node.entityId),
      RESPONSE_XPATH,
      node.signing,
    );
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)?.[0] ?? '';
    const moved = signed.replace(sig, '').replace(/(<saml:Assertion[\s\S]*?<\/saml:Issuer>)/, `$1${sig}`);
    expect(await codeOf(moved, plain)).toBe('ERR_SAML_SIGNATURE_REFERENCE');
  });

  it('XSW: the signed Response wrapped in the Extensions of an evil Response', async () => {
    const id = await pending();
    const legit = await plainResponse(id, {}, true);
    const sig = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(legit)?.[0] ?? ''; // the Response signature comes first
    const evilAssertion = assertionXml(spec(id, { personIdentifier: 'DE/JP/evil' }), node.entityId);
    const evil = responseXml(
      { inResponseTo: id, acsUrl: ACS, assertion: evilAssertion },
      node.entityId,
    ).replace(
      /(<\/saml:Issuer>)/,
      `$1${sig}<samlp:Extensions><x:Wrap xmlns:x="urn:example:evil">${legit.replace(sig, '')}</x:Wrap></samlp:Extensions>`,
    );
    expect(await codeOf(evil, plain)).toBe('ERR_SAML_WRAPPING');
  });

  it('XSW: the signed assertion wrapped in the ds:Object of the signature on an evil assertion', async () => {
    const id = await pending();
    const legit = sign(assertionXml(spec(id), node.entityId), ASSERTION_XPATH, node.signing);
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(legit)?.[0] ?? '';
    const withObject = sig.replace(
      '</ds:Signature>',
      `<ds:Object>${legit.replace(sig, '')}</ds:Object></ds:Signature>`,
    );
    const evil = assertionXml(spec(id, { personIdentifier: 'DE/JP/evil' }), node.entityId).replace(
      /(<\/saml:Issuer>)/,
      `$1${withObject}`,
    );
    const r = responseXml({ inResponseTo: id, acsUrl: ACS, assertion: evil }, node.entityId);
    expect(await codeOf(r, plain)).toBe('ERR_SAML_WRAPPING');
  });

  it('comment injection splitting NameID and PersonIdentifier (signature still valid)', async () => {
    const id = await pending();
    const r = (await plainResponse(id, { personIdentifier: 'DE/JP/admin.attacker' })).replaceAll(
      'DE/JP/admin.attacker',
      'DE/JP/admin<!---->.attacker',
    );
    expect(await codeOf(r, plain)).toBe('ERR_SAML_COMMENT');
  });

  it('unsigned assertion in an unsigned Response (plain and encrypted)', async () => {
    const id = await pending();
    const a = assertionXml(spec(id), node.entityId);
    expect(
      await codeOf(responseXml({ inResponseTo: id, acsUrl: ACS, assertion: a }, node.entityId), plain),
    ).toBe('ERR_SAML_UNSIGNED');
    const enc = responseXml(
      { inResponseTo: id, acsUrl: ACS, assertion: await encrypt(a, sp.certPem) },
      node.entityId,
    );
    expect(await codeOf(enc)).toBe('ERR_SAML_UNSIGNED');
  });

  it('signature by a key not in the node metadata', async () => {
    const id = await pending();
    const a = sign(assertionXml(spec(id), node.entityId), ASSERTION_XPATH, stranger);
    const r = responseXml(
      { inResponseTo: id, acsUrl: ACS, assertion: await encrypt(a, sp.certPem) },
      node.entityId,
    );
    expect(await codeOf(r)).toBe('ERR_SAML_SIGNATURE');
  });

  it('wrong audience, wrong Recipient, wrong Destination', async () => {
    expect(
      await codeOf(await node.respond(spec(await pending(), { audience: 'https://other.sp/' }), sp.certPem)),
    ).toBe('ERR_SAML_AUDIENCE');
    expect(
      await codeOf(
        await node.respond(spec(await pending(), { recipient: 'https://other.sp/acs' }), sp.certPem),
      ),
    ).toBe('ERR_SAML_RECIPIENT');
    const id = await pending();
    const a = sign(assertionXml(spec(id), node.entityId), ASSERTION_XPATH, node.signing);
    const r = responseXml(
      {
        inResponseTo: id,
        acsUrl: ACS,
        destination: 'https://other.sp/acs',
        assertion: await encrypt(a, sp.certPem),
      },
      node.entityId,
    );
    expect(await codeOf(r)).toBe('ERR_SAML_DESTINATION');
  });

  it('expired conditions, expired subject confirmation', async () => {
    const old = Date.now() - 3_600_000;
    expect(await codeOf(await node.respond(spec(await pending(), { now: old }), sp.certPem))).toBe(
      'ERR_SAML_CONDITIONS_EXPIRED',
    );
    const id = await pending();
    const a = assertionXml(spec(id), node.entityId).replace(
      /(SubjectConfirmationData[^>]*NotOnOrAfter=")[^"]+/,
      `$1${new Date(old).toISOString()}`,
    );
    const r = responseXml(
      {
        inResponseTo: id,
        acsUrl: ACS,
        assertion: await encrypt(sign(a, ASSERTION_XPATH, node.signing), sp.certPem),
      },
      node.entityId,
    );
    expect(await codeOf(r)).toBe('ERR_SAML_CONFIRMATION_EXPIRED');
  });

  it('replayed response; response to an unknown request; confirmation for another request', async () => {
    const xml = await node.respond(spec(await pending()), sp.certPem);
    expect(await codeOf(xml)).toBe('accepted');
    expect(await codeOf(xml)).toBe('ERR_SAML_REPLAY');
    expect(await codeOf(await node.respond(spec(newId()), sp.certPem))).toBe('ERR_SAML_IN_RESPONSE_TO');
    const id = await pending();
    const a = sign(assertionXml(spec(newId()), node.entityId), ASSERTION_XPATH, node.signing);
    const r = responseXml(
      { inResponseTo: id, acsUrl: ACS, assertion: await encrypt(a, sp.certPem) },
      node.entityId,
    );
    expect(await codeOf(r)).toBe('ERR_SAML_CONFIRMATION_IN_RESPONSE_TO');
  });

  it('error status (top-level and nested) becomes ERR_SAML_STATUS with the OAuth meaning', async () => {
    const id = await pending();
    const r = sign(
      responseXml(
        {
          inResponseTo: id,
          acsUrl: ACS,
          status: [
            'urn:oasis:names:tc:SAML:2.0:status:Responder',
            'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
          ],
        },
        node.entityId,
      ),
      RESPONSE_XPATH,
      node.signing,
    );
    const err = await consumeSamlResponse(r, { ...x, now: Date.now() }, store).catch((e: unknown) => e);
    expect(isGatewayError(err) && [err.code, err.oauth, err.message]).toEqual([
      'ERR_SAML_STATUS',
      'unmet_authentication_requirements',
      'the eIDAS node refused: Responder/NoAuthnContext',
    ]);
  });

  it('a plaintext assertion when encryption is required', async () => {
    expect(await codeOf(await plainResponse(await pending()))).toBe('ERR_SAML_NOT_ENCRYPTED');
  });
});

describe('eIDAS SP: schema validation and decryption on the shared parse', () => {
  it('the Response: schema violation, malformed XML, DOCTYPE, lone surrogate -> ERR_SAML_SCHEMA', async () => {
    const good = await node.respond(spec(await pending()), sp.certPem, { signResponse: false });
    // An element the schema does not allow between Issuer and Status (only Signature and Extensions are).
    const invalid = good.replace('</saml:Issuer>', '</saml:Issuer><saml:Audience>x</saml:Audience>');
    expect(await codeOf(invalid)).toBe('ERR_SAML_SCHEMA');
    expect(await codeOf(good.slice(0, -5))).toBe('ERR_SAML_SCHEMA');
    expect(await codeOf(`<!DOCTYPE r>${good}`)).toBe('ERR_SAML_SCHEMA');
    expect(await codeOf(good.replace('</saml:Issuer>', '\uD800</saml:Issuer>'))).toBe('ERR_SAML_SCHEMA');
    expect(await codeOf(good)).toBe('accepted');
  });

  it('the decrypted assertion is schema-validated before anything reads it', async () => {
    const id = await pending();
    const a = assertionXml(spec(id), node.entityId).replace(
      /(<saml:Issuer[^>]*>[^<]*<\/saml:Issuer>)/,
      '$1<saml:Audience>x</saml:Audience>',
    );
    const r = responseXml(
      {
        inResponseTo: id,
        acsUrl: ACS,
        assertion: await encrypt(sign(a, ASSERTION_XPATH, node.signing), sp.certPem),
      },
      node.entityId,
    );
    expect(await codeOf(sign(r, RESPONSE_XPATH, node.signing))).toBe('ERR_SAML_SCHEMA');
  });

  it('decrypts an EncryptedAssertion whose namespaces are declared on the Response only', async () => {
    for (const signResponse of [false, true]) {
      const id = await pending();
      const signed = sign(assertionXml(spec(id), node.entityId), ASSERTION_XPATH, node.signing);
      // xml-encryption declares saml, xenc, e (also xmlenc) and the default (xmldsig) namespace in place.
      const bare = (await encrypt(signed, sp.certPem)).replaceAll(/ xmlns(:saml|:xenc|:e)?="[^"]*"/g, '');
      expect(bare).not.toContain('xmlns');
      const r = responseXml({ inResponseTo: id, acsUrl: ACS, assertion: bare }, node.entityId).replace(
        '<samlp:Response ',
        '<samlp:Response xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:e="http://www.w3.org/2001/04/xmlenc#" xmlns="http://www.w3.org/2000/09/xmldsig#" ',
      );
      const xml = signResponse ? sign(r, RESPONSE_XPATH, node.signing) : r;
      expect(await codeOf(xml)).toBe('accepted');
    }
  });

  it('a key that does not decrypt, a tampered ciphertext -> ERR_SAML_DECRYPT', async () => {
    expect(
      await codeOf(await node.respond(spec(await pending()), sp.certPem, { signResponse: false }), {
        decryptionKeyPem: stranger.keyPem,
      }),
    ).toBe('ERR_SAML_DECRYPT');
    const xml = await node.respond(spec(await pending()), sp.certPem, { signResponse: false });
    // The data ciphertext (the key's is in e:CipherValue): AES-GCM refuses it once a byte changes.
    const data = /<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/.exec(xml)?.[1] ?? '';
    expect(data.length).toBeGreaterThan(100);
    const flipped = `${data.slice(0, 40)}${data[40] === 'A' ? 'B' : 'A'}${data.slice(41)}`;
    expect(await codeOf(xml.replace(data, flipped))).toBe('ERR_SAML_DECRYPT');
  });
});
