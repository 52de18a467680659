/**
 * Runs @opengovsg/mockpass (the registry's independent Singpass mock) as a child
 * process on a loopback port. Its Singpass v2 (NDI OIDC) flow verifies our
 * private_key_jwt against `SP_RP_JWKS_ENDPOINT` and encrypts the ID token to
 * the `use: enc` key found there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from '../../../helpers/gateway.js';

export interface Mockpass {
  base: string;
  /** Singpass v2 issuer. */
  issuer: string;
  close(): Promise<void>;
}

export async function startMockpass(rpJwksEndpoint: string): Promise<Mockpass> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@opengovsg/mockpass/package.json'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(dir, 'index.js')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      MOCKPASS_PORT: String(port),
      SP_RP_JWKS_ENDPOINT: rpJwksEndpoint,
      SHOW_LOGIN_PAGE: 'false',
    },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  const issuer = `${base}/singpass/v2`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`mockpass exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (i > 100) throw new Error('mockpass did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
