/**
 * The PC/SC path for real: the virtual My Number Card is inserted into vsmartcard's `vpcd` reader driver,
 * pcscd (the real pcsc-lite daemon) reports it, and the card client talks to it through the
 * `@pokusew/pcsclite` binding and {@link PcscTransport} — the same stack a hardware reader uses. The JPKI
 * source at the other end verifies what comes back (chain, OCSP, same challenge) as in any login.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../adapters/jpki/card/apdu.js';
import {
  AID_CARD_INPUT_HELPER,
  type CardError,
  JpkiCardClient,
  respondToChallenge,
  VirtualMyNumberCard,
} from '../../../adapters/jpki/card/index.js';
import {
  openPcscCard,
  type PcscCard,
  PcscUnavailableError,
} from '../../../adapters/jpki/card/pcsc-reader.js';
import { insertIntoVpcd, type VpcdCard } from '../../../adapters/jpki/card/vpcd.js';
import { issueCard, saveCard, TEST_HOLDERS } from '../../../adapters/jpki/pki/index.js';
import { runCli } from '../../../src/cli.js';
import { pcscSkipReason, VPCD_READER } from '../../helpers/pcsc.js';
import {
  begin,
  browser,
  type Harness,
  interaction,
  setUpWorld,
  startHarness,
  tearDownWorld,
  world,
} from '../../unit/jpki/source/harness.js';

const skipReason = await pcscSkipReason();

describe.skipIf(Boolean(skipReason))('JPKI card client over PC/SC (pcscd + vpcd)', () => {
  let h: Harness;
  let inserted: VpcdCard | undefined;
  let reader: PcscCard | undefined;

  beforeAll(async () => {
    await setUpWorld();
    h = await startHarness(true);
  }, 60_000);
  afterAll(tearDownWorld);
  afterEach(async () => {
    await reader?.close();
    await inserted?.remove();
    reader = inserted = undefined;
  });

  /** Inserts `card` into vpcd and connects to it through pcscd. */
  async function connect(card: VirtualMyNumberCard): Promise<PcscCard> {
    inserted = await insertIntoVpcd(card);
    reader = await openPcscCard({ reader: VPCD_READER, timeoutMs: 10_000 });
    return reader;
  }

  it('answers a JPKI login with both certificates through pcscd; the source verifies it', async () => {
    const card = new VirtualMyNumberCard(world.card);
    const pcsc = await connect(card);
    expect(pcsc.readerName).toBe(VPCD_READER);

    const ref = interaction(['familyName', 'birthDate'], 'en');
    const { url, id } = await begin(h, ref);
    const answer = await respondToChallenge(url, pcsc.transport, {
      authPin: world.card.authPin,
      signPin: world.card.signPin,
    });
    expect(answer).toEqual({ status: 200, body: { status: 'ok' } });
    await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
    const identity = h.finished.at(-1);
    expect(identity?.extensions['jpki:certificateType']).toBe('auth+sign');
    expect(identity?.person.familyName).toEqual([{ value: '山田', script: 'Jpan' }]);

    // Every APDU reached the card through pcscd (the card saw them), and the card-input-helper AP that can
    // output the Individual Number was never selected.
    const commands = card.apduLog.map((e) => e.command);
    expect(commands.filter((c) => c.startsWith('802A'))).toHaveLength(2); // two COMPUTE DIGITAL SIGNATURE
    expect(commands.some((c) => c.includes(toHex(AID_CARD_INPUT_HELPER)))).toBe(false);
  });

  it('reads certificates with extended-length READ BINARY through the reader too', async () => {
    const pcsc = await connect(new VirtualMyNumberCard(world.card));
    const der = await new JpkiCardClient(pcsc.transport, { extendedLength: true }).readAuthCertificate();
    expect(Buffer.from(der).equals(Buffer.from(world.card.auth.certificate.rawData))).toBe(true);
  });

  it('passes the PIN retry counter and the lock-out through the reader', async () => {
    const own = await issueCard(world.pki, TEST_HOLDERS[1] as (typeof TEST_HOLDERS)[number], {
      authPin: '1234',
    });
    const card = new VirtualMyNumberCard(own);
    const client = new JpkiCardClient((await connect(card)).transport);
    const data = new TextEncoder().encode('challenge');
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as CardError,
      );
    const first = await failure(client.signWithAuthKey('0000', data));
    expect([first?.code, first?.retriesLeft]).toEqual(['WRONG_PIN', 2]);
    const second = await failure(client.signWithAuthKey('0000', data));
    expect([second?.code, second?.retriesLeft]).toEqual(['WRONG_PIN', 1]);
    await failure(client.signWithAuthKey('0000', data));
    const locked = await failure(client.signWithAuthKey('1234', data));
    expect(locked?.code).toBe('PIN_LOCKED');
    expect(card.pinRetries.auth).toBe(0);
  });

  it('reports a reader without a card as a clear error, not a hang', async () => {
    const err = await openPcscCard({ reader: VPCD_READER, timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PcscUnavailableError);
    expect((err as Error).message).toMatch(/no card/);
  });

  it('the CLI: "card insert" puts a saved virtual card in the reader, "card sign --reader" answers a login', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kakehashi-pcsc-'));
    await saveCard(world.card, join(dir, 'cards', world.card.id));
    const child = spawn(
      process.execPath,
      ['bin/kakehashi.js', 'card', 'insert', '--card', world.card.id, '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let printed = '';
      child.stdout.setEncoding('utf8');
      for await (const chunk of child.stdout) {
        printed += chunk;
        if (printed.includes('is in the vpcd reader')) break;
      }
      expect(printed).toContain(`virtual card ${world.card.id} is in the vpcd reader`);

      const lines: string[] = [];
      const out = (l: string) => lines.push(l);
      expect(await runCli(['card', 'readers'], out, out)).toBe(0);
      expect(lines).toContain(VPCD_READER);

      const ref = interaction();
      const { url, id } = await begin(h, ref);
      expect(await runCli(['card', 'sign', url, '--reader', 'virtual pcd'], out, out)).toBe(2);
      expect(lines.at(-1)).toMatch(/--pin is required/);
      const signed = await runCli(
        ['card', 'sign', url, '--reader', 'virtual pcd', '--pin', world.card.authPin],
        out,
        out,
      );
      expect([signed, lines.at(-1)]).toEqual([0, 'the card answered the challenge; continue in the browser']);
      await fetch(`${h.baseUrl}/finish/${id}`, browser(ref));
      expect(h.finished.at(-1)?.extensions['jpki:certificateType']).toBe('auth');
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
      await rm(dir, { recursive: true, force: true });
    }
    expect(child.exitCode).toBe(0);
  }, 30_000);
});
