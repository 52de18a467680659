import { describe, expect, it } from 'vitest';
import {
  canonicalLoaFor,
  eidasLoaRank,
  eidasLoaSatisfies,
  eidasLoaUri,
  parseEidasLoa,
} from '../../../adapters/eidas/eidas-loa.js';

describe('eIDAS LoA order (minimum comparison)', () => {
  it('orders NotNotified-low < low < NN-substantial < substantial < NN-high < high', () => {
    const order = [
      'http://eidas.europa.eu/NotNotified/LoA/low',
      'http://eidas.europa.eu/LoA/low',
      'http://eidas.europa.eu/NotNotified/LoA/substantial',
      'http://eidas.europa.eu/LoA/substantial',
      'http://eidas.europa.eu/NotNotified/LoA/high',
      'http://eidas.europa.eu/LoA/high',
    ].map((u) => eidasLoaRank(parseEidasLoa(u) ?? { level: 'low', notified: false }));
    expect(order).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('accepts the legacy NotNotified spelling and refuses unknown URIs', () => {
    expect(parseEidasLoa('http://eidas.europa.eu/LoA/NotNotified/high')).toEqual({
      level: 'high',
      notified: false,
    });
    expect(parseEidasLoa('http://eidas.europa.eu/LoA/medium')).toBeUndefined();
    expect(parseEidasLoa('urn:kakehashi:loa:high')).toBeUndefined();
  });

  it('maps a minimum to the lowest canonical level a (non-)notified issuer must reach', () => {
    const nn = (u: string) => canonicalLoaFor(parseEidasLoa(u)!, false);
    expect(nn('http://eidas.europa.eu/NotNotified/LoA/substantial')).toBe('substantial');
    expect(nn('http://eidas.europa.eu/LoA/low')).toBe('substantial');
    expect(nn('http://eidas.europa.eu/LoA/substantial')).toBe('high');
    expect(nn('http://eidas.europa.eu/LoA/high')).toBeUndefined();
    expect(canonicalLoaFor(parseEidasLoa('http://eidas.europa.eu/LoA/high')!, true)).toBe('high');
  });

  it('never lets a lower asserted level satisfy a higher minimum', () => {
    const min = parseEidasLoa('http://eidas.europa.eu/NotNotified/LoA/high')!;
    expect(eidasLoaSatisfies({ level: 'substantial', notified: true }, min)).toBe(false);
    expect(eidasLoaSatisfies({ level: 'high', notified: false }, min)).toBe(true);
    expect(eidasLoaUri({ level: 'high', notified: false })).toBe(
      'http://eidas.europa.eu/NotNotified/LoA/high',
    );
  });
});
