import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardError } from '../../../../adapters/jpki/card/index.js';
import {
  cardSign,
  pkiInit,
  renewCardCmd,
  revokeCard,
  startRevocationServerFromDir,
} from '../../../../adapters/jpki/pki/cli.js';
import { loadCard } from '../../../../adapters/jpki/pki/index.js';

let dir: string;
let gateway: Server;
let gatewayUrl: string;
const challenge = crypto.getRandomValues(new Uint8Array(32));
let received: Record<string, string> | undefined;
let responseUri = '';

/** A minimal gateway speaking the card wire protocol; it verifies the auth signature with WebCrypto. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jpki-cli-'));
  gateway = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          challenge: Buffer.from(challenge).toString('base64url'),
          signing: req.url?.includes('signing') ?? false,
          response_uri: responseUri || `${gatewayUrl}/response`,
          expires_at: Math.floor(Date.now() / 1000) + 60,
        }),
      );
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      received = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
      const cert = new X509Certificate(Buffer.from(received.auth_certificate ?? '', 'base64url'));
      const key = await cert.publicKey.export({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ['verify']);
      const ok = await crypto.subtle.verify(
        'RSASSA-PKCS1-v1_5',
        key,
        Buffer.from(received.auth_signature ?? '', 'base64url'),
        challenge,
      );
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          ok ? { status: 'ok' } : { error: 'access_denied', error_description: 'bad signature' },
        ),
      );
    });
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(async () => {
  gateway.closeAllConnections();
  await new Promise((r) => gateway.close(r));
  await rm(dir, { recursive: true, force: true });
});

const statusOf = async (url: string, cert: X509Certificate) =>
  (await (
    await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ certificate: Buffer.from(cert.rawData).toString('base64url') }),
    })
  ).json()) as Record<string, unknown>;

describe('PKI CLI functions', () => {
  it('init, revoke, renew: the server started from the directory reflects them', async () => {
    const init = await pkiInit(dir, { cards: 2 });
    expect(init.cards.map((c) => c.id)).toEqual(['test-1', 'test-2']);
    const first = await loadCard(join(dir, 'cards', 'test-1'));
    expect(first.auth.certificate.getExtension('1.3.6.1.5.5.7.1.1')).not.toBeNull();
    await revokeCard(dir, 'test-2', { which: 'sign', reason: 3 });
    const renewed = await renewCardCmd(dir, 'test-1');
    expect(renewed.authSerial).not.toBe(init.cards[0]?.authSerial);
    const server = await startRevocationServerFromDir(dir, { port: 0 });
    try {
      const second = await loadCard(join(dir, 'cards', 'test-2'));
      expect((await statusOf(server.platformStatusUrl, second.sign.certificate)).status).toBe('revoked');
      expect((await statusOf(server.platformStatusUrl, second.auth.certificate)).status).toBe('good');
      expect(await statusOf(server.platformStatusUrl, second.sign.certificate)).toMatchObject({
        linked_auth_serial: init.cards[1]?.authSerial,
      });
      expect((await statusOf(server.platformStatusUrl, first.auth.certificate)).status).toBe('revoked');
      const now = await loadCard(join(dir, 'cards', 'test-1'));
      expect(await statusOf(server.platformStatusUrl, now.auth.certificate)).toMatchObject({
        status: 'good',
        previous_auth: { issuer: first.auth.certificate.issuer, serial: init.cards[0]?.authSerial },
      });
    } finally {
      await server.close();
    }
  });

  it('cardSign answers a challenge with the stored card (auth only, then auth + sign)', async () => {
    const cardDir = join(dir, 'cards', 'test-2');
    const auth = await cardSign(`${gatewayUrl}/challenge`, cardDir);
    expect(auth).toEqual({ status: 200, body: { status: 'ok' } });
    expect(received?.sign_certificate).toBeUndefined();
    const both = await cardSign(`${gatewayUrl}/challenge?signing`, cardDir);
    expect(both.status).toBe(200);
    const card = await loadCard(cardDir);
    expect(received?.sign_certificate).toBe(Buffer.from(card.sign.certificate.rawData).toString('base64url'));
    const key = await card.sign.certificate.publicKey.export({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, [
      'verify',
    ]);
    expect(
      await crypto.subtle.verify(
        'RSASSA-PKCS1-v1_5',
        key,
        Buffer.from(received?.sign_signature ?? '', 'base64url'),
        challenge,
      ),
    ).toBe(true);
  });

  it('refuses a wrong PIN and a response_uri on another origin', async () => {
    const cardDir = join(dir, 'cards', 'test-2');
    const err = await cardSign(`${gatewayUrl}/challenge`, cardDir, { authPin: '0000' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CardError);
    expect((err as CardError).code).toBe('WRONG_PIN');
    responseUri = 'http://127.0.0.2:9/response';
    try {
      await expect(cardSign(`${gatewayUrl}/challenge`, cardDir)).rejects.toThrow(/origin/);
    } finally {
      responseUri = '';
    }
  });
});
