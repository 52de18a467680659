/**
 * Runs a workload with N concurrent virtual users in a worker thread, so the
 * load generator's CPU work (JWT signing, ID token checks, HTML parsing) does
 * not share the event loop of the server under test, which stays on the main
 * thread. One process, two threads.
 */
import { startModuleWorker } from '../src/core/module-worker.js';
import { threadCpuMs } from './thread-cpu.js';
import type { WorkloadSpec } from './workloads/index.js';

export interface LoadOptions {
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
}

export interface LoadResult {
  ok: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Per-iteration latency of successful iterations, ms, sorted ascending. */
  latenciesMs: Float64Array;
  /**
   * CPU time (user + system) of the main thread, the server under test, during the measured phase, ms.
   * Less sensitive to other load on the machine than flows/s. Linux only (/proc/thread-self); else undefined.
   */
  serverCpuMs?: number;
}

export interface WorkerInput extends LoadOptions {
  spec: WorkloadSpec;
}

const WORKER_URL = new URL('./load-worker.ts', import.meta.url);

export function runLoad(spec: WorkloadSpec, options: LoadOptions): Promise<LoadResult> {
  const input: WorkerInput = { ...options, spec };
  return new Promise((resolve, reject) => {
    const worker = startModuleWorker(WORKER_URL, { workerData: input });
    let cpuAtStart: number | undefined;
    worker.on('message', (message: LoadResult | { phase: 'measure' }) => {
      if ('phase' in message) {
        cpuAtStart = threadCpuMs();
        return;
      }
      const cpuAtEnd = threadCpuMs();
      resolve({
        ...message,
        ...(cpuAtStart !== undefined && cpuAtEnd !== undefined && { serverCpuMs: cpuAtEnd - cpuAtStart }),
      });
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}
