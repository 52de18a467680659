import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { compactVerify, decodeJwt, importJWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIssuancePool, type IssuancePool } from '../../../adapters/eudi/issuer/issuance-pool.js';
import { createIssuerSigner, type IssuerSigner } from '../../../adapters/eudi/issuer/issuer-key.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { ISSUER, jpkiIdentity, keyPair } from './fixtures.js';

const run = promisify(execFile);
const STUB = new URL('../../fixtures/eudi/issuance-worker-stub.mjs', import.meta.url);
let issuerKeys: Awaited<ReturnType<typeof keyPair>>;
let signer: IssuerSigner;
let holders: Awaited<ReturnType<typeof keyPair>>[];
const pools: IssuancePool[] = [];

beforeAll(async () => {
  issuerKeys = await keyPair();
  signer = createIssuerSigner(issuerKeys.privateJwk, issuerKeys.publicJwk, ['AA==']);
  holders = await Promise.all([keyPair(), keyPair(), keyPair()]);
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function pool(threads: number, workerUrl?: URL, timeoutMs?: number) {
  const p = createIssuancePool({
    signer,
    privateJwk: issuerKeys.privateJwk,
    threads,
    ...(workerUrl && { workerUrl }),
    ...(timeoutMs && { timeoutMs }),
  });
  pools.push(p);
  return p;
}

const nowSeconds = Math.floor(Date.now() / 1000);
const common = {
  identity: jpkiIdentity(),
  issuer: ISSUER,
  vct: JP_PID_STYLE_VCT,
  issuingAuthority: 'Kakehashi test issuer',
  issuingCountry: 'JP',
  validitySeconds: 86_400,
  nowSeconds,
};
const items = (idx: number, n = 3) =>
  holders
    .slice(0, n)
    .map((h, i) => ({ holderJwk: h.publicJwk, status: { uri: `${ISSUER}/status/1`, idx: idx + i } }));

async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isGatewayError(e)) throw new Error(`expected a gateway error, got ${String(e)}`);
  return { code: e.code, status: e.status, oauth: e.oauth, message: e.message };
}

describe('issuance pool', () => {
  it('builds the credentials on a worker thread, in order, each bound to its own key; an independent verifier accepts them', async () => {
    const p = pool(1);
    expect(p.running).toBe(0); // started on first use
    const credentials = await p.issue(common, items(40));
    expect(p.running).toBe(1);
    expect(credentials).toHaveLength(3);
    // @sd-jwt/sd-jwt-vc resolves the disclosures, jose checks the issuer signature (no status fetch: no network).
    const sdjwt = new SDJwtVcInstance({ hasher: digest, saltGenerator: generateSalt });
    const issuerKey = await importJWK(issuerKeys.publicJwk, 'ES256');
    for (const [i, credential] of credentials.entries()) {
      await compactVerify(credential.split('~')[0]!, issuerKey);
      const payload = await (await sdjwt.decode(credential)).getClaims(digest);
      expect(payload).toMatchObject({
        iss: ISSUER,
        vct: JP_PID_STYLE_VCT,
        family_name: 'Kakehashi',
        status: { status_list: { idx: 40 + i } },
        cnf: { jwk: { x: holders[i]!.publicJwk.x, y: holders[i]!.publicJwk.y } },
      });
    }
  });

  it('with 0 threads issues on the calling thread, and the credentials have the same shape', async () => {
    const inline = pool(0);
    const [a] = await inline.issue(common, items(50, 1));
    expect(inline.running).toBe(0);
    const [b] = await pool(1).issue(common, items(50, 1));
    const shape = (c: string) => {
      const { iat: _iat, nbf: _nbf, exp: _exp, _sd, ...rest } = decodeJwt(c.split('~')[0]!);
      return { rest, disclosures: c.split('~').length, sd: (_sd as string[]).length };
    };
    expect(shape(a!)).toEqual(shape(b!));
    expect(a).not.toBe(b); // own salts
  });

  it('spreads concurrent requests over the threads', async () => {
    const p = pool(2);
    const out = await Promise.all([p.issue(common, items(60)), p.issue(common, items(70))]);
    expect(out.map((c) => c.length)).toEqual([3, 3]);
    expect(p.running).toBe(2);
  });

  it('refuses the requests of a worker that dies (500, retryable), and starts a new one for the next', async () => {
    const p = pool(1, STUB);
    expect(await p.issue(common, items(1))).toEqual(['c0', 'c1', 'c2']);
    const dying = p.issue(common, items(2));
    const queued = p.issue(common, items(1));
    expect(await refusal(dying)).toMatchObject({
      code: 'ERR_EUDI_ISSUER_UNAVAILABLE',
      status: 500,
      oauth: 'server_error',
    });
    expect(await refusal(queued)).toMatchObject({ code: 'ERR_EUDI_ISSUER_UNAVAILABLE' });
    expect(p.running).toBe(0);
    expect(await p.issue(common, items(1, 1))).toEqual(['c0']);
    expect(p.running).toBe(1);
  });

  it("passes a worker's gateway error code on, and turns any other into ERR_EUDI_ISSUER_UNAVAILABLE", async () => {
    const p = pool(1, STUB);
    expect(await refusal(p.issue(common, items(3)))).toMatchObject({
      code: 'ERR_EUDI_PROOF_INVALID',
      status: 400,
      message: 'the key proof is invalid',
    });
    expect(await refusal(p.issue(common, items(4)))).toMatchObject({
      code: 'ERR_EUDI_ISSUER_UNAVAILABLE',
      status: 500,
    });
    expect(p.running).toBe(1); // the worker itself is fine
  });

  it('refuses a request the worker does not answer in time, and replaces the worker', async () => {
    const p = pool(1, STUB, 300);
    const t0 = Date.now();
    expect(await refusal(p.issue(common, items(5)))).toMatchObject({ code: 'ERR_EUDI_ISSUER_UNAVAILABLE' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(p.running).toBe(0);
    expect(await p.issue(common, items(1, 1))).toEqual(['c0']);
  });

  it('refuses a request it cannot send (not cloneable) at once, and the worker stays in use', async () => {
    const p = pool(1, STUB, 300);
    const [thread] = await p.issue(common, items(6, 1));
    const bad = { ...common, identity: { ...common.identity, oops: () => 1 } } as never;
    expect(await refusal(p.issue(bad, items(1)))).toMatchObject({ code: 'ERR_EUDI_ISSUER_UNAVAILABLE' });
    await new Promise((r) => setTimeout(r, 400)); // past the timeout: no timer was left to stop the worker
    expect(await p.issue(common, items(6, 1))).toEqual([thread]);
  });

  it('refuses when the worker cannot start, without waiting', async () => {
    const p = pool(1, new URL('../../fixtures/eudi/no-such-worker.mjs', import.meta.url));
    expect(await refusal(p.issue(common, items(1)))).toMatchObject({ code: 'ERR_EUDI_ISSUER_UNAVAILABLE' });
  });

  it('keeps the process alive while a request is out, not once the workers are idle', async () => {
    const script = fileURLToPath(new URL('../../fixtures/eudi/pool-exits.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { timeout: 20_000 });
    expect(stdout).toContain('answered c0');
  });

  it('close() refuses what is in flight and later requests, and stops the workers', async () => {
    const p = pool(1, STUB);
    await p.issue(common, items(1));
    const hanging = p.issue(common, items(5));
    await p.close();
    expect(await refusal(hanging)).toMatchObject({ code: 'ERR_EUDI_ISSUER_UNAVAILABLE' });
    expect(await refusal(p.issue(common, items(1)))).toMatchObject({ code: 'ERR_EUDI_ISSUER_UNAVAILABLE' });
    expect(p.running).toBe(0);
  });
});
