/**
 * JPKI verification throughput on one core: challenge signature + chain to the
 * pinned roots + revocation from the checker's cache (a real OCSP responder
 * answers once per certificate during setup, then its answer is reused until
 * nextUpdate), as the gateway runs them per login. Goal (issue "JPKI source"):
 * >= 5,000 verifications/s.
 *
 * Two honest views of the verifier's parsed-certificate cache:
 * - `returning`: the cards have logged in before (their certificates are in the
 *   CertificateCache, so parsing and extension decoding are skipped; every check
 *   still runs);
 * - `first-seen`: the cache is disabled, so every login parses and decodes a
 *   certificate object it has never seen (only the pinned anchors and the OCSP
 *   answer are warm).
 *
 * `ocsp: 'every-login'` is a card nobody used within the OCSP answer's validity
 * (most real logins: each holder has their own card): the checker asks the
 * responder on every login. The responder then runs in a worker thread, so the
 * measured CPU is the gateway's (request, fetch, response parse and checks) only.
 */
import 'reflect-metadata';
import { createSign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  type RevocationServer,
  saveTestPki,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../adapters/jpki/pki/index.js';
import {
  CertificateCache,
  type JpkiLoginInput,
  type JpkiVerifyDeps,
  OcspChecker,
  SimulatedLinkageService,
  verifyJpkiLogin,
} from '../../adapters/jpki/verify/index.js';
import type { AdapterStore } from '../../src/core/adapter.js';
import { createMemoryStore } from '../../src/storage/memory-store.js';
import { threadCpuMs } from '../thread-cpu.js';

export interface MicroResult {
  name: string;
  opsPerSecond: number;
  operations: number;
  /**
   * Operations per second of this thread's CPU time (Linux /proc/thread-self, else process.cpuUsage):
   * what one core would do if nothing else ran. Moves much less than opsPerSecond when other work
   * shares the machine.
   */
  opsPerCpuSecond?: number;
  goal?: { min: number; met: boolean };
}

/** CPU time of the calling thread in ms; the whole process where /proc/thread-self is unavailable. */
function cpuMs(): number {
  const thread = threadCpuMs();
  if (thread !== undefined) return thread;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface JpkiBenchOptions {
  /** Also verify the signing certificate (basic 4 attributes). */
  withSigning: boolean;
  /** Distinct cards logged in round-robin (issued once at setup). */
  cards: number;
  cache: 'returning' | 'first-seen';
  /** 'cached' (default): one OCSP request per certificate at warm-up; 'every-login': no OCSP cache. */
  ocsp?: 'cached' | 'every-login';
}

/** The test PKI's OCSP responder on its own thread (its CPU is not the gateway's). */
interface ResponderThread {
  ocspUrl: { auth: string; sign: string };
  requests(): Promise<number>;
  close(): Promise<void>;
}

async function startResponderThread(pki: TestPki): Promise<ResponderThread> {
  const dir = await mkdtemp(join(tmpdir(), 'kakehashi-jpki-bench-'));
  await saveTestPki(pki, dir);
  const pkiModule = new URL('../../adapters/jpki/pki/index.ts', import.meta.url).href;
  const code = `import { register } from 'tsx/esm/api'; register();
const { parentPort, workerData } = await import('node:worker_threads');
const { loadTestPki, startRevocationServer } = await import(workerData.pkiModule);
const server = await startRevocationServer(await loadTestPki(workerData.dir));
parentPort.on('message', async (m) => {
  if (m === 'count') parentPort.postMessage({ count: server.requestCount.ocsp });
  if (m === 'close') { await server.close(); parentPort.close(); }
});
parentPort.postMessage({ auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') });`;
  const worker = new Worker(code, { eval: true, workerData: { pkiModule, dir } });
  let failure: unknown;
  worker.once('error', (e) => {
    failure = e;
  });
  const next = () =>
    failure
      ? Promise.reject(failure)
      : new Promise<Record<string, unknown>>((resolve) => worker.once('message', resolve));
  const urls = (await next()) as { auth: string; sign: string };
  return {
    ocspUrl: urls,
    async requests() {
      const reply = next();
      worker.postMessage('count');
      return (await reply).count as number;
    },
    async close() {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('close');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let remote: Promise<{ responder: ResponderThread; cards: IssuedCard[] }> | undefined;

/** Cards whose OCSP URLs point at the responder thread (same PKI as the main fixture). */
function getRemoteFixture(pki: TestPki, cards: number) {
  remote ??= (async () => {
    const responder = await startResponderThread(pki);
    const issued: IssuedCard[] = [];
    for (let i = 0; i < cards; i++) {
      const holder = TEST_HOLDERS[i % TEST_HOLDERS.length] as (typeof TEST_HOLDERS)[number];
      issued.push(await issueCard(pki, holder, { ocspUrl: responder.ocspUrl }));
    }
    return { responder, cards: issued };
  })();
  return remote;
}

const GOAL = 5000;

async function pkcs8(key: CryptoKey): Promise<Buffer> {
  return Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
}

/** The PKI, responder and cards, shared by every run of one process (issuing cards is slow). */
interface Fixture {
  pki: TestPki;
  server: RevocationServer;
  cards: IssuedCard[];
  linkage: SimulatedLinkageService;
}

let fixture: Promise<Fixture> | undefined;

async function makeFixture(cards: number): Promise<Fixture> {
  const pki = await createTestPki();
  const server = await startRevocationServer(pki);
  const linkage = new SimulatedLinkageService();
  const issued: IssuedCard[] = [];
  for (let i = 0; i < cards; i++) {
    const holder = TEST_HOLDERS[i % TEST_HOLDERS.length] as (typeof TEST_HOLDERS)[number];
    const card = await issueCard(pki, holder, {
      ocspUrl: { auth: server.ocspUrl('auth'), sign: server.ocspUrl('sign') },
    });
    linkage.link({ auth: card.auth.certificate, sign: card.sign.certificate });
    issued.push(card);
  }
  return { pki, server, cards: issued, linkage };
}

function getFixture(cards: number): Promise<Fixture> {
  fixture ??= makeFixture(cards);
  return fixture;
}

/** Close the shared responder; call once after the last run. */
export async function closeJpkiBench(): Promise<void> {
  if (remote) await (await remote).responder.close();
  remote = undefined;
  if (fixture) await (await fixture).server.close();
  fixture = undefined;
}

/** Pre-sign challenges, cards interleaved (the card's work is not what we measure). */
async function presign(cards: readonly IssuedCard[], withSigning: boolean): Promise<JpkiLoginInput[]> {
  const keys = await Promise.all(
    cards.map(async (card) => ({
      card,
      auth: await pkcs8(card.auth.privateKey),
      sign: await pkcs8(card.sign.privateKey),
    })),
  );
  const inputs: JpkiLoginInput[] = [];
  for (let i = 0; i < Math.max(2, Math.ceil(64 / cards.length)); i++) {
    for (const [c, { card, auth, sign: signKey }] of keys.entries()) {
      const challenge = new TextEncoder().encode(`kakehashi-jpki-v1\nbench\n${c}.${i}\n${Date.now()}`);
      const sign = (key: Buffer) =>
        new Uint8Array(createSign('sha256').update(challenge).sign({ key, format: 'der', type: 'pkcs8' }));
      inputs.push({
        challenge,
        authCertificate: new Uint8Array(card.auth.certificate.rawData),
        authSignature: sign(auth),
        ...(withSigning && {
          signCertificate: new Uint8Array(card.sign.certificate.rawData),
          signSignature: sign(signKey),
        }),
      });
    }
  }
  return inputs;
}

export async function benchJpkiVerify(seconds: number, options: JpkiBenchOptions): Promise<MicroResult> {
  const all = await getFixture(Math.max(options.cards, 32));
  const everyLogin = options.ocsp === 'every-login';
  const remoteFixture = everyLogin ? await getRemoteFixture(all.pki, Math.max(options.cards, 32)) : undefined;
  const cards = (remoteFixture?.cards ?? all.cards).slice(0, options.cards);
  if (remoteFixture)
    for (const c of cards) all.linkage.link({ auth: c.auth.certificate, sign: c.sign.certificate });
  const ocspRequests = () =>
    remoteFixture?.responder.requests() ?? Promise.resolve(all.server.requestCount.ocsp);
  const store = createMemoryStore();
  const adapterStore: AdapterStore = {
    get: (k) => store.get('a', k),
    set: (k, v, t) => store.set('a', k, v, t),
    setIfAbsent: (k, v, t) => store.setIfAbsent('a', k, v, t),
    take: (k) => store.take('a', k),
    delete: (k) => store.delete('a', k),
  };
  const deps: JpkiVerifyDeps = {
    now: Date.now,
    authAnchors: all.pki.authCaGenerations.map((g) => g.certificate),
    signAnchors: all.pki.signCaGenerations.map((g) => g.certificate),
    policies: { auth: ['1.2.392.200149.8.5.1.3.30'], sign: ['1.2.392.200149.8.5.1.0.20'] },
    revocation: new OcspChecker({ fetch: globalThis.fetch, ...(everyLogin && { cacheMaxSeconds: 0 }) }),
    onUnreachable: 'refuse',
    linkage: all.linkage,
    store: adapterStore,
    instanceId: 'jpki',
    certificateCache: new CertificateCache(options.cache === 'returning' ? 1024 : 0),
  };
  const inputs = await presign(cards, options.withSigning);
  // One login per distinct input warms the OCSP cache (and, for `returning`, the certificate cache).
  for (const input of inputs) await verifyJpkiLogin(input, deps);
  const requestsAfterWarmup = await ocspRequests();
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  const cpu0 = cpuMs();
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++) await verifyJpkiLogin(inputs[n++ % inputs.length] as JpkiLoginInput, deps);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpuSeconds = (cpuMs() - cpu0) / 1000;
  const requests = (await ocspRequests()) - requestsAfterWarmup;
  const expected = everyLogin ? n * (options.withSigning ? 2 : 1) : 0;
  if (requests !== expected)
    throw new Error(`expected ${expected} OCSP requests in the measured phase, saw ${requests}`);
  const opsPerSecond = n / elapsed;
  const name = `jpki-verify-${caseLabel(options)}`;
  return {
    name,
    opsPerSecond,
    operations: n,
    ...(cpuSeconds > 0 && { opsPerCpuSecond: n / cpuSeconds }),
    // The goal is for cached revocation (issue "JPKI source"); every-login is context.
    ...(!options.withSigning && !everyLogin && { goal: { min: GOAL, met: opsPerSecond >= GOAL } }),
  };
}

function caseLabel(options: JpkiBenchOptions): string {
  const ocsp = options.ocsp === 'every-login' ? '-ocsp-every-login' : '';
  return `${options.withSigning ? 'auth+sign' : 'auth'}-${options.cards}card${options.cards === 1 ? '' : 's'}-${options.cache}${ocsp}`;
}

const RUNS: JpkiBenchOptions[] = [
  { withSigning: false, cards: 1, cache: 'returning' },
  { withSigning: true, cards: 1, cache: 'returning' },
  { withSigning: false, cards: 32, cache: 'returning' },
  { withSigning: false, cards: 32, cache: 'first-seen' },
  { withSigning: true, cards: 32, cache: 'returning' },
  { withSigning: true, cards: 32, cache: 'first-seen' },
  { withSigning: false, cards: 32, cache: 'first-seen', ocsp: 'every-login' },
];

/** The JPKI group of `npm run bench:micro`. */
export const jpkiGroup = {
  name: 'jpki',
  async run(seconds: number, select: (caseName: string) => boolean): Promise<void> {
    try {
      for (const options of RUNS) {
        const label = caseLabel(options);
        if (!select(label)) continue;
        const r = await benchJpkiVerify(seconds, options);
        const goal = r.goal ? ` (goal >= ${r.goal.min}/s: ${r.goal.met ? 'met' : 'MISSED'})` : '';
        const cpu = r.opsPerCpuSecond ? `, ${r.opsPerCpuSecond.toFixed(0)} per CPU-second` : '';
        console.log(
          `${r.name}: ${r.opsPerSecond.toFixed(0)} verifications/s over ${r.operations} runs${cpu}${goal}`,
        );
      }
    } finally {
      await closeJpkiBench();
    }
  },
};
