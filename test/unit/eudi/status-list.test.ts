/**
 * The issuer's Token Status Lists: rollover to a fresh list when the current one fills, revocation in the
 * list a credential was issued in, two instances on one store, token cache, retirement of old lists, and
 * the packed-bits encoding against @sd-jwt/jwt-status-list and an independent SD-JWT VC verifier.
 */
import { X509Certificate } from '@peculiar/x509';
import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { getListFromStatusListJWT, StatusList } from '@sd-jwt/jwt-status-list';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { importX509, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { issuePidCredential } from '../../../adapters/eudi/issuer/issue-credential.js';
import {
  createStatusList,
  packStatusBits,
  type StatusEntry,
  type StatusListService,
  unpackStatusBits,
} from '../../../adapters/eudi/issuer/status-list.js';
import { adapterStore, ISSUER, keyPair, pidInput, type TestIssuer, testIssuer } from './fixtures.js';

const BASE = `${ISSUER}/status`;
let issuer: TestIssuer;
let holder: Awaited<ReturnType<typeof keyPair>>;

beforeAll(async () => {
  issuer = await testIssuer();
  holder = await keyPair();
});

const list = (o: { size?: number; store?: ReturnType<typeof adapterStore>; now?: () => number } = {}) =>
  createStatusList({
    store: o.store ?? adapterStore(o.now),
    size: o.size ?? 16,
    baseUri: BASE,
    ttlSeconds: 300,
    now: o.now ?? Date.now,
  });

async function allocateMany(s: StatusListService, n: number, prefix = 'cred') {
  const out: (StatusEntry & { id: string })[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    out.push({ id, ...(await s.allocate(id, 3600)) });
  }
  return out;
}

/** Verify the token's signature, `typ` and `sub`; the decoded list (@sd-jwt/jwt-status-list). */
async function decoded(token: string | undefined, n: number) {
  expect(token).toBeDefined();
  const key = await importX509(
    new X509Certificate(Buffer.from(issuer.signer.x5c[0]!, 'base64')).toString('pem'),
    'ES256',
  );
  await jwtVerify(token!, key, { typ: 'statuslist+jwt', subject: `${BASE}/${n}` });
  return getListFromStatusListJWT(token!);
}

function unique(entries: readonly StatusEntry[]) {
  return new Set(entries.map((e) => `${e.list}:${e.idx}`)).size === entries.length;
}

describe('status lists', () => {
  it('rolls over to list 2 when list 1 is full; every (list, index) is distinct and URIs point to the list', async () => {
    const s = list({ size: 16 });
    const entries = await allocateMany(s, 40);
    expect(unique(entries)).toBe(true);
    for (const e of entries) {
      expect(e.uri).toBe(`${BASE}/${e.list}`);
      expect(e.idx).toBeGreaterThanOrEqual(0);
      expect(e.idx).toBeLessThan(16);
    }
    expect(entries[0]!.list).toBe(1);
    expect(entries.filter((e) => e.list === 1).length).toBeLessThanOrEqual(16);
    expect(entries.some((e) => e.list === 2)).toBe(true);
    // Lists are used in order: a later credential never goes back to an earlier list.
    for (let i = 1; i < entries.length; i++)
      expect(entries[i]!.list).toBeGreaterThanOrEqual(entries[i - 1]!.list);
    expect(await s.current()).toBe(entries.at(-1)!.list);
  });

  it('moves on at about half occupancy in a large list (collision rate), keeping a large herd', async () => {
    const s = list({ size: 512 });
    const entries = await allocateMany(s, 480);
    const inFirst = entries.filter((e) => e.list === 1).length;
    // Sealed by the collision rate of the last 256 tries (> 50%): well before full, well after a quarter.
    expect(inFirst).toBeGreaterThan(200);
    expect(inFirst).toBeLessThan(460);
    expect(entries.some((e) => e.list === 2)).toBe(true);
  });

  it('revokes in the list the credential was issued in; each token shows only its own revocations', async () => {
    const s = list({ size: 16 });
    const entries = await allocateMany(s, 24);
    const a = entries.find((e) => e.list === 1)!;
    const b = entries.find((e) => e.list === 2)!;
    expect(await s.revoke(a.id)).toBe(true);
    expect(await s.revoke(b.id)).toBe(true);
    expect(await s.revoke('unknown')).toBe(false);

    const one = await decoded(await s.token(issuer.signer, 1), 1);
    const two = await decoded(await s.token(issuer.signer, 2), 2);
    for (const e of entries.filter((x) => x.list === 1)) expect(one.getStatus(e.idx)).toBe(e === a ? 1 : 0);
    for (const e of entries.filter((x) => x.list === 2)) expect(two.getStatus(e.idx)).toBe(e === b ? 1 : 0);
    expect(await s.statusOf(1, a.idx)).toBe(1);
    expect(await s.statusOf(2, a.idx)).toBe(a.idx === b.idx ? 1 : 0);
  });

  it('an independent SD-JWT VC verifier (@sd-jwt/sd-jwt-vc) sees revocations in list 1 and list 2', async () => {
    const s = list({ size: 16 });
    const entries = await allocateMany(s, 20);
    const a = entries.find((e) => e.list === 1)!;
    const b = entries.find((e) => e.list === 2)!;
    const keep = entries.find((e) => e.list === 2 && e !== b)!;
    const issue = async (e: StatusEntry) =>
      (await issuePidCredential(pidInput(issuer.signer, holder.publicJwk, { uri: e.uri, idx: e.idx })))
        .credential;
    const [ca, cb, ck] = await Promise.all([issue(a), issue(b), issue(keep)]);
    const fetched: string[] = [];
    const verifier = new SDJwtVcInstance({
      hasher: digest,
      verifier: await ES256.getVerifier(issuer.signer.publicJwk),
      statusListFetcher: async (uri) => {
        fetched.push(uri);
        const n = Number(uri.slice(`${BASE}/`.length));
        const token = await s.token(issuer.signer, n);
        if (!token) throw new Error(`404 ${uri}`);
        return token;
      },
    });
    for (const c of [ca!, cb!, ck!]) await verifier.verify(c);
    await s.revoke(a.id);
    await s.revoke(b.id);
    await expect(verifier.verify(ca!)).rejects.toThrow(/Status is not valid/);
    await expect(verifier.verify(cb!)).rejects.toThrow(/Status is not valid/);
    await expect(verifier.verify(ck!)).resolves.toBeDefined();
    expect(new Set(fetched)).toEqual(new Set([`${BASE}/1`, `${BASE}/2`]));
  });

  it('has no token for an unknown list: 0, not yet created, not an integer', async () => {
    const s = list({ size: 16 });
    await allocateMany(s, 3);
    expect(await s.token(issuer.signer, 1)).toBeDefined();
    for (const n of [0, -1, 2, 99, 1.5, Number.NaN]) expect(await s.token(issuer.signer, n)).toBeUndefined();
    // The one-argument form is list 1.
    expect(await s.token(issuer.signer)).toBe(await s.token(issuer.signer, 1));
  });

  it('two instances on one store agree on the current list and never hand out an index twice', async () => {
    const store = adapterStore();
    const x = list({ size: 16, store });
    const y = list({ size: 16, store });
    const all: StatusEntry[] = [];
    for (let i = 0; i < 30; i++) {
      const [p, q] = await Promise.all([x.allocate(`x-${i}`, 3600), y.allocate(`y-${i}`, 3600)]);
      all.push(p, q);
    }
    expect(unique(all)).toBe(true);
    expect(await x.current()).toBe(await y.current());
    const lists = new Set(all.map((e) => e.list));
    // No list number skipped: lists are 1..k.
    expect([...lists].sort((m, n) => m - n)).toEqual(Array.from({ length: lists.size }, (_, i) => i + 1));
    // Revocation through the other instance (or the CLI) shows in both.
    const e = all.find((v) => v.list === 1)!;
    const id = all.indexOf(e) % 2 === 0 ? `x-${all.indexOf(e) >> 1}` : `y-${all.indexOf(e) >> 1}`;
    expect(await y.revoke(id)).toBe(true);
    expect((await decoded(await x.token(issuer.signer, 1), 1)).getStatus(e.idx)).toBe(1);
  });

  it('concurrent revocations in one list are all kept (per-list lock)', async () => {
    const s = list({ size: 1024 });
    const entries = await allocateMany(s, 20);
    await Promise.all(entries.map((e) => s.revoke(e.id)));
    const d = await decoded(await s.token(issuer.signer, 1), 1);
    for (const e of entries) expect(d.getStatus(e.idx)).toBe(1);
  });

  it('serves a cached token until the bits change or half its ttl has passed', async () => {
    let t = Date.now();
    const s = list({ size: 1024, now: () => t });
    const [e] = await allocateMany(s, 1);
    const first = await s.token(issuer.signer, 1);
    t += 1000;
    expect(await s.token(issuer.signer, 1)).toBe(first);
    await s.revoke(e!.id);
    const second = await s.token(issuer.signer, 1);
    expect(second).not.toBe(first);
    expect((await decoded(second, 1)).getStatus(e!.idx)).toBe(1);
    t += 149_000;
    expect(await s.token(issuer.signer, 1)).toBe(second);
    t += 2000; // past ttl / 2 (150 s) since it was signed
    expect(await s.token(issuer.signer, 1)).not.toBe(second);
  });

  it('keeps serving an old list while its credentials live, then answers unknown', async () => {
    let t = Date.now();
    const now = () => t;
    const s = list({ size: 16, store: adapterStore(now), now });
    const entries = await allocateMany(s, 20); // lifetime 3600 s
    const last = entries.at(-1)!.list;
    expect(last).toBeGreaterThan(1);
    t += (3600 + 86_400) * 1000;
    expect(await s.token(issuer.signer, 1)).toBeDefined();
    t += 2 * 3_600_000 + 1000; // past lifetime + a day + the hour of slack
    expect(await s.token(issuer.signer, 1)).toBeUndefined();
    expect(await s.token(issuer.signer, last)).toBeDefined(); // the current list is always served
  });

  it('allocates in one store round trip: the reservation and the pointer are written in the same turn', async () => {
    const { counted, turns } = turnRecordingStore(adapterStore());
    const s = list({ size: 1_048_576, store: counted });
    await s.allocate('first', 3600); // also writes status:live:1 once (then about hourly)
    await new Promise((r) => setImmediate(r));
    turns.length = 0;
    await s.allocate('second', 3600);
    expect(turns).toEqual([['setIfAbsent status:idx:*', 'set status:cred:*']]);
  });

  it('allocates a batch in one store round trip: every reservation and pointer in the same turn, distinct indices', async () => {
    const { counted, turns } = turnRecordingStore(adapterStore());
    const s = list({ size: 1_048_576, store: counted });
    await s.allocate('first', 3600);
    await new Promise((r) => setImmediate(r));
    turns.length = 0;
    const ids = Array.from({ length: 10 }, (_, i) => `batch-${i}`);
    const entries = await s.allocateMany(ids, 3600);
    expect(turns).toEqual([
      Array.from({ length: 10 }, () => ['setIfAbsent status:idx:*', 'set status:cred:*']).flat(),
    ]);
    expect(unique(entries)).toBe(true);
    // Each id got the index its reservation names, so each is revoked alone.
    expect(await s.revoke('batch-3')).toBe(true);
    const d = await decoded(await s.token(issuer.signer, 1), 1);
    for (const [i, e] of entries.entries()) expect(d.getStatus(e.idx)).toBe(i === 3 ? 1 : 0);
  });

  it('a batch that does not fit rolls over mid-batch; collisions are retried, indices stay distinct', async () => {
    const s = list({ size: 16 });
    const first = await allocateMany(s, 10);
    const batch = await s.allocateMany(
      Array.from({ length: 12 }, (_, i) => `b-${i}`),
      3600,
    );
    expect(batch).toHaveLength(12);
    expect(unique([...first, ...batch])).toBe(true);
    expect(batch.some((e) => e.list === 2)).toBe(true);
    for (const e of batch) expect(e.uri).toBe(`${BASE}/${e.list}`);
    expect(await s.current()).toBe(2);
    // A batch larger than a whole list moves on as often as it needs to.
    const big = await s.allocateMany(
      Array.from({ length: 60 }, (_, i) => `big-${i}`),
      3600,
    );
    expect(unique([...first, ...batch, ...big])).toBe(true);
    expect(new Set(big.map((e) => e.list)).size).toBeGreaterThanOrEqual(3);
  });

  it('an instance notices within a second that another sealed its list (the allocation list is re-read)', async () => {
    let t = Date.now();
    const now = () => t;
    const store = adapterStore(now);
    const x = list({ size: 1024, store, now });
    const y = list({ size: 1024, store, now });
    expect((await x.allocate('x-0', 3600)).list).toBe(1);
    expect((await y.allocate('y-0', 3600)).list).toBe(1);
    // x seals list 1 as another instance would (the store records are what instances share).
    await store.setIfAbsent('status:sealed:1', t);
    await store.set('status:current', 2);
    t += 1001;
    expect((await y.allocate('y-1', 3600)).list).toBe(2);
    expect((await x.allocate('x-1', 3600)).list).toBe(2);
  });

  it('revoke flips only a reservation that names the credential (a lost try leaves no usable pointer)', async () => {
    const store = adapterStore();
    const s = list({ size: 16, store });
    const [a, b] = await allocateMany(s, 2);
    // A pointer as a lost allocation try of "loser" leaves it: to an index "cred-0" holds.
    await store.set('status:cred:loser', { list: a!.list, idx: a!.idx }, 3600);
    expect(await s.revoke('loser')).toBe(false);
    // A forged or malformed pointer is refused too.
    await store.set('status:cred:bad', { list: 0, idx: a!.idx }, 3600);
    expect(await s.revoke('bad')).toBe(false);
    await store.set('status:cred:bad2', { list: 1, idx: -1 }, 3600);
    expect(await s.revoke('bad2')).toBe(false);
    const d = await decoded(await s.token(issuer.signer, 1), 1);
    expect(d.getStatus(a!.idx)).toBe(0);
    expect(d.getStatus(b!.idx)).toBe(0);
    expect(await s.revoke(a!.id)).toBe(true);
    expect((await decoded(await s.token(issuer.signer, 1), 1)).getStatus(a!.idx)).toBe(1);
  });

  it('still revokes credentials recorded before allocations were one round trip (bare index + cred-list)', async () => {
    const store = adapterStore();
    const s = list({ size: 16, store });
    const [taken] = await allocateMany(s, 1);
    // An index of list 1 that the allocation above did not take (it picks one at random).
    const old = taken?.idx === 9 ? 10 : 9;
    // Old layout, list 1: status:idx:<i> = id, status:cred:<id> = i, no cred-list record (= list 1).
    expect(await store.setIfAbsent(`status:idx:${old}`, 'old-1', 3600)).toBe(true);
    await store.set('status:cred:old-1', old, 3600);
    expect(await s.revoke('old-1')).toBe(true);
    expect(await s.statusOf(1, old)).toBe(1);
    // Old layout in list 2: the list in status:cred-list:<id>.
    await store.setIfAbsent('status:idx:2:3', 'old-2', 3600);
    await store.set('status:cred:old-2', 3, 3600);
    await store.set('status:cred-list:old-2', 2, 3600);
    expect(await s.revoke('old-2')).toBe(true);
    expect(await s.statusOf(2, 3)).toBe(1);
    // An old pointer whose reservation names another credential is refused.
    await store.set('status:cred:old-3', old, 3600);
    expect(await s.revoke('old-3')).toBe(false);
  });

  it('packs bits LSB first, interoperable with @sd-jwt/jwt-status-list both ways', () => {
    const size = 4096;
    const bits = Array.from({ length: size }, (_, i) => (i % 7 === 0 || i === size - 1 ? 1 : 0));
    const bytes = new Uint8Array(size / 8);
    bits.forEach((b, i) => {
      if (b) bytes[i >> 3]! |= 1 << (i & 7);
    });
    const ours = StatusList.decompressStatusList(packStatusBits(bytes), 1);
    for (let i = 0; i < size; i++) expect(ours.getStatus(i)).toBe(bits[i]);
    const theirs = unpackStatusBits(new StatusList([...bits], 1).compressStatusList(), size);
    expect(theirs).toEqual(bytes);
    expect(unpackStatusBits(packStatusBits(new Uint8Array(2)), 64).length).toBe(8);
  });
});

/**
 * A store that records its operations grouped by event-loop turn (keys with their last segment as `*`);
 * writes settle at the end of the turn, as with the SQLite store's group commit.
 */
function turnRecordingStore(store: ReturnType<typeof adapterStore>) {
  const turns: string[][] = [];
  let turn: string[] | undefined;
  const settled = <T>(p: Promise<T>) => p.then((v) => new Promise<T>((r) => setImmediate(() => r(v))));
  const note = (w: string) => {
    if (!turn) {
      turn = [];
      turns.push(turn);
      setImmediate(() => {
        turn = undefined;
      });
    }
    turn.push(w.replace(/:[^:]+$/, ':*'));
  };
  const counted: typeof store = {
    ...store,
    get: (k) => {
      note(`get ${k}`);
      return store.get(k);
    },
    set: (k, v, ttl) => {
      note(`set ${k}`);
      return settled(store.set(k, v, ttl));
    },
    setIfAbsent: (k, v, ttl) => {
      note(`setIfAbsent ${k}`);
      return settled(store.setIfAbsent(k, v, ttl));
    },
  };
  return { counted, turns };
}
