import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createIdentityVault, providerAccountIdentity } from '../../../src/core/account.js';
import { parseCanonicalIdentity } from '../../../src/core/identity.js';
import { findAccountWith } from '../../../src/provider/find-account.js';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import { createSealedStore } from '../../../src/storage/sealed-store.js';

const identity = parseCanonicalIdentity({
  subject: { id: 'u-1', issuer: 'demo' },
  authentication: { source: 'demo', loa: 'substantial', amr: ['pwd'], authTime: 1_700_000_000 },
  person: { familyName: [{ value: '山田', script: 'Jpan' }], birthDate: '1980-04-01' },
  verified: ['familyName'],
});

describe('identity vault', () => {
  it('checks every stored identity against the schema, skipping only a repeat of one already checked', async () => {
    const sealed = createSealedStore(createMemoryStore(), new Uint8Array(randomBytes(32)));
    const vault = createIdentityVault(sealed, 60);
    await vault.save('acc', identity);
    const first = await vault.load('acc');
    expect(first).toEqual(identity);
    // Loads hand out fresh copies: a caller mutating one does not change the next.
    first!.person.birthDate = '2000-01-01';
    expect((await vault.load('acc'))?.person.birthDate).toBe('1980-04-01');
    // A different record under the same account is checked again, and refused when invalid.
    await sealed.put(
      'identity',
      'acc',
      {
        ...identity,
        authentication: { ...identity.authentication, amr: [] },
      },
      60,
    );
    await expect(vault.load('acc')).rejects.toMatchObject({ code: 'ERR_IDENTITY_INVALID' });
    await vault.forget('acc');
    expect(await vault.load('acc')).toBeUndefined();
  });
});

describe('provider account identity', () => {
  it('hands the identity findAccount loaded to whoever holds that Account object, and to nobody else', async () => {
    const other = { ...identity, subject: { id: 'u-2', issuer: 'demo' } };
    const find = findAccountWith(
      async (id) => (id === 'acc' ? identity : id === 'acc-2' ? other : undefined),
      new Map(),
    );
    const ctx = { oidc: {} } as Parameters<typeof find>[0];
    const account = await find(ctx, 'acc');
    const account2 = await find(ctx, 'acc-2');
    expect(providerAccountIdentity(account)).toBe(identity);
    expect(providerAccountIdentity(account2)).toBe(other);
    // Keyed by the object: a look-alike with the same accountId (or the id itself) finds nothing.
    expect(providerAccountIdentity({ accountId: 'acc' })).toBeUndefined();
    expect(providerAccountIdentity({ ...account })).toBeUndefined();
    expect(providerAccountIdentity('acc')).toBeUndefined();
    expect(providerAccountIdentity(undefined)).toBeUndefined();
  });
});
