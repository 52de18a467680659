/**
 * CSRF tokens of the interaction forms: bound to the interaction uid, keyed from the cookie keys so that every
 * instance sharing them accepts a form another rendered, and still accepted for a form rendered under the
 * previous first cookie key.
 */
import { describe, expect, it } from 'vitest';
import { checkCsrf, csrfToken } from '../../../src/interaction/csrf.js';
import { deriveCsrfKey } from '../../../src/keys/secrets.js';

const current = 'current-cookie-key-0123456789abcdef';
const previous = 'previous-cookie-key-0123456789abcdef';

describe('CSRF tokens', () => {
  it('verifies on another instance that derives its keys from the same cookie keys', () => {
    const rendering = [current, previous].map(deriveCsrfKey);
    const posting = [current, previous].map(deriveCsrfKey);
    expect(checkCsrf(posting, 'uid-1', csrfToken(rendering, 'uid-1'))).toBe(true);
  });

  it('binds the token to the interaction uid', () => {
    const keys = [deriveCsrfKey(current)];
    expect(checkCsrf(keys, 'uid-2', csrfToken(keys, 'uid-1'))).toBe(false);
  });

  it('accepts a form rendered before a rotation, refuses one under a key no longer listed', () => {
    const before = [deriveCsrfKey(previous)];
    const token = csrfToken(before, 'uid-1');
    expect(checkCsrf([deriveCsrfKey(current), deriveCsrfKey(previous)], 'uid-1', token)).toBe(true);
    expect(checkCsrf([deriveCsrfKey(current)], 'uid-1', token)).toBe(false);
  });

  it('derives a key of its own, not the cookie key itself', () => {
    const key = deriveCsrfKey(current);
    expect(key).toHaveLength(32);
    expect(Buffer.from(key).toString()).not.toContain(current);
    expect(deriveCsrfKey(previous)).not.toEqual(key);
  });

  it('refuses a missing, non-string or truncated token', () => {
    const keys = [deriveCsrfKey(current)];
    const token = csrfToken(keys, 'uid-1');
    for (const bad of [undefined, 42, '', token.slice(0, -1), `${token}x`])
      expect(checkCsrf(keys, 'uid-1', bad)).toBe(false);
  });
});
