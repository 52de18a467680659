/**
 * The xml-signature.ts contract, run against both backends (libxmlsec1 through native/xmlsec, and xml-crypto):
 * the same documents give the same result and the same error code. Then the native binding on its own, with
 * the TypeScript pre-checks bypassed, to show that libxmlsec1 is restricted by the binding itself (one ID,
 * one Reference to it, allowed transforms and algorithms only, the configured key only, no DOCTYPE).
 * Under CI=true the native binding must be built: its absence fails here.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { NS } from '../../../adapters/eidas/constants.js';
import {
  nativeXmlsec,
  setXmlSignatureBackend,
  verifyElementSignature,
  type XmlSignatureBackend,
  XmlSignatureError,
  xmlSignatureBackend,
} from '../../../adapters/eidas/xml-signature.js';
import { rsaKeyPair, type TestKeyPair } from '../../integration/eidas/support.js';

const SAMLP = NS.samlp;
const SAML = NS.saml;
const RESPONSE: [string, string][] = [[SAMLP, 'Response']];
const ASSERTION: [string, string][] = [
  [SAMLP, 'Response'],
  [SAML, 'Assertion'],
];
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENV = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const ROOT = "/*[local-name()='Response']";
const ROOT_ASSERTION = "/*[local-name()='Response']/*[local-name()='Assertion']";

let idp: TestKeyPair;
let other: TestKeyPair;

beforeAll(async () => {
  idp = await rsaKeyPair('idp');
  other = await rsaKeyPair('other');
});

const doc = (name = 'Alice', assertionId = '_a1') =>
  `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="_r1" Version="2.0">` +
  '<saml:Issuer>https://idp.example</saml:Issuer>' +
  `<saml:Assertion ID="${assertionId}" Version="2.0"><saml:Issuer>https://idp.example</saml:Issuer>` +
  `<saml:Subject><saml:NameID>${name}</saml:NameID></saml:Subject></saml:Assertion>` +
  '</samlp:Response>';

interface SignOpts {
  xpaths?: string[];
  transforms?: string[];
  digest?: string;
  c14n?: string;
  key?: TestKeyPair;
  at?: string;
}
/** An enveloped signature by xml-crypto (the same signer the integration tests use), inserted after an Issuer. */
function sign(xml: string, o: SignOpts = {}): string {
  const key = o.key ?? idp;
  const sig = new SignedXml({
    privateKey: key.keyPem,
    publicCert: key.certPem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: o.c14n ?? EXC,
  });
  for (const xpath of o.xpaths ?? [ROOT])
    sig.addReference({ xpath, digestAlgorithm: o.digest ?? SHA256, transforms: o.transforms ?? [ENV, EXC] });
  const at = o.at ?? o.xpaths?.[0] ?? ROOT;
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${at}/*[local-name()='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (e) {
    return e instanceof XmlSignatureError ? e.code : `unexpected ${String(e)}`;
  }
}

it('the native backend is present under CI=true (libxmlsec1-dev and the optional binding are installed)', () => {
  if (process.env.CI === 'true') {
    expect(nativeXmlsec, 'native/xmlsec did not build or load: CI must install libxmlsec1-dev').toBeDefined();
    expect(xmlSignatureBackend()).toBe('xmlsec');
  }
  expect(['xmlsec', 'xml-crypto']).toContain(xmlSignatureBackend());
});

const backends: XmlSignatureBackend[] = nativeXmlsec ? ['xmlsec', 'xml-crypto'] : ['xml-crypto'];

describe.each(backends)('verifyElementSignature with the %s backend', (backend) => {
  const before = xmlSignatureBackend();
  beforeAll(() => setXmlSignatureBackend(backend));
  afterAll(() => setXmlSignatureBackend(before));

  it('valid: returns the canonical signed element and the certificate that verified', () => {
    const signed = sign(doc());
    const r = verifyElementSignature(signed, RESPONSE, [other.certPem, idp.certPem]);
    expect(r.certPem).toBe(idp.certPem);
    expect(r.xml.startsWith('<samlp:Response')).toBe(true);
    expect(r.xml).toContain('<saml:NameID>Alice</saml:NameID>');
    expect(r.xml).not.toContain('<ds:Signature'); // enveloped-signature applied
  });

  it('valid: an assertion signed inside its Response', () => {
    const signed = sign(doc(), { xpaths: [ROOT_ASSERTION] });
    const r = verifyElementSignature(signed, ASSERTION, [idp.certPem]);
    expect(r.xml.startsWith('<saml:Assertion')).toBe(true);
    // exclusive c14n: the assertion declares only the namespace it uses
    expect(r.xml).toContain(`xmlns:saml="${SAML}"`);
    expect(r.xml).not.toContain('xmlns:samlp');
  });

  it('wrong key: a signature by a certificate that is not configured', () => {
    expect(codeOf(() => verifyElementSignature(sign(doc()), RESPONSE, [other.certPem]))).toBe(
      'ERR_SAML_SIGNATURE',
    );
  });

  it('the KeyInfo of the message is ignored (it carries the signer certificate, which is not configured)', () => {
    const signed = sign(doc(), { key: other });
    expect(signed).toContain('<ds:X509Certificate>');
    expect(codeOf(() => verifyElementSignature(signed, RESPONSE, [idp.certPem]))).toBe('ERR_SAML_SIGNATURE');
  });

  it('tampered content after signing', () => {
    const t = sign(doc()).replace('>Alice<', '>Mallory<');
    expect(codeOf(() => verifyElementSignature(t, RESPONSE, [idp.certPem]))).toBe('ERR_SAML_SIGNATURE');
  });

  it('comment injected into signed text: the digest (comments removed) still matches, the bytes do not carry it', () => {
    const t = sign(doc('admin.attacker')).replace('admin.attacker', 'admin<!---->.attacker');
    const r = verifyElementSignature(t, RESPONSE, [idp.certPem]);
    expect(r.xml).toContain('<saml:NameID>admin.attacker</saml:NameID>');
  });

  it('unsigned element, and no signature where the path points', () => {
    expect(codeOf(() => verifyElementSignature(doc(), RESPONSE, [idp.certPem]))).toBe('ERR_SAML_SIGNATURE');
    const responseOnly = sign(doc());
    expect(codeOf(() => verifyElementSignature(responseOnly, ASSERTION, [idp.certPem]))).toBe(
      'ERR_SAML_SIGNATURE',
    );
  });

  it('moved: the signed Response wrapped inside an evil Response that carries its signature', () => {
    const evil = wrappedSignature();
    expect(codeOf(() => verifyElementSignature(evil, RESPONSE, [idp.certPem]))).toBe(
      'ERR_SAML_SIGNATURE_REFERENCE',
    );
  });

  it('moved: a signed assertion moved next to an evil one (not exactly one element at the path)', () => {
    const legit = sign(doc(), { xpaths: [ROOT_ASSERTION] });
    const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(legit)?.[0] ?? '';
    const evil = doc('Mallory', '_a2').replace('</samlp:Response>', `${assertion}</samlp:Response>`);
    expect(codeOf(() => verifyElementSignature(evil, ASSERTION, [idp.certPem]))).toBe('ERR_SAML_SIGNATURE');
  });

  it('second reference', () => {
    const two = sign(doc(), { xpaths: [ROOT, ROOT_ASSERTION], at: ROOT });
    expect(codeOf(() => verifyElementSignature(two, RESPONSE, [idp.certPem]))).toBe(
      'ERR_SAML_SIGNATURE_REFERENCE',
    );
  });

  it('wrong URI: the Response carries a signature over its assertion', () => {
    const t = sign(doc(), { xpaths: [ROOT_ASSERTION], at: ROOT });
    expect(codeOf(() => verifyElementSignature(t, RESPONSE, [idp.certPem]))).toBe(
      'ERR_SAML_SIGNATURE_REFERENCE',
    );
  });

  it('duplicate ID (ID, Id or id elsewhere in the document)', () => {
    for (const attr of ['ID', 'Id', 'id']) {
      const t = sign(doc()).replace('<saml:Subject>', `<saml:Subject><x:E xmlns:x="urn:x" ${attr}="_r1"/>`);
      expect(codeOf(() => verifyElementSignature(t, RESPONSE, [idp.certPem]))).toBe('ERR_SAML_DUPLICATE_ID');
    }
  });

  it('disallowed transform, SignedInfo canonicalization and digest', () => {
    const inclusive = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
    for (const o of [
      { transforms: [ENV, inclusive] },
      { transforms: [ENV, `${EXC}WithComments`] },
      { c14n: inclusive },
      { digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
    ]) {
      const t = sign(doc(), o);
      expect(codeOf(() => verifyElementSignature(t, RESPONSE, [idp.certPem]))).toBe('ERR_SAML_SIGNATURE');
    }
  });
});

/**
 * Signature wrapping: an evil Response (ID _evil) carries the legit Response's signature, with the signed
 * Response itself tucked into its Extensions.
 */
function wrappedSignature(): string {
  const legit = sign(doc());
  const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(legit)?.[0] ?? '';
  return doc('Mallory')
    .replace('ID="_r1"', 'ID="_evil"')
    .replace(
      '</saml:Issuer>',
      `</saml:Issuer>${sig}<samlp:Extensions>${legit.replace(sig, '')}</samlp:Extensions>`,
    );
}

describe.runIf(nativeXmlsec)('the libxmlsec1 binding on its own (no TypeScript pre-checks)', () => {
  const v = (xml: string, path = RESPONSE, cert?: string) =>
    nativeXmlsec?.verifyEnveloped(Buffer.from(xml), path, cert ?? idp.certPem) ?? null;

  it('returns the same canonical bytes as xml-crypto', () => {
    const signed = sign(doc(), { xpaths: [ROOT_ASSERTION] });
    setXmlSignatureBackend('xml-crypto');
    try {
      const viaXmlCrypto = verifyElementSignature(signed, ASSERTION, [idp.certPem]).xml;
      expect(v(signed, ASSERTION)?.toString('utf8')).toBe(viaXmlCrypto);
    } finally {
      setXmlSignatureBackend('xmlsec');
    }
  });

  it('refuses a wrong key, tampering, a second reference, a wrong URI, a wrapped signature', () => {
    expect(v(sign(doc()), RESPONSE, other.certPem)).toBeNull();
    expect(v(sign(doc()).replace('>Alice<', '>Mallory<'))).toBeNull();
    expect(v(sign(doc(), { xpaths: [ROOT, ROOT_ASSERTION], at: ROOT }))).toBeNull();
    expect(v(sign(doc(), { xpaths: [ROOT_ASSERTION], at: ROOT }))).toBeNull();
    const evil = wrappedSignature();
    expect(v(evil)).toBeNull(); // only _evil is registered as an ID, so #_r1 resolves to nothing
  });

  it('refuses transforms, canonicalizations and digests outside the allowed sets', () => {
    const inclusive = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
    expect(v(sign(doc(), { transforms: [ENV, inclusive] }))).toBeNull();
    expect(v(sign(doc(), { transforms: [ENV, `${EXC}WithComments`] }))).toBeNull();
    expect(v(sign(doc(), { c14n: inclusive }))).toBeNull();
    expect(v(sign(doc(), { digest: 'http://www.w3.org/2000/09/xmldsig#sha1' }))).toBeNull();
  });

  it('an ID already taken by xml:id elsewhere is refused; other ID attributes are not registered', () => {
    const signed = sign(doc());
    expect(
      v(signed.replace('<saml:Subject>', '<saml:Subject><x:E xmlns:x="urn:x" xml:id="_r1"/>')),
    ).toBeNull();
    // the assertion's ID is not registered, so a Reference to it cannot resolve from the Response's signature
    expect(v(sign(doc(), { xpaths: [ROOT_ASSERTION], at: ROOT }))).toBeNull();
    expect(v(signed)?.toString('utf8')).toContain('<saml:NameID>Alice</saml:NameID>');
  });

  it('refuses a DOCTYPE, malformed XML, a path that does not match, and checks its arguments', () => {
    const signed = sign(doc());
    expect(v(`<!DOCTYPE samlp:Response [<!ENTITY e "Alice">]>${signed}`)).toBeNull();
    expect(v(signed.slice(0, -5))).toBeNull();
    expect(v(signed, [[SAML, 'Response']])).toBeNull();
    expect(
      v(signed, [
        [SAMLP, 'Response'],
        [SAML, 'Nothing'],
      ]),
    ).toBeNull();
    expect(v(signed, RESPONSE, 'not a certificate')).toBeNull();
    const bad = nativeXmlsec as unknown as { verifyEnveloped: (...a: unknown[]) => unknown };
    expect(() => bad.verifyEnveloped(signed, RESPONSE, idp.certPem)).toThrow(TypeError);
    expect(() => bad.verifyEnveloped(Buffer.from(signed), [], idp.certPem)).toThrow(TypeError);
    expect(() => bad.verifyEnveloped(Buffer.from(signed), [['a']], idp.certPem)).toThrow(TypeError);
    expect(() => bad.verifyEnveloped(Buffer.from(signed), RESPONSE, 42)).toThrow(TypeError);
  });

  it('many calls: no state carried from one call to the next', () => {
    const good = sign(doc());
    const bad = good.replace('>Alice<', '>Mallory<');
    for (let i = 0; i < 200; i++) {
      expect(v(good)).not.toBeNull();
      expect(v(bad)).toBeNull();
    }
  });
});
