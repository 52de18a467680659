import 'reflect-metadata';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import {
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  type X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { buildCrl } from './crl.js';
import { generateRsaKeyPair, randomSerialHex } from './keys.js';
import { answerOcspRequest, ocspError } from './ocsp-responder.js';
import { answerPlatformStatus, LinkageState } from './platform-status.js';
import { type CertKind, REVOCATION_PATHS, SIGNING_ALGORITHM } from './profile.js';
import type { ResponderMode } from './revocation-modes.js';
import {
  knownIssuers,
  type LinkRecord,
  normalizeSerial,
  type RevocationRecord,
  RevocationState,
} from './revocation-state.js';
import type { CaMaterial, TestPki } from './types.js';

export interface RevocationServer {
  readonly baseUrl: string;
  ocspUrl(kind: CertKind): string;
  /** CRL of the current generation; `generation` > 0 serves the CRL of an older root generation. */
  crlUrl(kind: CertKind, generation?: number): string;
  platformStatusUrl: string;
  revoke(certificate: X509Certificate, reason?: number): void;
  /** Link for the platform linkage API: sign cert <-> auth cert, old auth cert -> renewed auth cert. */
  linkCertificates(link: {
    auth: X509Certificate;
    sign?: X509Certificate;
    previousAuth?: X509Certificate;
  }): void;
  setMode(mode: ResponderMode): void;
  readonly requestCount: { ocsp: number; crl: number; platform: number };
  close(): Promise<void>;
}

export interface RevocationServerOptions {
  host?: string;
  /** 0 (default) = ephemeral. */
  port?: number;
  /** Clock in epoch milliseconds. */
  now?: () => number;
  /** Pre-existing revocations (e.g. the CLI's revoked.json). */
  revoked?: readonly RevocationRecord[];
  /** Pre-existing platform linkage (e.g. the CLI's links.json). */
  links?: readonly LinkRecord[];
}

const MAX_BODY = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

async function createRogueSigner(): Promise<CaMaterial> {
  const keys = await generateRsaKeyPair();
  const certificate = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: 'C=JP, O=JPKI-TEST, OU=JPKI OCSP responder (TEST), CN=auth OCSP responder',
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.ocspSigning]),
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

/**
 * Start the revocation test servers on one node:http listener (127.0.0.1, ephemeral port):
 * RFC 6960 OCSP responders at `/ocsp/{auth,sign}` (POST application/ocsp-request, or
 * GET `/ocsp/<kind>/<url-encoded base64 request>`), RFC 5280 CRLs at `/crl/<kind>.crl`
 * (`/crl/<kind>-gen<N>.crl` for older roots), and the platform status API (see platform-status.ts).
 */
export async function startRevocationServer(
  pki: TestPki,
  options: RevocationServerOptions = {},
): Promise<RevocationServer> {
  const clock = options.now ?? Date.now;
  // Whole seconds: DER GeneralizedTime in OCSP/CRL must not carry fractions (RFC 5280 §4.1.2.5.2).
  const now = (): Date => new Date(Math.floor(clock() / 1000) * 1000);
  const issuers = knownIssuers(pki);
  const state = new RevocationState();
  for (const record of options.revoked ?? []) state.add(record, now());
  const links = new LinkageState();
  for (const link of options.links ?? []) {
    const auth = normalizeSerial(link.authSerialHex);
    if (link.signSerialHex) links.signToAuth.set(normalizeSerial(link.signSerialHex), auth);
    if (link.previousAuth) {
      links.previousAuth.set(auth, {
        issuer: link.previousAuth.issuer,
        serial: normalizeSerial(link.previousAuth.serialHex),
      });
    }
  }
  let mode: ResponderMode = 'good';
  let rogue: Promise<CaMaterial> | undefined;
  const requestCount = { ocsp: 0, crl: 0, platform: 0 };
  const responders = { auth: pki.authOcspResponder, sign: pki.signOcspResponder };

  const send = (res: ServerResponse, status: number, type: string, body: Buffer | string): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };

  async function handleOcsp(
    req: IncomingMessage,
    res: ServerResponse,
    kind: CertKind,
    rest: string,
  ): Promise<void> {
    requestCount.ocsp++;
    if (mode === 'down') {
      req.socket.destroy();
      return;
    }
    let der: Buffer;
    if (req.method === 'POST') der = await readBody(req);
    else if (req.method === 'GET' && rest) der = Buffer.from(decodeURIComponent(rest), 'base64');
    else {
      send(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    const ctx = {
      issuers,
      state,
      mode,
      now: now(),
      responders,
      fallbackSigner: responders[kind],
      rogueSigner: () => {
        rogue ??= createRogueSigner();
        return rogue;
      },
    };
    const answer = await answerOcspRequest(new Uint8Array(der).buffer, ctx).catch(() =>
      ocspError(OCSPResponseStatus.internalError),
    );
    send(res, 200, 'application/ocsp-response', Buffer.from(answer));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const ocsp = /^\/ocsp\/(auth|sign)(?:\/(.+))?$/.exec(path);
    if (ocsp) return handleOcsp(req, res, ocsp[1] as CertKind, ocsp[2] ?? '');
    const crl = /^\/crl\/(auth|sign)(?:-gen(\d+))?\.crl$/.exec(path);
    if (crl && req.method === 'GET') {
      requestCount.crl++;
      if (mode === 'down') return send(res, 503, 'text/plain', 'unavailable');
      const gens = crl[1] === 'auth' ? pki.authCaGenerations : pki.signCaGenerations;
      const ca = gens[Number(crl[2] ?? 0)];
      if (!ca) return send(res, 404, 'text/plain', 'not found');
      const der = await buildCrl(ca, state, now(), mode === 'bad-crl-signature');
      return send(res, 200, 'application/pkix-crl', Buffer.from(der));
    }
    if (path === REVOCATION_PATHS.platformStatus && req.method === 'POST') {
      requestCount.platform++;
      if (mode === 'down')
        return send(res, 503, 'application/json', JSON.stringify({ error: 'temporarily_unavailable' }));
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        body = undefined;
      }
      const answer = await answerPlatformStatus(body, issuers, state, links, now());
      if (!answer) return send(res, 400, 'application/json', JSON.stringify({ error: 'invalid_request' }));
      return send(res, 200, 'application/json', JSON.stringify(answer));
    }
    send(res, 404, 'text/plain', 'not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const baseUrl = `http://${host}:${port}`;

  return {
    baseUrl,
    ocspUrl: (kind) => baseUrl + REVOCATION_PATHS.ocsp[kind],
    crlUrl: (kind, generation = 0) =>
      generation === 0 ? baseUrl + REVOCATION_PATHS.crl[kind] : `${baseUrl}/crl/${kind}-gen${generation}.crl`,
    platformStatusUrl: baseUrl + REVOCATION_PATHS.platformStatus,
    revoke(certificate, reason = 0) {
      state.add({ serialHex: certificate.serialNumber, issuerDn: certificate.issuer, reason }, now());
    },
    linkCertificates({ auth, sign, previousAuth }) {
      const authSerial = normalizeSerial(auth.serialNumber);
      if (sign) links.signToAuth.set(normalizeSerial(sign.serialNumber), authSerial);
      if (previousAuth)
        links.previousAuth.set(authSerial, {
          issuer: previousAuth.issuer,
          serial: normalizeSerial(previousAuth.serialNumber),
        });
    },
    setMode(next) {
      mode = next;
    },
    requestCount,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
