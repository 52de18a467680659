/**
 * `npm run bench`: runs a benchmark suite from the registry and prints
 * throughput, latency percentiles and the suite's comparisons against goals.
 *
 *   npm run bench -- [--suite gateway-core] [--case NAME ...] [--concurrency 16]
 *                    [--seconds 10] [--warmup 3] [--rounds 1] [--json] [--check]
 *
 * Each run starts a fresh target on the main thread, warms up, then measures
 * for --seconds with --concurrency virtual users in a load worker thread.
 * --rounds R repeats the whole sequence R times (interleaving the cases, which
 * evens out load from other processes); runs of a case are then combined.
 * --check exits 1 when a goal is missed; any failed iteration always exits 1.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runLoad } from './load.js';
import { type Comparison, cases, DEFAULT_SUITE, suites } from './registry.js';
import { formatTable, type RunSummary, summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: DEFAULT_SUITE },
    case: { type: 'string', multiple: true },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return n;
}

if (values.help) {
  console.log(`suites: ${Object.keys(suites).join(', ')}\ncases:`);
  for (const c of Object.values(cases)) console.log(`  ${c.name}: ${c.description}`);
  process.exit(0);
}

const suite = suites[values.suite];
if (!suite) throw new Error(`unknown suite ${values.suite} (known: ${Object.keys(suites).join(', ')})`);
const rounds = Math.round(positive('rounds', values.rounds));
const sequence = Array.from({ length: rounds }, () => values.case ?? suite.sequence).flat();
for (const name of sequence) if (!cases[name]) throw new Error(`unknown case ${name}`);
const comparisons = values.case?.length ? [] : suite.comparisons;
const options = {
  concurrency: Math.round(positive('concurrency', values.concurrency)),
  seconds: positive('seconds', values.seconds),
  warmupSeconds: positive('warmup', values.warmup),
};

const cpu = cpus();
console.log(`Kakehashi bench: ${values.case?.length ? values.case.join(', ') : `suite ${values.suite}`}`);
console.log(
  `node ${process.version}, ${cpu.length} CPU (${cpu[0]?.model.trim() ?? '?'}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `concurrency ${options.concurrency}, warm-up ${options.warmupSeconds} s, measure ${options.seconds} s per run, ${rounds} round(s)\n`,
);

const runs: RunSummary[] = [];
for (const [i, name] of sequence.entries()) {
  const target = await cases[name]!.start();
  try {
    process.stdout.write(`run ${i + 1}/${sequence.length}: ${name} ... `);
    const summary = summarize(name, await runLoad(target.workload, options));
    runs.push(summary);
    console.log(`${summary.flowsPerSecond.toFixed(1)} flows/s, p99 ${summary.p99Ms.toFixed(1)} ms`);
    if (summary.errors) console.log(`  ${summary.errors} failed iterations; first: ${summary.firstError}`);
  } finally {
    await target.close();
  }
}

/** Runs of one case combined: mean throughput and p50, worst p99. */
function aggregate(name: string) {
  const mine = runs.filter((r) => r.name === name);
  const mean = (f: (r: RunSummary) => number) => mine.reduce((s, r) => s + f(r), 0) / mine.length;
  const fps = mine.map((r) => r.flowsPerSecond);
  return {
    runs: mine.length,
    flowsPerSecond: mean((r) => r.flowsPerSecond),
    p50Ms: mean((r) => r.p50Ms),
    p99Ms: Math.max(...mine.map((r) => r.p99Ms)),
    serverCpuMsPerFlow: mean((r) => r.serverCpuMsPerFlow),
    spread: mine.length > 1 ? (Math.max(...fps) - Math.min(...fps)) / Math.min(...fps) : 0,
  };
}

function compare(c: Comparison) {
  const s = aggregate(c.subject);
  const b = aggregate(c.baseline);
  const ratio = s.flowsPerSecond / b.flowsPerSecond;
  return {
    ...c,
    ratio,
    p50Ratio: s.p50Ms / b.p50Ms,
    subjectP99Ms: s.p99Ms,
    baselineP99Ms: b.p99Ms,
    subjectSpread: s.spread,
    subjectCpuMsPerFlow: s.serverCpuMsPerFlow,
    baselineCpuMsPerFlow: b.serverCpuMsPerFlow,
    // Baseline CPU over subject CPU per flow: the throughput ratio a CPU-bound server would reach on an idle machine.
    cpuRatio: b.serverCpuMsPerFlow / s.serverCpuMsPerFlow,
    ratioOk: c.minRatio === undefined || ratio >= c.minRatio,
    p99Ok: c.maxP99Ms === undefined || s.p99Ms < c.maxP99Ms,
  };
}

console.log(`\n${formatTable(runs)}\n`);
const results = comparisons.map(compare);
for (const r of results) {
  const goal = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(`${r.subject} / ${r.baseline}:`);
  console.log(
    `  throughput ratio ${r.ratio.toFixed(2)}${r.minRatio === undefined ? '' : ` (goal >= ${r.minRatio}: ${goal(r.ratioOk)})`}`,
  );
  console.log(`  p50 latency ratio ${r.p50Ratio.toFixed(2)}`);
  console.log(
    `  ${r.subject} p99 ${r.subjectP99Ms.toFixed(1)} ms${r.maxP99Ms === undefined ? '' : ` (goal < ${r.maxP99Ms} ms: ${goal(r.p99Ok)})`}; ${r.baseline} p99 ${r.baselineP99Ms.toFixed(1)} ms`,
  );
  if (Number.isFinite(r.cpuRatio))
    console.log(
      `  server CPU per flow ${r.subjectCpuMsPerFlow.toFixed(2)} ms vs ${r.baselineCpuMsPerFlow.toFixed(2)} ms (ratio ${r.cpuRatio.toFixed(2)})`,
    );
  if (r.subjectSpread > 0.1)
    console.log(`  noisy: ${r.subject} runs differ by ${(r.subjectSpread * 100).toFixed(0)}% (other load?)`);
}
if (values.json) console.log(JSON.stringify({ options, runs, comparisons: results }, null, 2));

const failed = runs.some((r) => r.errors > 0);
const missed = results.some((r) => !r.ratioOk || !r.p99Ok);
process.exitCode = failed || (values.check && missed) ? 1 : 0;
