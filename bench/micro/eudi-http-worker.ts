/**
 * The wallet side of the `eudi` group's HTTP issuance case, in a worker thread so its JWT signing does not
 * share the gateway's event loop: each virtual user loops nonce request -> `openid4vci-proof+jwt` over its
 * holder key -> credential request with the prepared access token; with `batch` n, one nonce, n proofs (one per
 * holder key of the user) and one credential request for n credentials. Requests go through node:http with one
 * keep-alive connection per user (lighter than fetch, so the load generator takes less of the machine's two
 * cores from the gateway); the proof is signed with jose as before.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { threadCpuMs } from '../thread-cpu.js';

export interface HttpIssueInput {
  readonly issuer: string;
  readonly nonceEndpoint: string;
  readonly credentialEndpoint: string;
  readonly accessToken: string;
  readonly configurationId: string;
  readonly clientId: string;
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Only the nonce request (the gateway's HTTP cost without issuance), for comparison. */
  readonly nonceOnly?: boolean;
  /**
   * Proofs per credential request (batch issuance, OpenID4VCI 1.0 §8.2); each user holds this many keys,
   * generated before the measured phase, and signs one proof with each per request. Default 1.
   */
  readonly batch?: number;
}

export interface HttpIssueResult {
  /** Credentials received (nonce requests with `nonceOnly`). */
  readonly ok: number;
  /** Completed iterations (nonce + credential request). */
  readonly requests: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly elapsedMs: number;
  /** Mean latency of the nonce and the credential request, ms. */
  readonly nonceMs: number;
  readonly credentialMs: number;
  /** CPU time of this worker thread (the wallet) during the phase, ms; undefined off Linux. */
  readonly walletCpuMs?: number;
}

const input = workerData as HttpIssueInput;

interface Counts {
  ok: number;
  requests: number;
  errors: number;
  firstError?: string;
  nonceMs: number;
  credentialMs: number;
}

function post(
  agent: Agent,
  url: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            });
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

type Key = { privateKey: CryptoKey; jwk: JWK };
const newKey = async (): Promise<Key> => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: await exportJWK(publicKey) };
};

async function user(keys: readonly Key[], deadline: number, counts: Counts) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { authorization: `Bearer ${input.accessToken}`, 'content-type': 'application/json' };
  while (performance.now() < deadline) {
    try {
      const t0 = performance.now();
      const n = await post(agent, input.nonceEndpoint);
      const { c_nonce } = n.json as { c_nonce?: string };
      counts.nonceMs += performance.now() - t0;
      if (n.status !== 200 || !c_nonce) throw new Error(`nonce ${n.status}`);
      if (input.nonceOnly) {
        counts.ok++;
        counts.requests++;
        continue;
      }
      const proofs = await Promise.all(
        keys.map(({ privateKey, jwk }) =>
          new SignJWT({ nonce: c_nonce })
            .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk })
            .setAudience(input.issuer)
            .setIssuer(input.clientId)
            .setIssuedAt()
            .sign(privateKey),
        ),
      );
      const t1 = performance.now();
      const res = await post(
        agent,
        input.credentialEndpoint,
        JSON.stringify({ credential_configuration_id: input.configurationId, proofs: { jwt: proofs } }),
        headers,
      );
      const body = res.json as { credentials?: { credential: string }[] };
      counts.credentialMs += performance.now() - t1;
      if (
        res.status !== 200 ||
        body.credentials?.length !== keys.length ||
        !body.credentials.every((c) => c.credential)
      )
        throw new Error(`credential ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      counts.ok += keys.length;
      counts.requests++;
    } catch (e) {
      counts.errors++;
      counts.firstError ??= e instanceof Error ? e.message : String(e);
    }
  }
  agent.destroy();
}

async function phase(users: readonly (readonly Key[])[], seconds: number): Promise<HttpIssueResult> {
  const counts: Counts = { ok: 0, requests: 0, errors: 0, nonceMs: 0, credentialMs: 0 };
  const start = performance.now();
  const cpu0 = threadCpuMs();
  const deadline = start + seconds * 1000;
  await Promise.all(users.map((keys) => user(keys, deadline, counts)));
  const cpu1 = threadCpuMs();
  const done = Math.max(1, counts.requests + counts.errors);
  return {
    ...counts,
    nonceMs: counts.nonceMs / done,
    credentialMs: counts.credentialMs / done,
    elapsedMs: performance.now() - start,
    ...(cpu0 !== undefined && cpu1 !== undefined && { walletCpuMs: cpu1 - cpu0 }),
  };
}

// Holder keys before any phase: the wallet's key generation is not what is measured.
const users = await Promise.all(
  Array.from({ length: input.concurrency }, () =>
    Promise.all(Array.from({ length: input.batch ?? 1 }, newKey)),
  ),
);
await phase(users, input.warmupSeconds);
parentPort?.postMessage('measuring');
const result: HttpIssueResult = await phase(users, input.seconds);
parentPort?.postMessage(result);
