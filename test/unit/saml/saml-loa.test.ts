/** RequestedAuthnContext -> canonical level (docs/schemes/saml.md "Level of assurance"). */
import { describe, expect, it } from 'vitest';
import { loaRequirement } from '../../../adapters/eidas/saml-loa.js';

const K = (l: string) => `urn:kakehashi:loa:${l}`;
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';

describe('plain SAML LoA mapping', () => {
  it('minimum asks for the lowest listed level and accepts anything at or above it', () => {
    const r = loaRequirement([K('high'), K('substantial')], 'minimum');
    expect(r?.ask).toBe('substantial');
    expect([r?.accepts('low'), r?.accepts('substantial'), r?.accepts('high')]).toEqual([false, true, true]);
  });

  it('exact accepts only a listed level', () => {
    const r = loaRequirement([K('substantial')], 'exact');
    expect(r?.ask).toBe('substantial');
    expect([r?.accepts('substantial'), r?.accepts('high')]).toEqual([true, false]);
  });

  it('better asks for the level above the highest listed; none above high', () => {
    expect(loaRequirement([K('low')], 'better')?.ask).toBe('substantial');
    expect(loaRequirement([K('high')], 'better')).toBeUndefined();
  });

  it('maximum accepts levels up to the highest listed', () => {
    const r = loaRequirement([K('substantial')], 'maximum');
    expect([r?.accepts('low'), r?.accepts('substantial'), r?.accepts('high')]).toEqual([true, true, false]);
  });

  it('PasswordProtectedTransport only as a minimum (= low); unspecified = low; foreign refs refused', () => {
    expect(loaRequirement([PPT], 'minimum')?.ask).toBe('low');
    expect(loaRequirement([PPT], 'exact')).toBeUndefined();
    expect(loaRequirement([UNSPECIFIED], 'exact')?.ask).toBe('low');
    expect(loaRequirement(['http://eidas.europa.eu/LoA/high'], 'minimum')).toBeUndefined();
    expect(loaRequirement([], 'minimum')).toBeUndefined();
  });

  it("the SP's floor applies with and without a RequestedAuthnContext", () => {
    expect(loaRequirement(undefined, 'exact', 'substantial')?.ask).toBe('substantial');
    const r = loaRequirement([K('low')], 'minimum', 'high');
    expect(r?.ask).toBe('high');
    expect(r?.accepts('substantial')).toBe(false);
    // exact low with a high floor can never be met
    expect(loaRequirement([K('low')], 'exact', 'high')).toBeUndefined();
  });
});
