/**
 * OpenSSL as an independent OCSP responder and CRL issuer for the JPKI tests: the CA database
 * (index.txt) in OpenSSL's format, `openssl ocsp -port` as a child process, `openssl ca -gencrl`,
 * and responder certificates issued by `openssl x509 -req`. Not a test file.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { X509Certificate } from '@peculiar/x509';
import { freePort } from './gateway.js';

export const OPENSSL = '/usr/bin/openssl';

/** Whether the OpenSSL CLI is here; outside CI a missing one skips (with a printed reason), in CI it fails. */
export function opensslAvailable(what: string): boolean {
  const available = existsSync(OPENSSL);
  if (!available && process.env.CI === 'true') throw new Error(`openssl is required in CI (${what})`);
  if (!available) console.log(`skipping ${what}: ${OPENSSL} not found`);
  return available;
}

const run = promisify(execFile);

/** Run the OpenSSL CLI in `cwd`; a non-zero exit throws with its stderr. */
export async function openssl(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await run(OPENSSL, args, { cwd, timeout: 20_000 });
    return stdout + stderr;
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}

/** OpenSSL's index.txt time: UTCTime YYMMDDHHMMSSZ. */
function utcTime(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
}

export interface IndexEntry {
  certificate: X509Certificate;
  /** Present: the entry is `R` (revoked) at this time, with an optional CRL reason name (e.g. keyCompromise). */
  revoked?: { at: Date; reason?: string };
}

/**
 * One line of OpenSSL's CA database: status, expiry, revocation[,reason], serial (upper-case hex, as
 * `openssl ca` writes it and the responder looks it up), file name (`unknown`), subject in slash form.
 */
export function indexLine({ certificate, revoked }: IndexEntry): string {
  const serial = certificate.serialNumber.toUpperCase().replace(/^(00)+(?=.)/, '');
  const subject = `/${certificate.subject.split(/,\s*/).join('/')}`;
  const revocation = revoked ? utcTime(revoked.at) + (revoked.reason ? `,${revoked.reason}` : '') : '';
  return [revoked ? 'R' : 'V', utcTime(certificate.notAfter), revocation, serial, 'unknown', subject].join(
    '\t',
  );
}

/** Write `index.txt` (and its `.attr`: subjects need not be unique, card renewals repeat them). */
export async function writeIndex(path: string, entries: readonly IndexEntry[]): Promise<void> {
  await writeFile(path, entries.map((e) => `${indexLine(e)}\n`).join(''));
  await writeFile(`${path}.attr`, 'unique_subject = no\n');
}

export interface OpensslResponder {
  url: string;
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();

/**
 * Start `openssl ocsp -index <index> -CA <ca> -rsigner <signer> -rkey <key> -port <free port> ...extra`
 * in `cwd` and resolve once it listens ("waiting for OCSP client connections" on stderr). It reloads
 * index.txt only before it blocks in accept(), so a change is seen from the second request on:
 * tests restart it instead.
 */
export async function startOpensslResponder(options: {
  cwd: string;
  index: string;
  ca: string;
  rsigner: string;
  rkey: string;
  extra?: string[];
}): Promise<OpensslResponder> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ['ocsp', '-index', options.index, '-CA', options.ca, '-rsigner', options.rsigner];
    args.push('-rkey', options.rkey, '-port', String(port), ...(options.extra ?? []));
    const child = spawn(OPENSSL, args, { cwd: options.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let stderr = '';
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('waiting for OCSP client connections')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    const close = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      running.delete(child);
    };
    if (ready) {
      return { url: `http://127.0.0.1:${port}/`, close };
    }
    await close();
    if (attempt >= 2) throw new Error(`openssl ocsp did not start: ${stderr}`);
  }
}

/** Stop every responder still running (afterAll safety net). */
export async function stopAllResponders(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      running.delete(child);
    }),
  );
}

/**
 * A responder certificate issued by `openssl x509 -req` with the CA `<caName>.pem/.key` in `cwd`: a fresh
 * RSA-2048 key `<name>.key`, certificate `<name>.pem` with keyUsage digitalSignature and, if given,
 * extendedKeyUsage `eku` (e.g. `OCSPSigning`, `anyExtendedKeyUsage`; absent: no EKU at all).
 */
export async function issueResponderWithOpenssl(
  cwd: string,
  name: string,
  caName: string,
  eku: string | undefined,
): Promise<void> {
  await openssl(
    ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`],
    cwd,
  );
  await openssl(
    ['req', '-new', '-key', `${name}.key`, '-subj', `/C=JP/O=JPKI-TEST/CN=${name}`, '-out', `${name}.csr`],
    cwd,
  );
  const ext = [
    '[v3]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    ...(eku ? [`extendedKeyUsage = ${eku}`] : []),
  ];
  await writeFile(join(cwd, `${name}.ext`), `${ext.join('\n')}\n`);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.pem`,
      '-CAkey',
      `${caName}.key`,
      '-set_serial',
      `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex')}`,
      '-days',
      '30',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-extensions',
      'v3',
      '-out',
      `${name}.pem`,
    ],
    cwd,
  );
}

/**
 * `openssl ca -gencrl` over `index` with the CA `<caName>.pem/.key` in `cwd`, written as DER to `out`.
 * `v2` adds a cRLNumber and an authorityKeyIdentifier (what a CA normally publishes); without it OpenSSL
 * writes a version-1 CRL with no extensions. The CRL is due again after `hours`.
 */
export async function gencrlWithOpenssl(
  cwd: string,
  options: {
    caName: string;
    index: string;
    out: string;
    v2: boolean;
    hours?: number;
    /**
     * issuingDistributionPoint in OpenSSL's config syntax: `critical` or not, and the lines of its section
     * (`fullname = URI:...`, `onlyuser = TRUE`, `onlysomereasons = keyCompromise`, `indirectCRL = TRUE`, ...).
     */
    idp?: { critical: boolean; lines: string[] };
  },
): Promise<void> {
  const tag = options.out.replace(/\W/g, '_');
  const conf = [
    '[ca]',
    'default_ca = test_ca',
    '[test_ca]',
    `database = ${options.index}`,
    `certificate = ${options.caName}.pem`,
    `private_key = ${options.caName}.key`,
    'default_md = sha256',
    ...(options.v2 ? [`crlnumber = ${tag}.crlnumber`, 'crl_extensions = crl_ext'] : []),
    '[crl_ext]',
    'authorityKeyIdentifier = keyid:always',
    ...(options.idp
      ? [
          `issuingDistributionPoint = ${options.idp.critical ? 'critical, ' : ''}@idp_section`,
          '[idp_section]',
          ...options.idp.lines,
        ]
      : []),
  ];
  await writeFile(join(cwd, `${tag}.cnf`), `${conf.join('\n')}\n`);
  if (options.v2) await writeFile(join(cwd, `${tag}.crlnumber`), '1000\n');
  await openssl(
    [
      'ca',
      '-config',
      `${tag}.cnf`,
      '-gencrl',
      '-crlhours',
      String(options.hours ?? 24),
      '-out',
      `${tag}.pem`,
      '-batch',
    ],
    cwd,
  );
  await openssl(['crl', '-in', `${tag}.pem`, '-outform', 'DER', '-out', options.out], cwd);
}
