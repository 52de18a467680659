/** Summary statistics and formatting for benchmark runs. */
import type { LoadResult } from './load.js';

export interface RunSummary {
  name: string;
  flowsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  ok: number;
  errors: number;
  firstError?: string;
  /** Main-thread (server) CPU ms per completed flow; NaN where the platform cannot tell. */
  serverCpuMsPerFlow: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(name: string, r: LoadResult): RunSummary {
  return {
    name,
    flowsPerSecond: r.ok / (r.elapsedMs / 1000),
    p50Ms: percentile(r.latenciesMs, 50),
    p90Ms: percentile(r.latenciesMs, 90),
    p99Ms: percentile(r.latenciesMs, 99),
    maxMs: r.latenciesMs.length ? r.latenciesMs[r.latenciesMs.length - 1]! : Number.NaN,
    ok: r.ok,
    errors: r.errors,
    serverCpuMsPerFlow: r.serverCpuMs !== undefined && r.ok > 0 ? r.serverCpuMs / r.ok : Number.NaN,
    ...(r.firstError !== undefined && { firstError: r.firstError }),
  };
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');

export function formatTable(rows: readonly RunSummary[]): string {
  const head = ['run', 'flows/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'ok', 'errors', 'cpu ms/flow'];
  const body = rows.map((r) => [
    r.name,
    f1(r.flowsPerSecond),
    f1(r.p50Ms),
    f1(r.p90Ms),
    f1(r.p99Ms),
    f1(r.maxMs),
    String(r.ok),
    String(r.errors),
    f2(r.serverCpuMsPerFlow),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
