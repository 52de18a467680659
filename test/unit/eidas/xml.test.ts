import { XmlDocument } from 'libxml2-wasm';
import { describe, expect, it } from 'vitest';
import { parseXml, withDoc } from '../../../adapters/eidas/xml.js';

const doc = (text: string, attr = text) =>
  `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Name="${attr}"><saml:Issuer>${text}</saml:Issuer></saml:Assertion>`;

describe('parseXml (UTF-8 by Buffer.from, then libxml2 fromBuffer)', () => {
  it('reads the same text and attributes as XmlDocument.fromString, outside the BMP too', () => {
    for (const text of ['plain', '架橋 花子', 'Μύλλερ', 'emoji 😀 and 𠮷', 'a&amp;b &#x1F600;']) {
      const fast = parseXml(doc(text));
      const slow = XmlDocument.fromString(doc(text));
      try {
        expect(fast.toString()).toBe(slow.toString());
        expect(fast.root.attr('Name')?.value).toBe(slow.root.attr('Name')?.value);
      } finally {
        fast.dispose();
        slow.dispose();
      }
    }
  });

  it('still refuses a string with a lone surrogate (Buffer.from would make it U+FFFD)', () => {
    expect(() => XmlDocument.fromString(doc('x\uD800y')).dispose()).toThrow();
    expect(() => parseXml(doc('x\uD800y')).dispose()).toThrow();
    expect(() => parseXml(doc('x\uDC00')).dispose()).toThrow();
  });

  it('refuses malformed XML and DOCTYPEs (withDoc)', () => {
    expect(() => parseXml('<a>')).toThrow();
    expect(() => withDoc(`<!DOCTYPE a>${doc('x')}`, () => 1)).toThrow(/DOCTYPE/);
  });

  it('standalone(): an element with the namespaces it inherits, as its own document', () => {
    const xml = `<r:R xmlns:r="urn:r" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:EncryptedAssertion><saml:X a="1">t</saml:X></saml:EncryptedAssertion></r:R>`;
    const out = withDoc(xml, (d) => d.standalone(d.one('//saml:EncryptedAssertion') ?? d.root));
    expect(out).toBe(
      '<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:X a="1">t</saml:X></saml:EncryptedAssertion>',
    );
  });

  it('compiled XPath: only the prefixes an expression names are registered, and nothing else changes', () => {
    const xml =
      '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">' +
      '<saml:Issuer>i</saml:Issuer><saml:Assertion><saml:Attribute Name="urn:x:saml:ds:y"/><ds:Signature/></saml:Assertion></samlp:Response>';
    withDoc(xml, (d) => {
      expect(d.count('//samlp:Response')).toBe(1);
      expect(d.count('//saml:Assertion/ds:Signature')).toBe(1);
      expect(d.count("//saml:Attribute[@Name='urn:x:saml:ds:y']")).toBe(1);
      expect(d.count('/samlp:Response/saml:Assertion/descendant::ds:Signature')).toBe(1);
      expect(d.count('//*[local-name()="Signature"]')).toBe(1);
      expect(d.text('/samlp:Response/saml:Issuer')).toBe('i');
      // A prefix we do not know is an error, not an empty result.
      expect(() => d.count('//foo:Signature')).toThrow();
    });
  });
});
