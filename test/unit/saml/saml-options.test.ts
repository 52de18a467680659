/** Per-SP policy validation of the plain SAML target (config errors name their field). */
import { describe, expect, it } from 'vitest';
import { samlSpSchema } from '../../../adapters/eidas/saml-options.js';
import { parseSpMetadata } from '../../../adapters/eidas/saml-sp-metadata.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const sp = (inner: string) =>
  `<md:EntityDescriptor xmlns:md="${MD}" entityID="https://sp.example/md"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${inner}</md:SPSSODescriptor></md:EntityDescriptor>`;

describe('plain SAML per-SP options', () => {
  it('defaults: saml2-uri, persistent, signed requests, signed assertion and response, no encryption', () => {
    expect(samlSpSchema.parse({ metadata: '<x/>' })).toMatchObject({
      profile: 'saml2-uri',
      attributes: [],
      nameIdFormats: ['persistent'],
      requireSignedRequests: true,
      signAssertion: true,
      signResponse: true,
      encryptAssertion: false,
    });
  });

  it('refuses a policy that signs nothing, unknown attributes and NameID formats', () => {
    const issues = (v: unknown) =>
      samlSpSchema.safeParse(v).error?.issues.map((i) => i.path.join('.') || i.message);
    expect(issues({ metadata: '<x/>', signAssertion: false, signResponse: false })).toEqual([
      'at least one of signAssertion and signResponse must be true',
    ]);
    expect(issues({ metadata: '<x/>', attributes: ['uid'] })).toEqual(['attributes.0']);
    expect(issues({ metadata: '<x/>', nameIdFormats: ['emailAddress'] })).toEqual(['nameIdFormats.0']);
    expect(issues({ metadata: '<x/>', nameIdFormats: [] })).toEqual(['nameIdFormats']);
  });
});

describe('plain SAML SP metadata', () => {
  it('reads ACS (HTTP-POST only) and SLO (POST first), refuses metadata without an ACS', () => {
    const m = parseSpMetadata(
      sp(
        `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example/slo-r"/>` +
          `<md:SingleLogoutService Binding="${POST}" Location="https://sp.example/slo-p"/>` +
          `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example/art" index="0"/>` +
          `<md:AssertionConsumerService Binding="${POST}" Location="https://sp.example/acs" index="1"/>`,
      ),
      'sps[0].metadata',
    );
    expect(m.acs).toEqual([{ index: '1', location: 'https://sp.example/acs', isDefault: false }]);
    expect(m.slo.map((e) => e.location)).toEqual(['https://sp.example/slo-p', 'https://sp.example/slo-r']);
    expect(() =>
      parseSpMetadata(
        sp(
          `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example/art" index="0"/>`,
        ),
        'sps[1].metadata',
      ),
    ).toThrow('sps[1].metadata: metadata has no HTTP-POST AssertionConsumerService');
    expect(() => parseSpMetadata('<md:EntityDescriptor/>', 'sps[2].metadata')).toThrow(/not valid/);
  });
});
