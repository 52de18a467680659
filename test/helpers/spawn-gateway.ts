/** Starts test/helpers/gateway-process.ts as a child process and waits for READY. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Secrets shared by every instance of one deployment (what an operator puts in the environment). */
export async function sharedSecrets(): Promise<Record<string, string>> {
  const es = await generateKeyPair('ES256', { extractable: true });
  const rs = await generateKeyPair('RS256', { extractable: true });
  return {
    KAKEHASHI_SIGNING_KEYS: JSON.stringify([
      { ...(await exportJWK(es.privateKey)), alg: 'ES256' },
      { ...(await exportJWK(rs.privateKey)), alg: 'RS256' },
    ]),
    KAKEHASHI_SEAL_KEY: randomBytes(32).toString('base64url'),
    KAKEHASHI_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    KAKEHASHI_PEPPER: randomBytes(32).toString('base64url'),
  };
}

/**
 * KAKEHASHI_ADAPTER_KEYS for the given adapter key purposes (`<instance>:<purpose>`, e.g. `eudi:issuer`): one
 * fresh ES256 private JWK each, as an operator would generate once and give to every instance.
 */
export async function adapterKeys(purposes: readonly string[]): Promise<Record<string, string>> {
  const map: Record<string, unknown> = {};
  for (const purpose of purposes) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    map[purpose] = { ...(await exportJWK(privateKey)), alg: 'ES256' };
  }
  return { KAKEHASHI_ADAPTER_KEYS: JSON.stringify(map) };
}

export function spawnGateway(config: object, env: Record<string, string>): Promise<GatewayProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/gateway-process.ts'], {
      env: { ...process.env, ...env, KAKEHASHI_TEST_CONFIG: JSON.stringify(config), NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`gateway process did not start:\n${err}`)), 30_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          child,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!/READY/.test(out)) reject(new Error(`gateway process exited with ${code}:\n${err}`));
    });
  });
}
