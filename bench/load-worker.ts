/** The load worker thread: warm up, then measure, then post a LoadResult. */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { LoadResult, WorkerInput } from './load.js';
import { createWorkload } from './workloads/index.js';

const input = workerData as WorkerInput;
const iteration = await createWorkload(input.spec);

async function phase(seconds: number, record: boolean) {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const user = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await iteration();
        if (record) latencies.push(performance.now() - t0);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, user));
  return { latencies, errors, firstError, elapsedMs: performance.now() - start };
}

await phase(input.warmupSeconds, false);
// The main thread starts its server-CPU clock here (see load.ts).
parentPort?.postMessage({ phase: 'measure' });
const m = await phase(input.seconds, true);
const latenciesMs = Float64Array.from(m.latencies).sort();
const result: LoadResult = {
  ok: latenciesMs.length,
  errors: m.errors,
  ...(m.firstError !== undefined && { firstError: m.firstError }),
  elapsedMs: m.elapsedMs,
  latenciesMs,
};
parentPort?.postMessage(result, [latenciesMs.buffer]);
