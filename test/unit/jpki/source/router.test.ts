import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
import { respondToChallenge, VirtualMyNumberCard } from '../../../../adapters/jpki/card/index.js';
import { jpkiSource } from '../../../../adapters/jpki/index.js';
import type { JpkiOptionsInput } from '../../../../adapters/jpki/options.js';
import {
  createTestPki,
  issueCard,
  type IssuedCard,
  POLICY_SIGN_TEST,
  type RevocationServer,
  saveCard,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';

interface Harness {
  baseUrl: string;
  instance: SourceInstance;
  audit: AuditEventInput[];
  finished: CanonicalIdentity[];
  failed: string[];
  server: Server;
}

let pki: TestPki;
let revocation: RevocationServer;
let card: IssuedCard;
let cardsDir: string;
let clock = Date.now();
const harnesses: Harness[] = [];
const refs = new Map<string, InteractionRef>();

function cookieUid(header: string | undefined): string | undefined {
  return /(?:^|;\s*)uid=([^;]+)/.exec(header ?? '')?.[1];
}

/** A gateway in miniature: a fake interaction hub (cookie `uid`), memory + sealed stores, real HTTP. */
async function startHarness(devMode: boolean, extra: Partial<JpkiOptionsInput> = {}): Promise<Harness> {
  const h = { audit: [], finished: [], failed: [] } as unknown as Harness;
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

  const store = createMemoryStore({ now: () => clock });
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
  const ctx: AdapterContext = {
    instanceId: 'jpki',
    baseUrl: h.baseUrl,
    issuer: origin,
    devMode,
    log: pino({ level: 'silent' }),
    now: () => clock,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    fetch,
    store: {
      get: (k) => store.get(ns, k),
      set: (k, v, t) => store.set(ns, k, v, t),
      setIfAbsent: (k, v, t) => store.setIfAbsent(ns, k, v, t),
      take: (k) => store.take(ns, k),
      delete: (k) => store.delete(ns, k),
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
    authAnchors: pki.authCaGenerations.map((g) => g.certificate.toString('pem')),
    signAnchors: [pki.signCaGenerations.map((g) => g.certificate.toString('pem')).join('\n')],
    policies: { sign: [POLICY_SIGN_TEST] },
    revocation: { kind: 'ocsp' },
    demo: { cardsDir },
    ...extra,
  });
  h.instance = await jpkiSource.create(options, ctx);
  router = h.instance.router;
  harnesses.push(h);
  return h;
}

function interaction(
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
async function begin(h: Harness, ref: InteractionRef) {
  const res = await fetch(`${h.baseUrl.replace('/a/jpki', '')}/begin/${ref.uid}`);
  const page = await res.text();
  const url = /id="jpki-challenge-url">([^<]+)</.exec(page)?.[1];
  if (!url) throw new Error('no challenge URL on the page');
  const id = url.split('/').pop() as string;
  return { page, url, id, status: res.status };
}

const browser = (ref: InteractionRef) => ({ headers: { cookie: `uid=${ref.uid}` } });

async function state(h: Harness, id: string): Promise<unknown> {
  return (await (await fetch(`${h.baseUrl}/status/${id}`)).json()) as unknown;
}

beforeAll(async () => {
  pki = await createTestPki({ generations: 1 });
  revocation = await startRevocationServer(pki);
  const urls = {
    ocspUrl: { auth: revocation.ocspUrl('auth'), sign: revocation.ocspUrl('sign') },
    crlUrl: { auth: revocation.crlUrl('auth'), sign: revocation.crlUrl('sign') },
  };
  card = await issueCard(pki, TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number], { ...urls, id: 'card-a' });
  cardsDir = await mkdtemp(join(tmpdir(), 'jpki-cards-'));
  await saveCard(card, join(cardsDir, card.id));
});

afterAll(async () => {
  for (const h of harnesses) await new Promise((r) => h.server.close(r));
  await revocation.close();
  await rm(cardsDir, { recursive: true, force: true });
});

beforeEach(() => {
  clock = Date.now();
  revocation.setMode('good');
});

describe('JPKI source over HTTP with the virtual card client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(true);
  });

  it('renders the waiting page and completes an authentication-only login', async () => {
    const ref = interaction([], 'ja');
    const { page, url, id } = await begin(h, ref);
    expect(page).toContain('<svg');
    expect(page).toContain('マイナンバーカードでログイン');
    expect(page).not.toContain('署名用電子証明書の暗証番号');
    const doc = (await (await fetch(url)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({ signing: false, response_uri: `${h.baseUrl}/response/${id}` });
    const challenge = Buffer.from(String(doc.challenge), 'base64url').toString('utf8').split('\n');
    expect(challenge.slice(0, 3)).toEqual(['kakehashi-jpki-v1', new URL(h.baseUrl).origin, ref.uid]);
    expect(challenge[3]).toBe(String(doc.expires_at));

    expect(await state(h, id)).toEqual({ state: 'pending' });
    const answer = await respondToChallenge(url, new VirtualMyNumberCard(card), { authPin: card.authPin });
    expect(answer).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await state(h, id)).toEqual({ state: 'done' });

    const fin = await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(await fin.json()).toEqual({ finished: true });
    const identity = h.finished.at(-1);
    expect(identity?.extensions['jpki:certificateType']).toBe('auth');
    expect(identity?.person).toEqual({});
    // The sealed result is single-use.
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(h.failed.at(-1)).toBe('ERR_JPKI_CHALLENGE_MISMATCH');
  });

  it('asks for the signing certificate when attributes are requested', async () => {
    const ref = interaction(['familyName', 'birthDate'], 'en');
    const { page, url, id } = await begin(h, ref);
    expect(page).toContain('signature certificate password');
    const answer = await respondToChallenge(url, new VirtualMyNumberCard(card), {
      authPin: card.authPin,
      signPin: card.signPin,
    });
    expect(answer.status).toBe(200);
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    const identity = h.finished.at(-1);
    expect(identity?.extensions['jpki:certificateType']).toBe('auth+sign');
    expect(identity?.person.familyName).toEqual([{ value: '山田', script: 'Jpan' }]);
  });

  it('refuses a replayed response', async () => {
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    let posted: RequestInit | undefined;
    const recording: typeof fetch = async (input, init) => {
      if (init?.method === 'POST') posted = init;
      return fetch(input, init);
    };
    await respondToChallenge(
      url,
      new VirtualMyNumberCard(card),
      { authPin: card.authPin },
      { fetch: recording },
    );
    const replay = await fetch(`${h.baseUrl}/response/${id}`, posted);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({
      error: 'access_denied',
      error_description: 'the challenge is unknown or already used',
    });
    expect(await state(h, id)).toEqual({ state: 'done' });
  });

  it('refuses a response after the challenge expired, and the browser learns why', async () => {
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    const late: typeof fetch = async (input, init) => {
      if (init?.method === 'POST') clock += 121_000;
      return fetch(input, init);
    };
    const answer = await respondToChallenge(
      url,
      new VirtualMyNumberCard(card),
      { authPin: card.authPin },
      { fetch: late },
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error_description: 'the challenge has expired' });
    expect(h.audit.at(-1)).toEqual({
      type: 'login.refused',
      source: 'jpki',
      reason: 'ERR_JPKI_CHALLENGE_EXPIRED',
      interaction: ref.uid,
    });
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(h.failed.at(-1)).toBe('ERR_JPKI_CHALLENGE_EXPIRED');
  });

  it('a challenge nobody answers fails once it expires', async () => {
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    clock += 121_000;
    expect(await state(h, id)).toEqual({ state: 'failed' });
    expect((await fetch(url)).status).toBe(400);
  });

  it('reports a verification failure to the card, the audit log and the interaction', async () => {
    const foreign = await issueCard(
      await createTestPki({ generations: 1 }),
      TEST_HOLDERS[1] as (typeof TEST_HOLDERS)[number],
    );
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    const answer = await respondToChallenge(url, new VirtualMyNumberCard(foreign), {
      authPin: foreign.authPin,
    });
    expect(answer).toEqual({
      status: 400,
      body: {
        error: 'access_denied',
        error_description: 'the certificate is not issued by a trusted JPKI CA',
      },
    });
    expect(h.audit.at(-1)).toMatchObject({
      type: 'login.refused',
      reason: 'ERR_JPKI_UNTRUSTED_CA',
      interaction: ref.uid,
    });
    expect(await state(h, id)).toEqual({ state: 'failed' });
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(h.failed.at(-1)).toBe('ERR_JPKI_UNTRUSTED_CA');
  });

  it('only the interaction that began the login can finish it', async () => {
    const ref = interaction();
    const intruder = interaction();
    const { url, id } = await begin(h, ref);
    await respondToChallenge(url, new VirtualMyNumberCard(card), { authPin: card.authPin });
    await fetch(`${h.baseUrl}/finish/${id}`, browser(intruder));
    expect(h.failed.at(-1)).toBe('ERR_JPKI_CHALLENGE_MISMATCH');
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(h.finished.at(-1)?.subject.issuer).toBe('jpki');
  });

  it('refuses oversized bodies and oversized certificates', async () => {
    const ref = interaction();
    const { id } = await begin(h, ref);
    const post = (body: unknown) =>
      fetch(`${h.baseUrl}/response/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const huge = await post({ auth_certificate: 'A'.repeat(70_000), auth_signature: 'A' });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({
      error: 'access_denied',
      error_description: 'the card response is too large',
    });
    const bigCert = await post({ auth_certificate: 'A'.repeat(12_000), auth_signature: 'A'.repeat(342) });
    expect(await bigCert.json()).toEqual({
      error: 'access_denied',
      error_description: 'the card response is too large',
    });
    expect(h.audit.at(-1)).toMatchObject({ reason: 'ERR_JPKI_TOO_LARGE' });
  });

  it('plays the demo card in dev mode', async () => {
    const ref = interaction(['address']);
    const { page, id } = await begin(h, ref);
    expect(page).toContain('id="jpki-demo"');
    const play = await fetch(`${h.baseUrl}/demo/play/${id}`, { method: 'POST', ...browser(ref) });
    expect(play.status).toBe(200);
    expect(await state(h, id)).toEqual({ state: 'done' });
  });

  it('refuses the demo card outside dev mode', async () => {
    const prod = await startHarness(false);
    const ref = interaction();
    const { page, id } = await begin(prod, ref);
    expect(page).not.toContain('id="jpki-demo"');
    const play = await fetch(`${prod.baseUrl}/demo/play/${id}`, { method: 'POST', ...browser(ref) });
    expect(play.status).toBe(403);
    expect(await state(prod, id)).toEqual({ state: 'pending' });
  });
});
