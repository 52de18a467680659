/**
 * A worker thread running one of our modules. The sources are TypeScript run through tsx (bin/kakehashi.js),
 * and tsx's loader hooks do not reach worker threads on Node 20: a `.ts` entry registers them inside the worker
 * before importing it; a built `.js` entry starts directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startModuleWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const bootstrap = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(entry.href)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
