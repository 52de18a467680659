/**
 * The wallet side of the `eudi` group's HTTP issuance case, in a worker thread so its JWT signing does not
 * share the gateway's event loop: each virtual user loops nonce request -> `openid4vci-proof+jwt` over its
 * holder key -> credential request with the prepared access token.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

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
}

export interface HttpIssueResult {
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly elapsedMs: number;
  /** Mean latency of the nonce and the credential request, ms. */
  readonly nonceMs: number;
  readonly credentialMs: number;
}

const input = workerData as HttpIssueInput;

interface Counts {
  ok: number;
  errors: number;
  firstError?: string;
  nonceMs: number;
  credentialMs: number;
}

async function user(deadline: number, counts: Counts) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  while (performance.now() < deadline) {
    try {
      const t0 = performance.now();
      const n = await fetch(input.nonceEndpoint, { method: 'POST' });
      const { c_nonce } = (await n.json()) as { c_nonce: string };
      counts.nonceMs += performance.now() - t0;
      if (input.nonceOnly) {
        if (n.status !== 200 || !c_nonce) throw new Error(`nonce ${n.status}`);
        counts.ok++;
        continue;
      }
      const proof = await new SignJWT({ nonce: c_nonce })
        .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk })
        .setAudience(input.issuer)
        .setIssuer(input.clientId)
        .setIssuedAt()
        .sign(privateKey);
      const t1 = performance.now();
      const res = await fetch(input.credentialEndpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${input.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          credential_configuration_id: input.configurationId,
          proofs: { jwt: [proof] },
        }),
      });
      const body = (await res.json()) as { credentials?: { credential: string }[] };
      counts.credentialMs += performance.now() - t1;
      if (res.status !== 200 || !body.credentials?.[0]?.credential)
        throw new Error(`credential ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      counts.ok++;
    } catch (e) {
      counts.errors++;
      counts.firstError ??= e instanceof Error ? e.message : String(e);
    }
  }
}

async function phase(seconds: number) {
  const counts: Counts = { ok: 0, errors: 0, nonceMs: 0, credentialMs: 0 };
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(Array.from({ length: input.concurrency }, () => user(deadline, counts)));
  const done = Math.max(1, counts.ok + counts.errors);
  return {
    ...counts,
    nonceMs: counts.nonceMs / done,
    credentialMs: counts.credentialMs / done,
    elapsedMs: performance.now() - start,
  };
}

await phase(input.warmupSeconds);
parentPort?.postMessage('measuring');
const result: HttpIssueResult = await phase(input.seconds);
parentPort?.postMessage(result);
