import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { respondToChallenge, VirtualMyNumberCard } from '../../../../adapters/jpki/card/index.js';
import { createTestPki, issueCard, TEST_HOLDERS } from '../../../../adapters/jpki/pki/index.js';
import {
  begin,
  browser,
  type Harness,
  interaction,
  setUpWorld,
  startHarness,
  state,
  tearDownWorld,
  world,
} from './harness.js';

beforeAll(setUpWorld);
afterAll(tearDownWorld);
beforeEach(() => {
  world.clock = Date.now();
  world.revocation.setMode('good');
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
    // Too early: the browser is sent back to the waiting page.
    const early = await fetch(`${h.baseUrl}/finish/${id}`, { ...browser(ref), redirect: 'manual' });
    expect([early.status, early.headers.get('location')]).toEqual([303, `${h.baseUrl}/wait/${id}`]);
    expect(await (await fetch(`${h.baseUrl}/wait/${id}`, browser(ref))).text()).toContain(url);
    const answer = await respondToChallenge(url, new VirtualMyNumberCard(world.card), {
      authPin: world.card.authPin,
    });
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
    const answer = await respondToChallenge(url, new VirtualMyNumberCard(world.card), {
      authPin: world.card.authPin,
      signPin: world.card.signPin,
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
      new VirtualMyNumberCard(world.card),
      { authPin: world.card.authPin },
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

  it('one write creates the challenge and one take consumes it; the outcome is sealed, not in the plain store', async () => {
    const ref = interaction();
    const mark = h.storeOps.length;
    const { url, id } = await begin(h, ref);
    expect(h.storeOps.slice(mark)).toEqual(['set challenge']);
    await respondToChallenge(url, new VirtualMyNumberCard(world.card), { authPin: world.card.authPin });
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    const mine = h.storeOps.slice(mark).filter((o) => o.endsWith(' challenge'));
    expect(mine.filter((o) => !o.startsWith('get '))).toEqual(['set challenge', 'take challenge']);
    expect(h.finished.at(-1)?.subject.issuer).toBe('jpki');
  });

  it('of concurrent answers to one challenge exactly one is accepted', async () => {
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    // Sign once, hold the POST back, then send it three times at once.
    let posted: RequestInit | undefined;
    const holding: typeof fetch = async (input, init) => {
      if (init?.method !== 'POST') return fetch(input, init);
      posted = init;
      return new Response('{}');
    };
    await respondToChallenge(
      url,
      new VirtualMyNumberCard(world.card),
      { authPin: world.card.authPin },
      { fetch: holding },
    );
    // Each consuming take waits, so all three have read and verified the challenge before any consumes it.
    h.delayTakeMs = 100;
    const answers = await Promise.all(
      [1, 2, 3].map(async () => {
        const r = await fetch(`${h.baseUrl}/response/${id}`, posted);
        return { status: r.status, body: (await r.json()) as unknown };
      }),
    ).finally(() => {
      h.delayTakeMs = undefined;
    });
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400]);
    for (const a of answers.filter((x) => x.status === 400)) {
      expect(a.body).toMatchObject({ error_description: 'the challenge is unknown or already used' });
    }
    expect(await state(h, id)).toEqual({ state: 'done' });
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(h.finished.at(-1)?.subject.issuer).toBe('jpki');
  });

  it('a refused answer uses the challenge up: a good answer after it is refused too', async () => {
    const foreign = await issueCard(
      await createTestPki({ generations: 1 }),
      TEST_HOLDERS[1] as (typeof TEST_HOLDERS)[number],
    );
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    const bad = await respondToChallenge(url, new VirtualMyNumberCard(foreign), { authPin: foreign.authPin });
    expect(bad.status).toBe(400);
    const good = await respondToChallenge(url, new VirtualMyNumberCard(world.card), {
      authPin: world.card.authPin,
    }).catch((e: Error) => e);
    // The challenge is gone: the card client cannot even fetch it again.
    expect(good).toBeInstanceOf(Error);
    expect(await state(h, id)).toEqual({ state: 'failed' });
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(h.failed.at(-1)).toBe('ERR_JPKI_UNTRUSTED_CA');
  });

  it('an unanswered, expired challenge fails the interaction once', async () => {
    const ref = interaction();
    const { id } = await begin(h, ref);
    world.clock += 121_000;
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(h.failed.at(-1)).toBe('ERR_JPKI_CHALLENGE_EXPIRED');
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    expect(h.failed.at(-1)).toBe('ERR_JPKI_CHALLENGE_MISMATCH');
  });

  it('refuses a response after the challenge expired, and the browser learns why', async () => {
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    const late: typeof fetch = async (input, init) => {
      if (init?.method === 'POST') world.clock += 121_000;
      return fetch(input, init);
    };
    const answer = await respondToChallenge(
      url,
      new VirtualMyNumberCard(world.card),
      { authPin: world.card.authPin },
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
    world.clock += 121_000;
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
    await respondToChallenge(url, new VirtualMyNumberCard(world.card), { authPin: world.card.authPin });
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

describe('the waiting browser long-polls /status', () => {
  const poll = async (h: Harness, id: string, init: RequestInit = {}) => {
    const started = Date.now();
    const res = await fetch(`${h.baseUrl}/status/${id}?wait=1`, init);
    return { body: (await res.json()) as unknown, ms: Date.now() - started };
  };

  it('is answered as soon as the card has answered on this node', async () => {
    // Neither the hold nor a store re-read ends the poll within the test's timeout: only the wake-up can.
    const h = await startHarness(true, { statusPoll: { holdMs: 60_000, recheckMs: 60_000 } });
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    const held = poll(h, id);
    await new Promise((r) => setTimeout(r, 50));
    await respondToChallenge(url, new VirtualMyNumberCard(world.card), { authPin: world.card.authPin });
    expect((await held).body).toEqual({ state: 'done' });
  });

  it('sees an outcome it was not woken for (another node, or the expiry) by re-reading the store', async () => {
    const h = await startHarness(true, { statusPoll: { holdMs: 60_000, recheckMs: 50 } });
    const ref = interaction();
    const { id } = await begin(h, ref);
    const held = poll(h, id);
    await new Promise((r) => setTimeout(r, 20));
    world.clock += 121_000;
    expect((await held).body).toEqual({ state: 'failed' });
  });

  it('answers "pending" when the hold runs out, at once without ?wait, and at once when holding is off', async () => {
    const h = await startHarness(true, { statusPoll: { holdMs: 300, recheckMs: 60_000 } });
    const { id } = await begin(h, interaction());
    const held = await poll(h, id);
    expect(held.body).toEqual({ state: 'pending' });
    expect(held.ms).toBeGreaterThanOrEqual(250);
    expect(await state(h, id)).toEqual({ state: 'pending' });
    const off = await startHarness(true, { statusPoll: { holdMs: 0 } });
    const other = await begin(off, interaction());
    expect((await poll(off, other.id)).body).toEqual({ state: 'pending' });
  });

  it('a poller that goes away is let go, and a later poll still gets the outcome', async () => {
    const h = await startHarness(true, { statusPoll: { holdMs: 60_000, recheckMs: 60_000 } });
    const ref = interaction();
    const { url, id } = await begin(h, ref);
    const abort = new AbortController();
    const gone = poll(h, id, { signal: abort.signal }).catch((e: Error) => e.name);
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    expect(await gone).toBe('AbortError');
    const held = poll(h, id);
    await new Promise((r) => setTimeout(r, 50));
    await respondToChallenge(url, new VirtualMyNumberCard(world.card), { authPin: world.card.authPin });
    expect((await held).body).toEqual({ state: 'done' });
  });
});
