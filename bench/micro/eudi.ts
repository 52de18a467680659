/**
 * EUDI (issue 6) micro benchmarks, one core unless stated: SD-JWT VC issuance and presentation verification,
 * ours against the raw @sd-jwt/sd-jwt-vc 0.19 library in the same run (ratios), and credential issuance over
 * HTTP through the gateway's OpenID4VCI endpoints. Goals (issue 6): >= 1,000 credentials/s over HTTP and
 * >= 1,000 verifications/s.
 *
 * Cases (select with `--only <substring>`):
 * - `raw-issue`: @sd-jwt/sd-jwt-vc `issue` (ES256 signer of @sd-jwt/crypto-nodejs), same claims and frame;
 * - `issue`: our `issuePidCredential` (pure: claims mapping, disclosures, signature);
 * - `service-issue`: `createCredentialService(...).issueFor` (account load, status index allocation in an
 *   in-memory store, signing on this thread (`issuanceThreads: 0`); the audit call is a no-op here — the HTTP
 *   case has the real one);
 * - `raw-verify`: @sd-jwt/sd-jwt-vc `verify` of SD-JWT+KB (issuer signature, disclosures, KB-JWT with nonce,
 *   status list from memory);
 * - `verify`: our `verifyPresentation` (allow-list, x5c chain to the trust list (cached per issuer chain),
 *   signature, validity, disclosures referenced once, KB-JWT nonce/aud/iat/sd_hash, status list from memory);
 *   each verification awaited before the next;
 * - `raw-verify-parallel`, `verify-parallel`: the same two with 4 verifications in flight, as a verifier serving
 *   several wallets at once (WebCrypto verifies on libuv's thread pool, so the machine's second core helps);
 * - `http-issue`: the gateway (SQLite store, audit log) on this thread, a wallet in a worker thread with 4
 *   concurrent users doing nonce request + proof + credential request with a prepared access token;
 * - `http-issue-batch`: the same with batch issuance: nonce request + 10 proofs (one per holder key, keys made
 *   before the run) + one credential request for 10 credentials; figures per credential. The issuer builds the
 *   credentials on its issuance worker threads (default `issuanceThreads`), whose CPU is in "gateway CPU";
 * - `http-issue-batch-inline`: the same with `issuanceThreads: 0` (credentials built on the event loop).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import type { JWK } from 'jose';
import pino from 'pino';
import { createCredentialService } from '../../adapters/eudi/issuer/credential-service.js';
import { issuePidCredential } from '../../adapters/eudi/issuer/issue-credential.js';
import { PID_CONFIGURATION_ID } from '../../adapters/eudi/issuer/provider-feature.js';
import { createStatusList } from '../../adapters/eudi/issuer/status-list.js';
import { JP_PID_STYLE_VCT, pidClaimsFromIdentity } from '../../adapters/eudi/pid-claims.js';
import { createTrustList } from '../../adapters/eudi/verifier/trust-list.js';
import { verifyPresentation } from '../../adapters/eudi/verifier/verify-presentation.js';
import { createGateway } from '../../src/app.js';
import { loadConfigObject } from '../../src/config/load-config.js';
import { startModuleWorker } from '../../src/core/module-worker.js';
import { TestBrowser } from '../../test/helpers/browser.js';
import { freePort } from '../../test/helpers/gateway.js';
import { TestWallet } from '../../test/integration/eudi/wallet.js';
import {
  adapterStore,
  issuerContext,
  jpkiIdentity,
  keyPair,
  testIssuer,
} from '../../test/unit/eudi/fixtures.js';
import { threadCpuMs } from '../thread-cpu.js';
import type { HttpIssueInput, HttpIssueResult } from './eudi-http-worker.js';

const GOAL = 1000;
const ISSUER = 'https://issuer.kakehashi.bench';
const AUD = 'x509_hash:bench-verifier';
const NONCE = 'bench-nonce';
const VALIDITY = 365 * 86_400;
const now = () => Math.floor(Date.now() / 1000);

/** Ops/s over `seconds` (after a short warm-up), and process CPU time per op (robust to a loaded machine). */
interface Rate {
  perSecond: number;
  cpuMs: number;
}

async function measure(seconds: number, op: (i: number) => Promise<unknown>): Promise<Rate> {
  const warm = performance.now() + Math.min(1000, seconds * 200);
  let i = 0;
  while (performance.now() < warm) await op(i++);
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let n = 0;
  while (performance.now() < deadline) for (let b = 0; b < 20; b++) await op(n++);
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: n / ((performance.now() - t0) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

/**
 * As `measure`, with `inFlight` operations outstanding at once (a verifier answering several wallets): WebCrypto
 * runs the signature checks on libuv's thread pool, so the main thread's work and the pool's overlap.
 */
async function measureParallel(
  seconds: number,
  inFlight: number,
  op: (i: number) => Promise<unknown>,
): Promise<Rate> {
  let next = 0;
  const loop = async (until: number): Promise<number> => {
    let n = 0;
    while (performance.now() < until) {
      await op(next++);
      n++;
    }
    return n;
  };
  const run = async (ms: number) => {
    const until = performance.now() + ms;
    const counts = await Promise.all(Array.from({ length: inFlight }, () => loop(until)));
    return counts.reduce((a, b) => a + b, 0);
  };
  await run(Math.min(1000, seconds * 200));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const n = await run(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: n / ((performance.now() - t0) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

/** Verifications outstanding at once in the `*-parallel` cases. */
const IN_FLIGHT = 4;

interface Fixture {
  issuer: Awaited<ReturnType<typeof testIssuer>>;
  holders: { privateJwk: JWK; publicJwk: JWK }[];
  statusToken: string;
  statusUri: string;
}

async function fixture(): Promise<Fixture> {
  const issuer = await testIssuer('Kakehashi bench issuer');
  const holders = await Promise.all(Array.from({ length: 16 }, () => keyPair()));
  const status = createStatusList({
    store: adapterStore(),
    size: 16_384,
    baseUri: `${ISSUER}/status`,
    ttlSeconds: 3600,
    now: Date.now,
  });
  return { issuer, holders, statusToken: await status.token(issuer.signer), statusUri: status.uri };
}

function ourIssue(f: Fixture, i: number) {
  return issuePidCredential({
    identity: jpkiIdentity(),
    holderJwk: f.holders[i % f.holders.length]!.publicJwk,
    signer: f.issuer.signer,
    issuer: ISSUER,
    vct: JP_PID_STYLE_VCT,
    issuingAuthority: 'Kakehashi bench issuer',
    issuingCountry: 'JP',
    validitySeconds: VALIDITY,
    status: { uri: f.statusUri, idx: i % 16_384 },
    nowSeconds: now(),
  });
}

/** The raw library issuing the same payload: same claims, every PID claim (and address member) disclosable. */
async function rawIssuer(f: Fixture, withStatus = true) {
  const lib = new SDJwtVcInstance({
    signer: await ES256.getSigner(f.issuer.signer.privateKey.export({ format: 'jwk' }) as JWK),
    signAlg: 'ES256',
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
  });
  const iat = now();
  const pid = pidClaimsFromIdentity(jpkiIdentity(), {
    issuingAuthority: 'Kakehashi bench issuer',
    issuingCountry: 'JP',
    issuanceDate: '2026-01-01',
    expiryDate: '2027-01-01',
  });
  const address = pid.address as Record<string, string>;
  const frame = {
    _sd: Object.keys(pid),
    address: { _sd: Object.keys(address) },
    nationalities: { _sd: [0] },
  };
  return (i: number) => {
    const { kty, crv, x, y } = f.holders[i % f.holders.length]!.publicJwk;
    return lib.issue(
      {
        iss: ISSUER,
        iat,
        nbf: iat,
        exp: iat + VALIDITY,
        vct: JP_PID_STYLE_VCT,
        cnf: { jwk: { kty, crv, x, y } },
        ...(withStatus && { status: { status_list: { idx: i % 16_384, uri: f.statusUri } } }),
        ...pid,
      },
      frame as never,
      { header: { x5c: [...f.issuer.signer.x5c] } },
    );
  };
}

/** Presentations (all disclosures, KB-JWT) by 16 holders, made with the raw library as a wallet would. */
async function presentations(f: Fixture, withStatus = true): Promise<string[]> {
  const out: string[] = [];
  const issueRaw = await rawIssuer(f, false);
  for (const [i, h] of f.holders.entries()) {
    // Ours with a status list entry; without one, issued by the raw library (same claims and frame).
    const credential = withStatus ? (await ourIssue(f, i)).credential : await issueRaw(i);
    const lib = new SDJwtVcInstance({
      hasher: digest,
      saltGenerator: generateSalt,
      kbSigner: await ES256.getSigner(h.privateJwk),
      kbSignAlg: 'ES256',
    });
    const keys = await lib.presentableKeys(credential);
    const frame: Record<string, unknown> = {};
    for (const k of keys) {
      const [head, rest] = k.split('.') as [string, string | undefined];
      if (rest === undefined) frame[head] ??= true;
      else
        frame[head] = { ...(typeof frame[head] === 'object' ? (frame[head] as object) : {}), [rest]: true };
    }
    out.push(
      await lib.present(credential, frame as never, {
        kb: { payload: { nonce: NONCE, aud: AUD, iat: now() } },
      }),
    );
  }
  return out;
}

/** Credentials/s through the gateway's nonce and credential endpoints (see the module comment). */
interface HttpRun {
  /** Credentials (nonce requests in the nonce case) per second. */
  perSecond: number;
  /** Credential requests per second (= perSecond unless batched). */
  requestsPerSecond: number;
  errors: number;
  firstError?: string;
  /** Mean latency per request kind, ms (wallet side). */
  nonceMs: number;
  credentialMs: number;
  /** The gateway's event loop busy time per completed iteration, ms (inflated when the machine is loaded). */
  serverMsPerCredential: number;
  /** CPU time of the whole process (gateway and wallet threads) per completed iteration, ms. */
  processCpuMsPerCredential: number;
  /**
   * CPU time of the gateway's thread (the main thread: HTTP, oidc-provider, our hook, SQLite) per completed
   * iteration, ms; the least load-sensitive figure. Linux only (/proc/thread-self), else undefined.
   */
  gatewayCpuMsPerCredential?: number;
  /**
   * Process CPU minus the wallet thread's, per completed iteration, ms: the gateway with the work it hands
   * to other threads (WebCrypto and sealing jobs on libuv's pool, GC helpers). 1000 / this is what one core
   * would serve. Linux only, else undefined.
   */
  gatewayAllCpuMsPerCredential?: number;
  /** CPU time of the wallet thread per completed iteration, ms (Linux only). */
  walletCpuMsPerCredential?: number;
}

/** Proofs (credentials) per request of the batch case. */
const BATCH = 10;

async function httpIssue(
  seconds: number,
  nonceOnly = false,
  batch = 1,
  /** The issuer's `issuanceThreads`; undefined = its default (cores − 1, at most 2). */
  issuanceThreads?: number,
): Promise<HttpRun> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kakehashi-bench-eudi-'));
  const cb = 'http://127.0.0.1:9/wallet/cb';
  const gateway = await createGateway(
    loadConfigObject(
      {
        issuer,
        listen: { host: '127.0.0.1', port },
        dataDir,
        devMode: true,
        store: { kind: 'sqlite' },
        keys: { source: 'generate' },
        sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'high' } }],
        targets: [
          {
            adapter: 'eudi-issuer',
            name: 'eudi',
            // A large list: random index allocation must not run out during the run.
            options: {
              wallets: [{ client_id: 'bench-wallet', redirect_uris: [cb] }],
              statusListSize: 1_048_576,
              ...(issuanceThreads !== undefined && { issuanceThreads }),
            },
          },
        ],
        log: { level: 'silent' },
      },
      {},
    ),
    { env: {}, log: pino({ level: 'silent' }) },
  );
  await gateway.listen(port, '127.0.0.1');
  try {
    const wallet = new TestWallet(issuer, 'bench-wallet', cb, false);
    const { accessToken } = await wallet.authorize('jp_pid_style', new TestBrowser());
    const m = await wallet.metadata();
    const input: HttpIssueInput = {
      issuer,
      nonceEndpoint: m.nonce_endpoint,
      credentialEndpoint: m.credential_endpoint,
      accessToken,
      configurationId: PID_CONFIGURATION_ID,
      clientId: 'bench-wallet',
      concurrency: 4,
      warmupSeconds: Math.min(2, seconds),
      seconds,
      nonceOnly,
      batch,
    };
    // The gateway's event loop busy time while the wallet measures: server cost per credential.
    let elu0: EventLoopUtilization | undefined;
    let busyMs = 0;
    let cpu0: NodeJS.CpuUsage | undefined;
    let thread0: number | undefined;
    let threadMs: number | undefined;
    // EUDI_BENCH_PROFILE=1: a CPU profile of the gateway thread during the measured phase only.
    const profile = process.env.EUDI_BENCH_PROFILE ? new Session() : undefined;
    if (profile) {
      profile.connect();
      await profile.post('Profiler.enable');
    }
    let cpuMs = 0;
    const r = await new Promise<HttpIssueResult>((resolve, reject) => {
      const w = startModuleWorker(new URL('./eudi-http-worker.ts', import.meta.url), { workerData: input });
      w.on('message', (m: HttpIssueResult | 'measuring') => {
        if (m === 'measuring') {
          elu0 = performance.eventLoopUtilization();
          cpu0 = process.cpuUsage();
          thread0 = threadCpuMs();
          if (profile) void profile.post('Profiler.start');
          return;
        }
        if (elu0) busyMs = performance.eventLoopUtilization(elu0).active;
        if (cpu0) {
          const d = process.cpuUsage(cpu0);
          cpuMs = (d.user + d.system) / 1000;
        }
        const thread1 = threadCpuMs();
        if (thread0 !== undefined && thread1 !== undefined) threadMs = thread1 - thread0;
        void (async () => {
          if (profile) {
            const { profile: p } = await profile.post('Profiler.stop');
            const kind = nonceOnly ? 'nonce' : batch > 1 ? 'issue-batch' : 'issue';
            const file = join(tmpdir(), `eudi-${kind}-${Date.now()}.cpuprofile`);
            writeFileSync(file, JSON.stringify(p));
            console.log(`eudi: gateway CPU profile of the measured phase: ${file}`);
          }
          resolve(m);
          void w.terminate();
        })();
      });
      w.once('error', reject);
    });
    return {
      perSecond: r.ok / (r.elapsedMs / 1000),
      requestsPerSecond: r.requests / (r.elapsedMs / 1000),
      errors: r.errors,
      nonceMs: r.nonceMs,
      credentialMs: r.credentialMs,
      serverMsPerCredential: busyMs / Math.max(1, r.ok),
      processCpuMsPerCredential: cpuMs / Math.max(1, r.ok),
      ...(threadMs !== undefined && { gatewayCpuMsPerCredential: threadMs / Math.max(1, r.ok) }),
      ...(r.walletCpuMs !== undefined && {
        walletCpuMsPerCredential: r.walletCpuMs / Math.max(1, r.ok),
        gatewayAllCpuMsPerCredential: (cpuMs - r.walletCpuMs) / Math.max(1, r.ok),
      }),
      ...(r.firstError && { firstError: r.firstError }),
    };
  } finally {
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => n.toFixed(0);
const ms = (n: number | undefined) => n?.toFixed(2) ?? 'n/a';
/** The CPU figures of an HTTP run, per iteration. */
const cpuLine = (r: HttpRun) =>
  `gateway CPU ${ms(r.gatewayAllCpuMsPerCredential)} ms (its main thread ${ms(r.gatewayCpuMsPerCredential)} ms; one core would serve ${r.gatewayAllCpuMsPerCredential ? fmt(1000 / r.gatewayAllCpuMsPerCredential) : 'n/a'}/s), wallet thread ${ms(r.walletCpuMsPerCredential)} ms, event loop busy ${r.serverMsPerCredential.toFixed(2)} ms`;
const goal = (n: number) => ` (goal >= ${GOAL}/s: ${n >= GOAL ? 'met' : 'MISSED'})`;

/** The EUDI group of `npm run bench:micro`. */
export const eudiGroup = {
  name: 'eudi',
  async run(seconds: number, select: (caseName: string) => boolean): Promise<void> {
    const want = (c: string) => select(`eudi-${c}`);
    const names = [
      'raw-issue',
      'issue',
      'service-issue',
      'raw-verify',
      'verify',
      'verify-nostatus',
      'raw-verify-parallel',
      'verify-parallel',
      'http-nonce',
      'http-issue',
      'http-issue-batch',
    ];
    if (!names.some(want)) return;
    console.log(
      `eudi: load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const f = await fixture();
    const rates: Record<string, Rate> = {};
    const report = (c: string, r: Rate, unit: string, what: string, base?: string, withGoal = false) => {
      rates[c] = r;
      const b = base && rates[base];
      const ratio = b ? ` = ${(r.perSecond / b.perSecond).toFixed(2)} x ${base}` : '';
      console.log(
        `eudi-${c}: ${fmt(r.perSecond)} ${unit}/s (${what}; ${r.cpuMs.toFixed(3)} ms CPU each)${ratio}${withGoal ? goal(r.perSecond) : ''}`,
      );
    };

    // The raw baselines run when selected (the default runs every case; ratios need both in one run).
    if (want('raw-issue'))
      report(
        'raw-issue',
        await measure(seconds, await rawIssuer(f)),
        'credentials',
        '@sd-jwt/sd-jwt-vc issue',
      );
    if (want('issue'))
      report(
        'issue',
        await measure(seconds, (i) => ourIssue(f, i)),
        'credentials',
        'issuePidCredential',
        'raw-issue',
      );
    if (want('service-issue')) {
      const service = await createCredentialService(issuerContext(), {
        vct: JP_PID_STYLE_VCT,
        issuingAuthority: 'Kakehashi bench issuer',
        issuingCountry: 'JP',
        validityDays: 365,
        mdocValidityDays: 7,
        statusListSize: 1_048_576,
        statusListTtlSeconds: 300,
        // The service's own cost, on this thread (a round trip to a worker per awaited call measures latency).
        issuanceThreads: 0,
      });
      const r = await measure(seconds, (i) =>
        service.issueFor('bench-account', f.holders[i % f.holders.length]!.publicJwk),
      );
      await service.close();
      report('service-issue', r, 'credentials', 'credential service issueFor', 'raw-issue');
    }
    if (
      want('raw-verify') ||
      want('verify') ||
      want('verify-nostatus') ||
      want('raw-verify-parallel') ||
      want('verify-parallel')
    ) {
      const ps = await presentations(f);
      const issuerVerifier = await ES256.getVerifier(f.issuer.signer.publicJwk);
      const raw = new SDJwtVcInstance({
        hasher: digest,
        verifier: issuerVerifier,
        statusVerifier: issuerVerifier,
        kbVerifier: async (data, sig, payload) =>
          (await ES256.getVerifier((payload.cnf as { jwk: JWK }).jwk))(data, sig),
        statusListFetcher: async () => f.statusToken,
      });
      const check = await raw.verify(ps[0]!, { keyBindingNonce: NONCE });
      if (!check.kb) throw new Error('raw verify did not check the key binding');
      if (want('raw-verify')) {
        const r = await measure(seconds, (i) => raw.verify(ps[i % ps.length]!, { keyBindingNonce: NONCE }));
        report('raw-verify', r, 'verifications', '@sd-jwt/sd-jwt-vc verify, status list included');
      }
      const trustList = createTrustList([
        { name: 'bench', anchors: [f.issuer.rootPem], vcts: [JP_PID_STYLE_VCT], loa: 'high' },
      ]);
      const ours = (list: string[]) => (i: number) =>
        verifyPresentation({
          presentation: list[i % list.length]!,
          trustList,
          nonce: NONCE,
          audience: AUD,
          nowSeconds: now(),
          fetchStatusList: async () => f.statusToken,
          vcts: [JP_PID_STYLE_VCT],
        });
      if (want('verify'))
        report(
          'verify',
          await measure(seconds, ours(ps)),
          'verifications',
          'verifyPresentation',
          'raw-verify',
          true,
        );
      if (want('raw-verify-parallel')) {
        const r = await measureParallel(seconds, IN_FLIGHT, (i) =>
          raw.verify(ps[i % ps.length]!, { keyBindingNonce: NONCE }),
        );
        report(
          'raw-verify-parallel',
          r,
          'verifications',
          `@sd-jwt/sd-jwt-vc verify, status list included, ${IN_FLIGHT} in flight`,
        );
      }
      if (want('verify-parallel'))
        report(
          'verify-parallel',
          await measureParallel(seconds, IN_FLIGHT, ours(ps)),
          'verifications',
          `verifyPresentation, ${IN_FLIGHT} in flight (signature checks on the thread pool overlap the main thread)`,
          'raw-verify-parallel',
          true,
        );
      // Without a status claim: the raw library decodes the whole status list on every verification
      // (our verifier decodes a fetched list once), so this pair compares the rest of the work.
      if (want('verify-nostatus')) {
        const bare = await presentations(f, false);
        const r = await measure(seconds, (i) =>
          raw.verify(bare[i % bare.length]!, { keyBindingNonce: NONCE }),
        );
        report('raw-verify-nostatus', r, 'verifications', '@sd-jwt/sd-jwt-vc verify, no status claim');
        report(
          'verify-nostatus',
          await measure(seconds, ours(bare)),
          'verifications',
          'verifyPresentation, no status claim',
          'raw-verify-nostatus',
        );
      }
    }
    if (want('http-nonce')) {
      const r = await httpIssue(seconds, true);
      console.log(
        `eudi-http-nonce: ${fmt(r.perSecond)} nonce requests/s (the gateway's HTTP cost alone, 4 concurrent; per request: ${cpuLine(r)})`,
      );
    }
    // `--only eudi-http-issue` selects the issue cases, `--only issue-batch` the two batch cases.
    let batchRate: number | undefined;
    if (want('http-issue')) {
      const r = await httpIssue(seconds);
      if (r.errors) console.log(`eudi-http-issue: ${r.errors} failed requests, first: ${r.firstError}`);
      console.log(
        `eudi-http-issue: ${fmt(r.perSecond)} credentials/s over HTTP (nonce + proof + credential, 4 concurrent; mean nonce ${r.nonceMs.toFixed(1)} ms, credential ${r.credentialMs.toFixed(1)} ms; per credential: ${cpuLine(r)})${goal(r.perSecond)}`,
      );
    }
    if (want('http-issue-batch')) {
      const r = await httpIssue(seconds, false, BATCH);
      if (r.errors) console.log(`eudi-http-issue-batch: ${r.errors} failed requests, first: ${r.firstError}`);
      console.log(
        `eudi-http-issue-batch: ${fmt(r.perSecond)} credentials/s over HTTP (batches of ${BATCH}: nonce + ${BATCH} proofs + one credential request, ${fmt(r.requestsPerSecond)} requests/s, 4 concurrent; mean nonce ${r.nonceMs.toFixed(1)} ms, credential request ${r.credentialMs.toFixed(1)} ms; per credential: ${cpuLine(r)})${goal(r.perSecond)}`,
      );
      batchRate = r.perSecond;
    }
    // The same with the credentials built on the event loop (issuanceThreads 0): what the worker threads add.
    if (want('http-issue-batch-inline')) {
      const r = await httpIssue(seconds, false, BATCH, 0);
      if (r.errors)
        console.log(`eudi-http-issue-batch-inline: ${r.errors} failed requests, first: ${r.firstError}`);
      console.log(
        `eudi-http-issue-batch-inline: ${fmt(r.perSecond)} credentials/s over HTTP (as eudi-http-issue-batch, credentials built on the event loop: issuanceThreads 0; per credential: ${cpuLine(r)})${batchRate ? ` ; eudi-http-issue-batch = ${(batchRate / r.perSecond).toFixed(2)} x this` : ''}`,
      );
    }
  },
};
