import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  type RevocationServer,
  startRevocationServer,
  TEST_HOLDERS,
  type TestPki,
} from '../../../../adapters/jpki/pki/index.js';
import { revocationUrls } from '../../../helpers/jpki.js';

/** Independent check of the test PKI with the OpenSSL CLI (a second implementation of X.509/CRL/OCSP). */
const OPENSSL = '/usr/bin/openssl';
const available = existsSync(OPENSSL);
if (!available && process.env.CI === 'true') throw new Error('openssl is required in CI');
if (!available) console.log(`skipping OpenSSL interop tests: ${OPENSSL} not found`);

const run = promisify(execFile);
async function openssl(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(OPENSSL, args, { timeout: 20_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      out: (err.stdout ?? '') + (err.stderr ?? ''),
    };
  }
}

let pki: TestPki;
let server: RevocationServer;
let card: IssuedCard;
let dir: string;
const f = (name: string) => join(dir, name);

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(join(tmpdir(), 'jpki-openssl-'));
  pki = await createTestPki({ generations: 1 });
  server = await startRevocationServer(pki);
  card = await issueCard(pki, TEST_HOLDERS[0] as (typeof TEST_HOLDERS)[number], revocationUrls(server));
  await writeFile(f('auth-ca.pem'), pki.authCa.certificate.toString('pem'));
  await writeFile(f('sign-ca.pem'), pki.signCa.certificate.toString('pem'));
  await writeFile(f('auth-ocsp.pem'), pki.authOcspResponder.certificate.toString('pem'));
  await writeFile(f('auth.pem'), card.auth.certificate.toString('pem'));
  await writeFile(f('sign.pem'), card.sign.certificate.toString('pem'));
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('OpenSSL interop', () => {
  it('parses the certificates and shows the JPKI profile', async () => {
    const sign = await openssl(['x509', '-in', f('sign.pem'), '-noout', '-text']);
    expect(sign.code).toBe(0);
    expect(sign.out).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(sign.out).toMatch(/Certificate Policies: critical\s+Policy: 1\.2\.392\.200149\.8\.5\.1\.0\.20/);
    expect(sign.out).toContain('othername: 1.2.392.200149.8.5.5.1::山田\u3000太郎');
    expect(sign.out).toContain(`OCSP - URI:${server.ocspUrl('sign')}`);
    expect(sign.out).toContain(`URI:${server.crlUrl('sign')}`);
    const ca = await openssl(['x509', '-in', f('auth-ca.pem'), '-noout', '-text']);
    expect(ca.out).toMatch(/CA:TRUE/);
    expect(ca.out).toMatch(/Certificate Sign, CRL Sign/);
  });

  it('verifies each EE certificate against its own root only', async () => {
    expect((await openssl(['verify', '-CAfile', f('auth-ca.pem'), f('auth.pem')])).out).toContain(
      'auth.pem: OK',
    );
    expect((await openssl(['verify', '-CAfile', f('sign-ca.pem'), f('sign.pem')])).out).toContain(
      'sign.pem: OK',
    );
    const cross = await openssl(['verify', '-CAfile', f('sign-ca.pem'), f('auth.pem')]);
    expect(cross.code).not.toBe(0);
    expect(cross.out).not.toContain('auth.pem: OK');
  });

  it('verifies the CRL signature and sees the revocation', async () => {
    server.revoke(card.sign.certificate, 3);
    const der = Buffer.from(await (await fetch(server.crlUrl('sign'))).arrayBuffer());
    await writeFile(f('sign.crl'), der);
    const crl = await openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      f('sign.crl'),
      '-CAfile',
      f('sign-ca.pem'),
      '-noout',
      '-text',
    ]);
    expect(crl.out).toMatch(/verify OK/);
    expect(crl.out.toLowerCase()).toContain(
      `serial number: ${card.sign.certificate.serialNumber.toLowerCase()}`,
    );
    expect(crl.out).toMatch(/Affiliation Changed/);
    const wrong = await openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      f('sign.crl'),
      '-CAfile',
      f('auth-ca.pem'),
      '-noout',
    ]);
    expect(wrong.out).not.toMatch(/verify OK/);
  });

  it('queries the OCSP responder: good, then revoked after revoke', async () => {
    const ask = () =>
      openssl([
        'ocsp',
        '-issuer',
        f('auth-ca.pem'),
        '-cert',
        f('auth.pem'),
        '-url',
        server.ocspUrl('auth'),
        '-CAfile',
        f('auth-ca.pem'),
        '-timeout',
        '10',
      ]);
    const good = await ask();
    expect(good.out).toContain('Response verify OK');
    expect(good.out).toContain(`${f('auth.pem')}: good`);
    // openssl sends a nonce by default and warns when it is not echoed.
    expect(good.out).not.toMatch(/nonce/i);
    server.revoke(card.auth.certificate, 1);
    const revoked = await ask();
    expect(revoked.out).toContain('Response verify OK');
    expect(revoked.out).toContain(`${f('auth.pem')}: revoked`);
    expect(revoked.out).toMatch(/Reason: keyCompromise/);
    server.setMode('bad-signer');
    try {
      const bad = await ask();
      expect(bad.out).not.toContain('Response verify OK');
      expect(bad.out).toContain('Response Verify Failure');
      server.setMode('stale');
      expect((await ask()).out).toMatch(/Status times invalid|status expired/i);
    } finally {
      server.setMode('good');
    }
  });
});
