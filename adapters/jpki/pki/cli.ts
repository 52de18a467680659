import 'reflect-metadata';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { respondToChallenge } from '../card/respond.js';
import { VirtualMyNumberCard } from '../card/virtual-card.js';
import { TEST_HOLDERS } from './holders.js';
import { issueCard, loadCard, renewCard, saveCard } from './issue-card.js';
import { DEFAULT_REVOCATION_BASE_URL, REVOCATION_PATHS } from './profile.js';
import { type RevocationServer, startRevocationServer } from './revocation-server.js';
import { type LinkRecord, normalizeSerial, type RevocationRecord } from './revocation-state.js';
import { createTestPki, loadTestPki, saveTestPki } from './test-pki.js';
import type { IssuedCard, IssueOptions } from './types.js';

/**
 * Functions behind the `kakehashi pki ...` / `kakehashi card ...` CLI subcommands.
 * They return results and print nothing. Directory layout:
 * `<dir>/` PKI (see saveTestPki), `<dir>/cli.json` (revocation base URL),
 * `<dir>/cards/<id>/` cards, `<dir>/revoked.json`, `<dir>/links.json`.
 */

const cliConfigSchema = z.object({ revocationBaseUrl: z.url() });
const revokedSchema = z.array(
  z.object({
    serialHex: z.string(),
    issuerDn: z.string(),
    reason: z.number().int(),
    revokedAt: z.string().optional(),
  }),
);
const linksSchema = z.array(
  z.object({
    authSerialHex: z.string(),
    signSerialHex: z.string().optional(),
    previousAuth: z.object({ issuer: z.string(), serialHex: z.string() }).optional(),
  }),
);

export interface CardSummary {
  id: string;
  authPin: string;
  signPin: string;
  authSerial: string;
  signSerial: string;
}

const summary = (card: IssuedCard): CardSummary => ({
  id: card.id,
  authPin: card.authPin,
  signPin: card.signPin,
  authSerial: normalizeSerial(card.auth.certificate.serialNumber),
  signSerial: normalizeSerial(card.sign.certificate.serialNumber),
});

async function readJson<T>(path: string, schema: z.ZodType<T>, fallback: T): Promise<T> {
  try {
    return schema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  }
}

async function urlsFor(dir: string): Promise<Pick<IssueOptions, 'ocspUrl' | 'crlUrl'>> {
  const { revocationBaseUrl: base } = await readJson(join(dir, 'cli.json'), cliConfigSchema, {
    revocationBaseUrl: DEFAULT_REVOCATION_BASE_URL,
  });
  return {
    ocspUrl: { auth: base + REVOCATION_PATHS.ocsp.auth, sign: base + REVOCATION_PATHS.ocsp.sign },
    crlUrl: { auth: base + REVOCATION_PATHS.crl.auth, sign: base + REVOCATION_PATHS.crl.sign },
  };
}

async function appendLinks(dir: string, records: z.infer<typeof linksSchema>): Promise<void> {
  const links = await readJson(join(dir, 'links.json'), linksSchema, []);
  await writeFile(join(dir, 'links.json'), JSON.stringify([...links, ...records], null, 2));
}

/** Create a test PKI in `dir` and one card per TEST_HOLDERS entry (`test-1`...) under `dir/cards/`. */
export async function pkiInit(
  dir: string,
  options: { revocationBaseUrl?: string; cards?: number } = {},
): Promise<{ dir: string; cards: CardSummary[] }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const revocationBaseUrl = options.revocationBaseUrl ?? DEFAULT_REVOCATION_BASE_URL;
  await writeFile(join(dir, 'cli.json'), JSON.stringify({ revocationBaseUrl }, null, 2));
  const pki = await createTestPki();
  await saveTestPki(pki, dir);
  const urls = await urlsFor(dir);
  const cards: CardSummary[] = [];
  const count = Math.min(options.cards ?? TEST_HOLDERS.length, TEST_HOLDERS.length);
  for (const [i, holder] of TEST_HOLDERS.slice(0, count).entries()) {
    const card = await issueCard(pki, holder, { ...urls, id: `test-${i + 1}` });
    await saveCard(card, join(dir, 'cards', card.id));
    cards.push(summary(card));
  }
  await appendLinks(
    dir,
    cards.map((c) => ({ authSerialHex: c.authSerial, signSerialHex: c.signSerial })),
  );
  return { dir, cards };
}

async function recordRevocations(dir: string, records: RevocationRecord[]): Promise<void> {
  const revoked = await readJson(join(dir, 'revoked.json'), revokedSchema, []);
  await writeFile(join(dir, 'revoked.json'), JSON.stringify([...revoked, ...records], null, 2));
}

/** Revoke a card's certificates (default both, reason 0) by recording them in `dir/revoked.json`. */
export async function revokeCard(
  dir: string,
  cardId: string,
  options: { which?: 'auth' | 'sign' | 'both'; reason?: number } = {},
): Promise<RevocationRecord[]> {
  const card = await loadCard(join(dir, 'cards', cardId));
  const which = options.which ?? 'both';
  const certs = [
    ...(which !== 'sign' ? [card.auth.certificate] : []),
    ...(which !== 'auth' ? [card.sign.certificate] : []),
  ];
  const revokedAt = new Date().toISOString();
  const records = certs.map((c) => ({
    serialHex: normalizeSerial(c.serialNumber),
    issuerDn: c.issuer,
    reason: options.reason ?? 0,
    revokedAt,
  }));
  await recordRevocations(dir, records);
  return records;
}

/**
 * Renew a card: new keys and certificates, the old ones moved to `cards/<id>/history/<time>/`
 * and revoked as superseded (4), the old -> new auth link recorded for the platform API.
 */
export async function renewCardCmd(dir: string, cardId: string): Promise<CardSummary> {
  const cardDir = join(dir, 'cards', cardId);
  const pki = await loadTestPki(dir);
  const old = await loadCard(cardDir);
  const renewed = await renewCard(pki, old, await urlsFor(dir));
  const historyDir = join(cardDir, 'history', new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(historyDir, { recursive: true, mode: 0o700 });
  for (const f of ['card.json', 'auth.pem', 'auth.key', 'sign.pem', 'sign.key']) {
    await rename(join(cardDir, f), join(historyDir, f));
  }
  await saveCard(renewed, cardDir);
  await recordRevocations(
    dir,
    [old.auth.certificate, old.sign.certificate].map((c) => ({
      serialHex: normalizeSerial(c.serialNumber),
      issuerDn: c.issuer,
      reason: 4,
      revokedAt: new Date().toISOString(),
    })),
  );
  const s = summary(renewed);
  await appendLinks(dir, [
    {
      authSerialHex: s.authSerial,
      signSerialHex: s.signSerial,
      previousAuth: {
        issuer: old.auth.certificate.issuer,
        serialHex: normalizeSerial(old.auth.certificate.serialNumber),
      },
    },
  ]);
  return s;
}

/**
 * Start the revocation test server for a CLI directory, with its revocations and links.
 * Listens on the port of the directory's revocation base URL unless `port` is given.
 */
export async function startRevocationServerFromDir(
  dir: string,
  options: { host?: string; port?: number } = {},
): Promise<RevocationServer> {
  const pki = await loadTestPki(dir);
  const { revocationBaseUrl } = await readJson(join(dir, 'cli.json'), cliConfigSchema, {
    revocationBaseUrl: DEFAULT_REVOCATION_BASE_URL,
  });
  const url = new URL(revocationBaseUrl);
  const links: LinkRecord[] = await readJson(join(dir, 'links.json'), linksSchema, []);
  return startRevocationServer(pki, {
    host: options.host ?? url.hostname,
    port: options.port ?? Number(url.port || 80),
    revoked: await readJson(join(dir, 'revoked.json'), revokedSchema, []),
    links,
  });
}

/** Answer a gateway challenge with the virtual card stored in `cardDir` (PINs default to the card's own). */
export async function cardSign(
  challengeUrl: string,
  cardDir: string,
  pins: { authPin?: string; signPin?: string } = {},
  deps: { fetch?: typeof fetch } = {},
): Promise<{ status: number; body: unknown }> {
  const card = await loadCard(cardDir);
  const transport = new VirtualMyNumberCard(card);
  return respondToChallenge(
    challengeUrl,
    transport,
    { authPin: pins.authPin ?? card.authPin, signPin: pins.signPin ?? card.signPin },
    deps,
  );
}
