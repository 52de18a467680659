/**
 * SD-JWT VC issuance on worker threads. Building a PID credential (disclosures, digests, the ES256 signature)
 * is ~0.4 ms of CPU that needs nothing from the request but its inputs; on the event loop it competes with the
 * HTTP, token and proof work of every other request. With `threads` > 0 the credentials of a request are built
 * by one of `threads` workers (the least busy; a request's batch goes to one worker as one message), so the
 * main thread keeps serving. `threads` = 0 issues on the calling thread (a one-core machine).
 *
 * The workers get the issuer's private JWK in `workerData` (in-process memory, as the main thread holds it)
 * and the identity of each request in its message; they store and log nothing. A worker is started on first
 * use (it loads tsx and @sd-jwt: a few hundred ms), keeps the process alive only while it has requests, and is
 * replaced when it dies or hangs: the requests it had are refused with ERR_EUDI_ISSUER_UNAVAILABLE (a 500
 * credential error, the wallet may retry), never left waiting.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { GatewayError } from '../../../src/core/errors.js';
import { startModuleWorker } from '../../../src/core/module-worker.js';
import { EUDI_ERRORS, type EudiErrorCode, eudiError } from '../errors.js';
import { issuePidBatch, type PidBatchCommon, type PidBatchItem } from './issue-credential.js';
import type { IssuerSigner } from './issuer-signer.js';

export interface IssuanceRequest {
  readonly id: number;
  readonly common: PidBatchCommon;
  readonly items: readonly PidBatchItem[];
}
export type IssuanceReply =
  | { readonly id: number; readonly credentials: readonly string[] }
  | { readonly id: number; readonly error: string };
export interface IssuanceWorkerData {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
  readonly x5c: readonly string[];
}

export interface IssuancePool {
  /** The compact SD-JWT VCs, in the order of `items`. */
  issue(common: PidBatchCommon, items: readonly PidBatchItem[]): Promise<string[]>;
  /** Workers currently running (for tests and metrics). */
  readonly running: number;
  close(): Promise<void>;
}

/** The default: one worker per core beyond the first, at most 2 (one on the 2-core reference machine). */
export function defaultIssuanceThreads(): number {
  return Math.max(0, Math.min(2, availableParallelism() - 1));
}

interface Pending {
  resolve(credentials: string[]): void;
  reject(e: unknown): void;
  readonly count: number;
  readonly timer: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Credentials asked of this worker and not answered yet (least-busy routing). */
  load: number;
  /** Give up on this worker: refuse what it has, stop it (a timeout). */
  giveUp(cause: unknown): void;
}

/** An error that is the pool's own (a worker died, did not start, or failed unexpectedly): a 500, the wallet may retry. */
function unavailable(cause?: unknown) {
  return new GatewayError('ERR_EUDI_ISSUER_UNAVAILABLE', EUDI_ERRORS.ERR_EUDI_ISSUER_UNAVAILABLE, {
    oauth: 'server_error',
    status: 500,
    ...(cause !== undefined && { cause }),
  });
}

/** A worker's error code back into the error the calling thread would have thrown. */
function workerError(code: string) {
  return code in EUDI_ERRORS && code !== 'ERR_EUDI_INTERNAL'
    ? eudiError(code as EudiErrorCode, { oauth: 'invalid_request' })
    : unavailable();
}

export function createIssuancePool(input: {
  readonly signer: IssuerSigner;
  readonly privateJwk: JWK;
  readonly threads: number;
  readonly logger?: Logger;
  /** Worker entry; tests point it at a failing script. Default: issuance-worker.ts (or .js when built). */
  readonly workerUrl?: URL;
  /**
   * A request the worker has not answered in this time fails, and so does the worker (it is stopped and
   * replaced): a credential takes well under a millisecond, so this only ever fires on a hung thread.
   */
  readonly timeoutMs?: number;
}): IssuancePool {
  const { signer, threads } = input;
  if (threads <= 0) {
    return {
      running: 0,
      issue: (common, items) => issuePidBatch(common, items, signer),
      async close() {},
    };
  }
  const data: IssuanceWorkerData = {
    privateJwk: input.privateJwk,
    publicJwk: signer.publicJwk,
    x5c: signer.x5c,
  };
  const url =
    input.workerUrl ??
    new URL(
      import.meta.url.endsWith('.ts') ? './issuance-worker.ts' : './issuance-worker.js',
      import.meta.url,
    );
  const slots: (Slot | undefined)[] = new Array(threads).fill(undefined);
  let nextId = 1;
  let closed = false;
  const timeoutMs = input.timeoutMs ?? 10_000;

  function start(index: number): Slot {
    const worker = startModuleWorker(url, { workerData: data });
    // Refuse what this worker has and stop routing to it (it died, or is being stopped).
    function fail(cause: unknown) {
      if (slots[index] === slot) slots[index] = undefined;
      for (const p of slot.pending.values()) {
        clearTimeout(p.timer);
        p.reject(unavailable(cause));
      }
      slot.pending.clear();
      slot.load = 0;
    }
    function giveUp(cause: unknown) {
      input.logger?.error({ timeoutMs }, 'eudi issuance worker did not answer; replacing it');
      fail(cause);
      void worker.terminate();
    }
    const slot: Slot = { worker, pending: new Map(), load: 0, giveUp };
    worker.on('message', (reply: IssuanceReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      clearTimeout(p.timer);
      slot.load -= p.count;
      if (slot.pending.size === 0) worker.unref();
      if ('credentials' in reply) p.resolve([...reply.credentials]);
      else p.reject(workerError(reply.error));
    });
    worker.on('error', (e) => {
      input.logger?.error(
        { err: { name: e.name, code: (e as { code?: unknown }).code } },
        'eudi issuance worker failed',
      );
      fail(e);
    });
    worker.on('exit', (code) => {
      if (!closed && slot.pending.size) input.logger?.error({ code }, 'eudi issuance worker exited');
      fail(new Error(`issuance worker exited with ${code}`));
    });
    // Idle workers do not keep the process alive; one with requests does (ref in issue, unref on the last
    // answer). After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    slots[index] = slot;
    return slot;
  }

  function pick(): Slot {
    let best = -1;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (!s) return start(i);
      if (best < 0 || s.load < slots[best]!.load) best = i;
    }
    return slots[best]!;
  }

  return {
    get running() {
      return slots.filter(Boolean).length;
    },
    issue(common, items) {
      if (closed) return Promise.reject(unavailable());
      if (items.length === 0) return Promise.resolve([]);
      const slot = pick();
      const id = nextId++;
      return new Promise<string[]>((resolve, reject) => {
        const request: IssuanceRequest = { id, common, items };
        const timer = setTimeout(() => slot.giveUp(new Error('issuance worker timed out')), timeoutMs);
        timer.unref();
        if (slot.pending.size === 0) slot.worker.ref();
        slot.pending.set(id, { resolve, reject, count: items.length, timer });
        slot.load += items.length;
        try {
          slot.worker.postMessage(request);
        } catch (e) {
          // Not cloneable (a programming error): this request fails, the worker is fine.
          slot.pending.delete(id);
          clearTimeout(timer);
          slot.load -= items.length;
          if (slot.pending.size === 0) slot.worker.unref();
          reject(unavailable(e));
        }
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s?.worker.terminate()));
      slots.fill(undefined);
    },
  };
}
