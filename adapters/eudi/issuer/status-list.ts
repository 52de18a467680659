/**
 * The issuer's Token Status Lists (draft-ietf-oauth-status-list, 1 bit per credential: 0 valid, 1 revoked).
 *
 * Several lists, `<base>/status/1`, `/status/2`, …, each of `size` bits. A new credential gets a random index
 * (the draft's advice against correlation by index order) in the current list, reserved with `setIfAbsent`
 * for its lifetime plus a day. The current list is sealed and the issuer moves to the next one when more than
 * half of the last 256 index tries collided (a 16 k list is sealed at about 7.5-8 k credentials: random
 * allocation stays cheap, every list keeps a large herd) or when one allocation collides 16 times in a row
 * (small lists). Sealing is a `setIfAbsent` of `status:sealed:<n>`: the successor of list n is always
 * n + 1, so instances sharing a store never diverge; `status:current` is only a hint they walk forward from.
 * A list is served while it is current or a credential in it lives (`status:live:<n>`), then 404.
 *
 * Bits are kept packed (Uint8Array, LSB first as the draft says) and compressed in one record per list,
 * written only by revocation (rare, administrative; a short `setIfAbsent` lock per list keeps two
 * revocations from losing one another). Tokens are cached per list and re-signed only when the bits
 * changed or half the token's `ttl` has passed. Nothing personal is stored: random credential ids and
 * indices only. Records of list 1 keep their pre-multi-list names (`status:bits`, `status:idx:<i>`).
 *
 * One allocation is one store round trip (one commit on SQLite): the index reservation
 * (`status:idx[:<n>]:<i>` = credential id) and the credential's pointer to it (`status:cred:<id>` =
 * `{ list, idx }`) are written together, before the reservation is known to be won; a lost try's pointer is
 * overwritten by the next try, and `revoke` acts only on a reservation that names the credential, so a stale
 * pointer can never flip another credential's bit. Older records (`status:cred:<id>` = bare index, list in
 * `status:cred-list:<id>`, absent = 1) are still revoked.
 * Packing is ours (node:zlib, the same zlib/base64url `lst` as @sd-jwt/jwt-status-list, whose StatusList
 * holds a number[] and converts bit by bit through strings); tests check both read each other's lists.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { SignJWT } from 'jose';
import type { AdapterStore } from '../../../src/core/adapter.js';
import { GatewayError } from '../../../src/core/errors.js';
import { eudiError } from '../errors.js';
import type { IssuerSigner } from './issuer-key.js';

export interface StatusListOptions {
  readonly store: AdapterStore;
  /** Number of entries (bits) of each list; at least 16 k keeps a herd for privacy. */
  readonly size: number;
  /** Absolute URL the lists are served under: list n is `<baseUri>/<n>` (the token's `sub`). */
  readonly baseUri: string;
  /** Seconds relying parties may cache the token (`ttl`); its lifetime (`exp`) is twice that. */
  readonly ttlSeconds: number;
  readonly now: () => number;
}

/** Where a credential's status is: `status.status_list` of the credential. */
export interface StatusEntry {
  readonly list: number;
  readonly idx: number;
  readonly uri: string;
}

export interface StatusListService {
  /** URI of list 1. */
  readonly uri: string;
  /** URI of list n. */
  uriOf(list: number): string;
  /** Reserve a fresh index in the current list for a credential id that lives `lifetimeSeconds`. */
  allocate(credentialId: string, lifetimeSeconds: number): Promise<StatusEntry>;
  /**
   * `allocate` for a batch: one distinct index per id (in the order given), written in one store round trip
   * unless some collide; an index may be in a different list than its neighbours when the list rolls over.
   */
  allocateMany(credentialIds: readonly string[], lifetimeSeconds: number): Promise<StatusEntry[]>;
  /** Mark a credential revoked; false when the id is unknown (never issued, or expired and forgotten). */
  revoke(credentialId: string): Promise<boolean>;
  /** Status bit of one entry (0 valid, 1 revoked). */
  statusOf(list: number, idx: number): Promise<number>;
  /** The list new credentials go to. */
  current(): Promise<number>;
  /** The signed token of list 1 (always served). */
  token(signer: IssuerSigner): Promise<string>;
  /** A signed status list token (`typ: statuslist+jwt`, x5c of the issuer); undefined for an unknown list. */
  token(signer: IssuerSigner, list: number): Promise<string | undefined>;
}

const DAY = 86_400;
/** Consecutive collisions of one allocation after which its list is sealed. */
const TRIES_PER_LIST = 16;
/** Lists one allocation may move through before giving up (a fresh list never needs more than one). */
const MAX_MOVES = 3;
/** Collision rate over the last WINDOW tries above which the current list is sealed. */
const WINDOW = 256;
const SEAL_RATE = 0.5;
const LOCK_TTL = 10;
const CACHE_LISTS = 32;
/** How long an instance allocates in the list it last saw as current before it reads the store again. */
const CURRENT_RECHECK_MS = 1000;

const bitsKey = (n: number) => (n === 1 ? 'status:bits' : `status:bits:${n}`);
const idxKey = (n: number, idx: number) => (n === 1 ? `status:idx:${idx}` : `status:idx:${n}:${idx}`);
const credKey = (id: string) => `status:cred:${id}`;
/** Written by allocations before they became one round trip (with `status:cred:<id>` = bare index). */
const credListKey = (id: string) => `status:cred-list:${id}`;

/** `status:cred:<id>`: where the credential's bit is. */
interface CredRef {
  readonly list: number;
  readonly idx: number;
}

function isCredRef(v: unknown): v is CredRef {
  const r = v as CredRef | null | undefined;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isSafeInteger(r.list) &&
    r.list >= 1 &&
    Number.isSafeInteger(r.idx)
  );
}
const sealedKey = (n: number) => `status:sealed:${n}`;
const liveKey = (n: number) => `status:live:${n}`;
const CURRENT_KEY = 'status:current';

/** Packed bits (index i = bit i % 8 of byte i / 8, LSB first) -> the token's `lst` (base64url of zlib). */
export function packStatusBits(bytes: Uint8Array): string {
  return deflateSync(bytes, { level: 9 }).toString('base64url');
}

/** `lst` -> packed bits, at least `size` bits long. */
export function unpackStatusBits(lst: string, size: number): Uint8Array {
  const raw = inflateSync(Buffer.from(lst, 'base64url'));
  const out = new Uint8Array(Math.max(Math.ceil(size / 8), raw.length));
  out.set(raw);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createStatusList(o: StatusListOptions): StatusListService {
  const s = o.store;
  const emptyLst = packStatusBits(new Uint8Array(Math.ceil(o.size / 8)));
  const uriOf = (n: number) => `${o.baseUri}/${n}`;

  // This instance's view of the current list and of the collisions seen in it.
  let local = 0;
  let window: boolean[] = [];
  // The latest `status:live:<n>` this instance wrote (ms), per list.
  const liveWritten = new Map<number, number>();
  const tokens = new Map<
    number,
    { signer: IssuerSigner; lst: string; builtAt: number; token: Promise<string> }
  >();

  async function current(): Promise<number> {
    let n = Math.max(local, (await s.get<number>(CURRENT_KEY)) ?? 1);
    while (await s.get(sealedKey(n))) n++;
    if (n !== local) window = [];
    local = n;
    return n;
  }

  /** Keep list n served until `until` (ms): a credential in it lives until then. */
  async function extendLive(n: number, until: number) {
    const written = liveWritten.get(n);
    if (written !== undefined && written >= until) return;
    // Written with an hour of slack, so an instance writes this record about once an hour per list.
    let target = until + 3_600_000;
    if (written === undefined) target = Math.max(target, (await s.get<number>(liveKey(n))) ?? 0);
    await s.set(liveKey(n), target, Math.ceil((target - o.now()) / 1000));
    liveWritten.set(n, target);
  }

  /** Seal list n (idempotent; exactly one instance's setIfAbsent wins) and point the hint at n + 1. */
  async function seal(n: number, until: number) {
    await extendLive(n, until);
    await s.setIfAbsent(sealedKey(n), o.now());
    if (((await s.get<number>(CURRENT_KEY)) ?? 1) < n + 1) await s.set(CURRENT_KEY, n + 1);
    if (local <= n) {
      local = n + 1;
      window = [];
    }
  }

  function observe(collided: boolean): boolean {
    window.push(collided);
    if (window.length > WINDOW) window.shift();
    return window.length === WINDOW && window.filter(Boolean).length > WINDOW * SEAL_RATE;
  }

  async function withLock<T>(n: number, fn: () => Promise<T>): Promise<T> {
    const key = `status:lock:${n}`;
    const me = randomUUID();
    for (let i = 0; i < 100; i++) {
      if (await s.setIfAbsent(key, me, LOCK_TTL)) {
        try {
          return await fn();
        } finally {
          if ((await s.get(key)) === me) await s.delete(key);
        }
      }
      await sleep(20 + randomInt(30));
    }
    throw new GatewayError('ERR_EUDI_STATUS_BUSY', 'the status list is being updated; try again', {
      oauth: 'temporarily_unavailable',
      status: 503,
    });
  }

  /** Whether list n is served: the current one or earlier, while a credential in it lives. */
  async function known(n: number): Promise<boolean> {
    if (!Number.isSafeInteger(n) || n < 1) return false;
    const cur = await current();
    if (n > cur) return false;
    if (n === cur) return true;
    if ((await s.get(liveKey(n))) !== undefined) return true;
    await s.delete(bitsKey(n)); // retired: every credential in it has expired
    return false;
  }

  async function token(signer: IssuerSigner, n = 1): Promise<string | undefined> {
    if (!(await known(n))) {
      tokens.delete(n);
      return undefined;
    }
    const lst = (await s.get<string>(bitsKey(n))) ?? emptyLst;
    const now = o.now();
    const hit = tokens.get(n);
    if (hit && hit.signer === signer && hit.lst === lst && now - hit.builtAt < (o.ttlSeconds * 1000) / 2)
      return hit.token;
    const iat = Math.floor(now / 1000);
    const signed = new SignJWT({ ttl: o.ttlSeconds, status_list: { bits: 1, lst } })
      .setProtectedHeader({ alg: signer.alg, typ: 'statuslist+jwt', x5c: [...signer.x5c] })
      .setSubject(uriOf(n))
      .setIssuedAt(iat)
      .setExpirationTime(iat + o.ttlSeconds * 2)
      .sign(signer.privateKey);
    tokens.delete(n);
    tokens.set(n, { signer, lst, builtAt: now, token: signed });
    if (tokens.size > CACHE_LISTS) tokens.delete(tokens.keys().next().value!);
    signed.catch(() => {
      if (tokens.get(n)?.token === signed) tokens.delete(n);
    });
    return signed;
  }

  /**
   * The list allocations go to: `current()`, re-read from the store at most once a second. Between reads an
   * instance may keep allocating in a list another instance has just sealed, which is harmless (the
   * reservation still decides; the list is kept served while its credentials live) and saves two store
   * reads per credential.
   */
  let checkedAt = Number.NEGATIVE_INFINITY;
  async function allocationList(): Promise<number> {
    const t = o.now();
    if (local > 0 && t - checkedAt < CURRENT_RECHECK_MS && t >= checkedAt) return local;
    const n = await current();
    checkedAt = t;
    return n;
  }

  /**
   * Reserve one fresh index per credential id, all in one store round trip when nothing collides: each round
   * writes the reservation and the pointer of every pending credential in the same turn (distinct indices
   * within the round), then retries only the ones that lost.
   */
  async function allocateMany(ids: readonly string[], lifetimeSeconds: number): Promise<StatusEntry[]> {
    // Reserved for the credential's lifetime plus a day, so a later credential never reuses a revoked bit early.
    const ttl = lifetimeSeconds + DAY;
    const until = o.now() + ttl * 1000;
    const out: StatusEntry[] = new Array(ids.length);
    let pending = ids.map((_, i) => i);
    // A batch larger than what one list takes (small lists) may need to move on more than once.
    const maxMoves = MAX_MOVES + Math.ceil((2 * ids.length) / o.size);
    for (let moves = 0; moves < maxMoves && pending.length > 0; moves++) {
      const n = await allocationList();
      let sealNow = false;
      for (let round = 0; round < TRIES_PER_LIST && pending.length > 0 && !sealNow; round++) {
        const picked = new Set<number>();
        const tries = pending.map((i) => {
          let idx = randomInt(o.size);
          // Distinct indices within a round (a batch is far smaller than a list: at least 16 entries).
          for (let k = 0; picked.has(idx) && k < 64; k++) idx = randomInt(o.size);
          picked.add(idx);
          const id = ids[i]!;
          // Both writes in one turn (see the module comment): the pointer of a lost try is overwritten later.
          const won = Promise.all([
            s.setIfAbsent(idxKey(n, idx), id, ttl),
            s.set(credKey(id), { list: n, idx } satisfies CredRef, ttl),
          ]).then(([w]) => w);
          return { i, idx, won };
        });
        const lost: number[] = [];
        let wonAny = false;
        for (const t of tries) {
          if (await t.won) {
            out[t.i] = { list: n, idx: t.idx, uri: uriOf(n) };
            wonAny = true;
            if (observe(false) && local === n) sealNow = true;
          } else {
            lost.push(t.i);
            if (observe(true) && local === n) sealNow = true;
          }
        }
        if (wonAny) await extendLive(n, until);
        pending = lost;
      }
      // Sealed on a high collision rate, or when an allocation collided TRIES_PER_LIST times in a row.
      if (sealNow || pending.length > 0) {
        await seal(n, until);
        checkedAt = Number.NEGATIVE_INFINITY;
      }
    }
    if (pending.length > 0) throw eudiError('ERR_EUDI_STATUS_FULL', { oauth: 'server_error' });
    return out;
  }

  return {
    uri: uriOf(1),
    uriOf,
    current,
    token: token as StatusListService['token'],
    async allocate(credentialId, lifetimeSeconds) {
      return (await allocateMany([credentialId], lifetimeSeconds))[0]!;
    },
    allocateMany,
    async revoke(credentialId) {
      const ref = await s.get<number | CredRef>(credKey(credentialId));
      let n: number;
      let idx: number;
      if (typeof ref === 'number') {
        // Written before allocations became one round trip: the list is in its own record.
        idx = ref;
        n = (await s.get<number>(credListKey(credentialId))) ?? 1;
      } else if (isCredRef(ref)) ({ list: n, idx } = ref);
      else return false;
      // Only a reservation that names this credential: a pointer left by a lost allocation try is not enough.
      if (!Number.isSafeInteger(idx) || idx < 0 || (await s.get(idxKey(n, idx))) !== credentialId)
        return false;
      await withLock(n, async () => {
        const lst = await s.get<string>(bitsKey(n));
        const bytes = unpackStatusBits(lst ?? emptyLst, Math.max(o.size, idx + 1));
        bytes[idx >> 3]! |= 1 << (idx & 7);
        await s.set(bitsKey(n), packStatusBits(bytes));
      });
      return true;
    },
    async statusOf(n, idx) {
      const lst = await s.get<string>(bitsKey(n));
      if (!lst) return 0;
      const bytes = unpackStatusBits(lst, o.size);
      return idx >> 3 < bytes.length ? (bytes[idx >> 3]! >> (idx & 7)) & 1 : 0;
    },
  };
}
