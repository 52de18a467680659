import type { AdapterPayload } from 'oidc-provider';
import { beforeEach, describe, expect, it } from 'vitest';
import { createProviderAdapter } from '../../../src/provider/storage-adapter.js';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import type { Store } from '../../../src/storage/store.js';

describe('oidc-provider storage adapter', () => {
  let t: number;
  let store: Store;
  let Adapter: ReturnType<typeof createProviderAdapter>;
  beforeEach(() => {
    t = Date.UTC(2025, 5, 1);
    store = createMemoryStore({ now: () => t });
    Adapter = createProviderAdapter(store, { now: () => t });
  });

  it('upserts, finds per model, and expires after expiresIn', async () => {
    const codes = new Adapter('AuthorizationCode');
    const payload: AdapterPayload = { kind: 'AuthorizationCode', jti: 'c1', clientId: 'rp', grantId: 'g1' };
    await codes.upsert('c1', payload, 60);
    expect(await codes.find('c1')).toEqual(payload);
    expect(await new Adapter('AccessToken').find('c1')).toBeUndefined();
    t += 60_000;
    expect(await codes.find('c1')).toBeUndefined();
    expect(await codes.find('missing')).toBeUndefined();
  });

  it('consume stamps epoch seconds and keeps the remaining lifetime', async () => {
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { jti: 'c1', grantId: 'g1' }, 60);
    t += 30_500;
    await codes.consume('c1');
    expect(await codes.find('c1')).toEqual({ jti: 'c1', grantId: 'g1', consumed: Math.floor(t / 1000) });
    t += 29_400;
    expect((await codes.find('c1'))?.consumed).toBeTypeOf('number');
    t += 200;
    expect(await codes.find('c1')).toBeUndefined();
    await expect(codes.consume('c1')).resolves.toBeUndefined();
  });

  it('finds sessions by uid and drops the index on destroy or uid change', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'acc' }, 600);
    expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1', accountId: 'acc' });
    await sessions.upsert('s1', { uid: 'u2', accountId: 'acc' }, 600);
    expect(await sessions.findByUid('u1')).toBeUndefined();
    expect(await sessions.findByUid('u2')).toMatchObject({ uid: 'u2' });
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u2')).toBeUndefined();
    expect(await store.get('oidc:index:sessionUid', 'u2')).toBeUndefined();
  });

  it('a stale uid index entry does not resolve: the session it points at must carry that uid', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'acc' }, 600);
    await sessions.upsert('s1', { uid: 'u2', accountId: 'acc' }, 600);
    // The upsert does not read the previous record, so the old entry is still there; the lookup refuses it.
    expect(await store.get('oidc:index:sessionUid', 'u1')).toBe('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();
    // An entry pointing at an id that now holds an unrelated session (or one written without an index).
    await store.set('oidc:index:sessionUid', 'forged', 's1', 600);
    expect(await sessions.findByUid('forged')).toBeUndefined();
    expect(await sessions.findByUid('u2')).toMatchObject({ uid: 'u2', accountId: 'acc' });
  });

  it('a stale user code index entry does not resolve', async () => {
    const devices = new Adapter('DeviceCode');
    await devices.upsert('d1', { userCode: 'AAAA-AAAA', grantId: 'g9' }, 600);
    await devices.upsert('d1', { userCode: 'BBBB-BBBB', grantId: 'g9' }, 600);
    expect(await devices.findByUserCode('AAAA-AAAA')).toBeUndefined();
    await store.set('oidc:index:userCode', 'CCCC-CCCC', 'd1', 600);
    expect(await devices.findByUserCode('CCCC-CCCC')).toBeUndefined();
    expect(await devices.findByUserCode('BBBB-BBBB')).toMatchObject({ userCode: 'BBBB-BBBB' });
  });

  it('finds device codes by user code', async () => {
    const devices = new Adapter('DeviceCode');
    await devices.upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g9' }, 600);
    expect(await devices.findByUserCode('ABCD-EFGH')).toMatchObject({ userCode: 'ABCD-EFGH' });
    expect(await devices.findByUserCode('ZZZZ-ZZZZ')).toBeUndefined();
    await devices.destroy('d1');
    expect(await devices.findByUserCode('ABCD-EFGH')).toBeUndefined();
  });

  it('revokeByGrantId removes every token of the grant across models, and only those', async () => {
    const codes = new Adapter('AuthorizationCode');
    const access = new Adapter('AccessToken');
    const refresh = new Adapter('RefreshToken');
    const devices = new Adapter('DeviceCode');
    const grants = new Adapter('Grant');
    await grants.upsert('g1', { jti: 'g1', accountId: 'acc' }, 3600);
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await access.upsert('a1', { grantId: 'g1' }, 600);
    await refresh.upsert('r1', { grantId: 'g1' }, 3600);
    await devices.upsert('d1', { grantId: 'g1', userCode: 'UC-1' }, 600);
    await access.upsert('a2', { grantId: 'g2' }, 600);
    await access.destroy('a1'); // already gone: revocation must tolerate it

    await access.revokeByGrantId('g1');
    expect(await codes.find('c1')).toBeUndefined();
    expect(await refresh.find('r1')).toBeUndefined();
    expect(await devices.find('d1')).toBeUndefined();
    expect(await devices.findByUserCode('UC-1')).toBeUndefined();
    expect(await access.find('a2')).toEqual({ grantId: 'g2' });
    // The Grant record itself is destroyed by oidc-provider separately, not by token revocation.
    expect(await grants.find('g1')).toMatchObject({ accountId: 'acc' });
    expect(await store.members('oidc:index:grant', 'g1')).toEqual([]);
    await expect(refresh.revokeByGrantId('g1')).resolves.toBeUndefined();
  });

  it('does not index grantId for non-grantable models, and keeps records without expiresIn', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', grantId: 'g1' });
    expect(await store.members('oidc:index:grant', 'g1')).toEqual([]);
    t += 10 * 365 * 86_400_000;
    expect(await sessions.find('s1')).toMatchObject({ uid: 'u1' });
  });
});
