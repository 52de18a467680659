/**
 * The demo source checks its fixed identity once; each login gets a fresh copy carrying the login's time. The
 * copy must be what the full check would have produced for that time, and a time the schema refuses must still
 * be refused.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_PERSON, demoSource } from '../../../adapters/demo/index.js';
import type { AdapterContext, InteractionRef } from '../../../src/core/adapter.js';
import type { CanonicalIdentity } from '../../../src/core/identity.js';
import { parseCanonicalIdentity } from '../../../src/core/parse-identity.js';

const REF: InteractionRef = { uid: 'uid-1', clientId: 'rp', locale: 'en', requestedAttributes: [] };

async function demo(nowMs: () => number) {
  const finished: CanonicalIdentity[] = [];
  const ctx = {
    instanceId: 'demo',
    baseUrl: 'http://127.0.0.1/a/demo',
    devMode: true,
    now: nowMs,
    interactions: {
      current: async () => REF,
      finish: async (_req: unknown, _res: unknown, identity: CanonicalIdentity) => {
        finished.push(identity);
      },
      fail: async () => {},
    },
  } as unknown as AdapterContext;
  const source = await demoSource.create({ loa: 'substantial', confirm: false }, ctx);
  const login = async () => {
    await source.begin(REF, {} as never, {} as never);
    return finished.at(-1)!;
  };
  return { login };
}

const fullCheck = (now: number) =>
  parseCanonicalIdentity({
    subject: { id: 'demo-user-0001', issuer: 'demo' },
    authentication: {
      source: 'demo',
      loa: 'substantial',
      amr: ['pwd'],
      authTime: now,
      evidence: [{ type: 'demo', trustFramework: 'demo', verifiedAt: now }],
    },
    person: DEMO_PERSON,
    verified: ['familyName', 'givenName', 'birthDate', 'gender', 'address'],
    extensions: { 'demo:fixture': true },
  });

describe('demo source identity', () => {
  it('is the checked identity with the time of each login', async () => {
    let t = 1_700_000_000_500;
    const { login } = await demo(() => t);
    const first = await login();
    expect(first).toEqual(fullCheck(1_700_000_000));
    t += 61_000;
    const second = await login();
    expect(second).toEqual(fullCheck(1_700_000_061));
    expect(first.authentication.authTime).toBe(1_700_000_000);
  });

  it('hands out a fresh copy each time: changing one login does not change the next', async () => {
    const { login } = await demo(() => 1_000);
    const first = await login();
    first.person.familyName![0]!.value = 'changed';
    first.verified.length = 0;
    first.authentication.evidence![0]!.verifiedAt = 5;
    expect(await login()).toEqual(fullCheck(1));
  });

  it('still refuses a time the schema refuses', async () => {
    const { login } = await demo(() => -5_000);
    await expect(login()).rejects.toMatchObject({ code: 'ERR_IDENTITY_INVALID' });
  });
});
