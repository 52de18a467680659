/** A gateway in miniature for the JPKI source tests (not a test file): fake interaction hub, memory + sealed stores, real HTTP. */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { jpkiSource } from '../../../../adapters/jpki/index.js';
import type { JpkiOptionsInput } from '../../../../adapters/jpki/options.js';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  POLICY_SIGN_TEST,
  type RevocationServer,
  saveCard,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import type {
  AdapterContext,
  InteractionControl,
  InteractionRef,
  SourceInstance,
} from '../../../../src/core/adapter.js';
import type { AuditEventInput } from '../../../../src/core/audit-event.js';
import { GatewayError } from '../../../../src/core/errors.js';
import type { CanonicalIdentity, PersonAttribute } from '../../../../src/core/identity.js';
import { createMemoryStore } from '../../../../src/storage/memory-store.js';
import { createSealedStore } from '../../../../src/storage/sealed-store.js';

export interface Harness {
  baseUrl: string;
  instance: SourceInstance;
  audit: AuditEventInput[];
  finished: CanonicalIdentity[];
  failed: string[];
  /** Adapter-store calls, `<op> <key prefix>` (e.g. `set challenge`), in order. */
  storeOps: string[];
  /** When set, each adapter-store `take` waits this many ms first (to make concurrent requests overlap). */
  delayTakeMs?: number;
  server: Server;
}

/** Shared by the harnesses of one test file; `clock` drives the stores and the adapter. */
export const world = {
  pki: undefined as unknown as TestPki,
  revocation: undefined as unknown as RevocationServer,
  card: undefined as unknown as IssuedCard,
  cardsDir: '',
  clock: Date.now(),
};
const harnesses: Harness[] = [];
const refs = new Map<string, InteractionRef>();

export async function setUpWorld(): Promise<void> {
  world.pki = await createTestPki({ generations: 1 });
  world.revocation = await startRevocationServer(world.pki);
  const r = world.revocation;
  world.card = await issueCard(world.pki, TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number], {
    ocspUrl: { auth: r.ocspUrl('auth'), sign: r.ocspUrl('sign') },
    crlUrl: { auth: r.crlUrl('auth'), sign: r.crlUrl('sign') },
    id: 'card-a',
  });
  world.cardsDir = await mkdtemp(join(tmpdir(), 'jpki-cards-'));
  await saveCard(world.card, join(world.cardsDir, world.card.id));
}

export async function tearDownWorld(): Promise<void> {
  for (const h of harnesses) await new Promise((r) => h.server.close(r));
  await world.revocation.close();
  await rm(world.cardsDir, { recursive: true, force: true });
}

function cookieUid(header: string | undefined): string | undefined {
  return /(?:^|;\s*)uid=([^;]+)/.exec(header ?? '')?.[1];
}

/** A gateway in miniature: a fake interaction hub (cookie `uid`), memory + sealed stores, real HTTP. */
export async function startHarness(
  devMode: boolean,
  extra: Partial<JpkiOptionsInput> = {},
): Promise<Harness> {
  const h = { audit: [], finished: [], failed: [], storeOps: [] } as unknown as Harness;
  const app = express();
  let router: express.Router | undefined;
  app.use('/a/jpki', (req, res, next) => (router ? router(req, res, next) : next()));
  app.get('/begin/:uid', async (req, res, next) => {
    const ref = refs.get(req.params.uid);
    if (!ref) return next();
    await h.instance.begin(ref, req, res);
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res
      .status(err instanceof GatewayError ? err.status : 500)
      .json({ error: (err as GatewayError).code ?? 'x' });
  });
  h.server = app.listen(0, '127.0.0.1');
  await new Promise((r) => h.server.once('listening', r));
  const origin = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}`;
  h.baseUrl = `${origin}/a/jpki`;

  const store = createMemoryStore({ now: () => world.clock });
  const interactions: InteractionControl = {
    async current(req) {
      const ref = refs.get(cookieUid(req.headers.cookie) ?? '');
      if (!ref) throw new GatewayError('ERR_NO_INTERACTION', 'no interaction', { status: 400 });
      return ref;
    },
    async finish(_req, res, identity) {
      h.finished.push(identity);
      res.json({ finished: true });
    },
    async fail(_req, res, error) {
      h.failed.push(error.code);
      res.status(400).json({ failed: error.code });
    },
  };
  const ns = 'a:jpki';
  /** Records the call, then makes it. */
  const op = <T>(name: string, key: string, call: () => Promise<T>): Promise<T> => {
    h.storeOps.push(`${name} ${key.split(':')[0]}`);
    return call();
  };
  const ctx: AdapterContext = {
    instanceId: 'jpki',
    baseUrl: h.baseUrl,
    issuer: origin,
    devMode,
    log: pino({ level: 'silent' }),
    now: () => world.clock,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    fetch,
    store: {
      get: (k) => op('get', k, () => store.get(ns, k)),
      set: (k, v, t) => op('set', k, () => store.set(ns, k, v, t)),
      setIfAbsent: (k, v, t) => op('setIfAbsent', k, () => store.setIfAbsent(ns, k, v, t)),
      take: (k) =>
        op('take', k, async () => {
          if (h.delayTakeMs) await new Promise((r) => setTimeout(r, h.delayTakeMs));
          return store.take(ns, k);
        }),
      delete: (k) => op('delete', k, () => store.delete(ns, k)),
    },
    sealed: createSealedStore(store, crypto.getRandomValues(new Uint8Array(32))),
    keys: {
      keyPair: async () => {
        throw new Error('not used');
      },
    },
    interactions,
    audit: async (e) => {
      h.audit.push(e);
    },
    accounts: { load: async () => undefined },
  };
  const options = jpkiSource.options.parse({
    authAnchors: world.pki.authCaGenerations.map((g) => g.certificate.toString('pem')),
    signAnchors: [world.pki.signCaGenerations.map((g) => g.certificate.toString('pem')).join('\n')],
    policies: { sign: [POLICY_SIGN_TEST] },
    revocation: { kind: 'ocsp' },
    demo: { cardsDir: world.cardsDir },
    ...extra,
  });
  h.instance = await jpkiSource.create(options, ctx);
  router = h.instance.router;
  harnesses.push(h);
  return h;
}

export function interaction(
  requestedAttributes: PersonAttribute[] = [],
  locale: 'ja' | 'en' = 'ja',
): InteractionRef {
  const ref: InteractionRef = {
    uid: `uid-${crypto.randomUUID()}`,
    clientId: 'rp',
    locale,
    requestedAttributes,
  };
  refs.set(ref.uid, ref);
  return ref;
}

/** The browser opens the source: returns the waiting page and the URLs in it. */
export async function begin(h: Harness, ref: InteractionRef) {
  const res = await fetch(`${h.baseUrl.replace('/a/jpki', '')}/begin/${ref.uid}`);
  const page = await res.text();
  const url = /id="jpki-challenge-url">([^<]+)</.exec(page)?.[1];
  if (!url) throw new Error('no challenge URL on the page');
  const id = url.split('/').pop() as string;
  return { page, url, id, status: res.status };
}

export const browser = (ref: InteractionRef) => ({ headers: { cookie: `uid=${ref.uid}` } });

export async function state(h: Harness, id: string): Promise<unknown> {
  return (await (await fetch(`${h.baseUrl}/status/${id}`)).json()) as unknown;
}
