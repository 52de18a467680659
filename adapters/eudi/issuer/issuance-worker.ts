/**
 * Entry of an issuance worker thread (issuance-pool.ts): builds and signs SD-JWT VCs with the issuer key it was
 * started with. Input was checked by the main thread; it holds nothing between messages, logs nothing, and
 * answers each message with the credentials in order or with an error code (never a message or a stack).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isGatewayError } from '../../../src/core/errors.js';
import type { IssuanceReply, IssuanceRequest, IssuanceWorkerData } from './issuance-pool.js';
import { issuePidBatch } from './issue-credential.js';
import { createIssuerSigner } from './issuer-signer.js';

const port = parentPort;
if (!port) throw new Error('issuance-worker.ts runs as a worker thread');
const data = workerData as IssuanceWorkerData;
const signer = createIssuerSigner(data.privateJwk, data.publicJwk, data.x5c);

port.on('message', (m: IssuanceRequest) => {
  void (async (): Promise<IssuanceReply> => {
    try {
      return { id: m.id, credentials: await issuePidBatch(m.common, m.items, signer) };
    } catch (e) {
      // A gateway error's code (no message, no stack); anything else becomes "unavailable" on the main thread.
      return { id: m.id, error: isGatewayError(e) ? e.code : 'ERR_EUDI_INTERNAL' };
    }
  })().then((reply) => port.postMessage(reply));
});
