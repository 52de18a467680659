import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', () => createMemoryStore());

describe('memory store', () => {
  it('expires on an injected clock and refuses use after close', async () => {
    let t = 1_000_000;
    const store = createMemoryStore({ now: () => t });
    await store.set('ns', 'k', 'v', 10);
    t += 9_999;
    expect(await store.get('ns', 'k')).toBe('v');
    t += 1;
    expect(await store.get('ns', 'k')).toBeUndefined();
    await store.close();
    await expect(store.get('ns', 'k')).rejects.toThrow(/closed/);
  });
});
