import { describe, expect, it } from 'vitest';
import { encodeCurrentAddress } from '../../../adapters/eidas/attributes.js';
import { SchemaValidationError, validateSamlSchema } from '../../../adapters/eidas/schema-validator.js';

const request = (ext: string) =>
  `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:eidas="http://eidas.europa.eu/saml-extensions" ID="_a" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>x</saml:Issuer><samlp:Extensions>${ext}</samlp:Extensions></samlp:AuthnRequest>`;

function detailOf(xml: string): string {
  try {
    validateSamlSchema(xml);
  } catch (e) {
    if (e instanceof SchemaValidationError) return e.detail;
    throw e;
  }
  return 'valid';
}

describe('SAML/eIDAS schema validation (libxml2)', () => {
  it('accepts a valid eIDAS request and refuses schema violations', () => {
    expect(() => validateSamlSchema(request('<eidas:SPType>public</eidas:SPType>'))).not.toThrow();
    expect(() => validateSamlSchema(request('<eidas:SPType>pubic</eidas:SPType>'))).toThrow(
      SchemaValidationError,
    );
    expect(detailOf(request('<eidas:RequestedAttribute Name="n" isRequired="true"/>'))).toMatch(/NameFormat/);
    // Required attribute missing on the protocol element.
    expect(() => validateSamlSchema(request('').replace(' Version="2.0"', ''))).toThrow(
      SchemaValidationError,
    );
  });

  it('refuses DOCTYPEs and malformed XML', () => {
    expect(detailOf(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${request('')}`)).toMatch(
      /DOCTYPE/,
    );
    expect(() => validateSamlSchema('<samlp:AuthnRequest')).toThrow(SchemaValidationError);
  });

  it('validates eIDAS attribute value types by xsi:type', () => {
    const assertion = (type: string, value: string) =>
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:eidas-natural="http://eidas.europa.eu/attributes/naturalperson" ID="_b" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>x</saml:Issuer><saml:AttributeStatement><saml:Attribute Name="n"><saml:AttributeValue xsi:type="eidas-natural:${type}">${value}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`;
    expect(() => validateSamlSchema(assertion('DateOfBirthType', '1990-04-01'))).not.toThrow();
    expect(() => validateSamlSchema(assertion('DateOfBirthType', '01/04/1990'))).toThrow(
      SchemaValidationError,
    );
    expect(() => validateSamlSchema(assertion('GenderType', 'Female'))).not.toThrow();
    expect(() => validateSamlSchema(assertion('GenderType', 'F'))).toThrow(SchemaValidationError);
  });

  it('encodes CurrentAddress as base64 of CurrentAddressStructuredType children', () => {
    const b64 = encodeCurrentAddress({ formatted: '東京都千代田区霞が関一丁目1番1号', country: 'JP' }) ?? '';
    const xml = Buffer.from(b64, 'base64').toString('utf8');
    expect(xml).toContain('>東京都千代田区霞が関一丁目1番1号</eidas-natural:CvaddressArea>');
    expect(xml).toContain('>JP</eidas-natural:AdminunitFirstline>');
  });
});
