/** CLI front for the JPKI test PKI and the virtual card client (development tools). */
import { join } from 'node:path';
import { respondToChallenge, VirtualMyNumberCard } from '../../adapters/jpki/card/index.js';
import { listPcscReaders, openPcscCard } from '../../adapters/jpki/card/pcsc-reader.js';
import { insertIntoVpcd } from '../../adapters/jpki/card/vpcd.js';
import {
  cardSign,
  pkiInit,
  renewCardCmd,
  revokeCard,
  startRevocationServerFromDir,
} from '../../adapters/jpki/pki/cli.js';
import { loadCard } from '../../adapters/jpki/pki/index.js';

type Out = (line: string) => void;

export async function runPkiCommand(
  command: string,
  args: string[],
  o: {
    dir: string;
    card?: string | undefined;
    pin?: string | undefined;
    signPin?: string | undefined;
    reader?: string | undefined;
  },
  out: Out,
  err: Out,
): Promise<number> {
  switch (command) {
    case 'pki init': {
      const r = await pkiInit(o.dir);
      out(`TEST PKI created in ${r.dir}`);
      for (const c of r.cards) out(`  card ${c.id}`);
      return 0;
    }
    case 'pki serve': {
      const server = await startRevocationServerFromDir(o.dir);
      out(`test revocation server on ${server.baseUrl} (Ctrl-C to stop)`);
      process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
      return -1;
    }
    case 'pki revoke':
    case 'pki renew': {
      const id = args[0];
      if (!id) {
        err(`usage: kakehashi ${command} <card-id> [--dir DIR]`);
        return 2;
      }
      if (command === 'pki revoke') {
        await revokeCard(o.dir, id);
        out(`card ${id} revoked (restart "pki serve" or the demo gateway to publish it)`);
      } else {
        const c = await renewCardCmd(o.dir, id);
        out(`card ${c.id} renewed`);
      }
      return 0;
    }
    case 'card sign': {
      const url = args[0];
      if (!url) {
        err(
          'usage: kakehashi card sign <challenge-url> [--card ID | --reader NAME] [--pin PIN] [--sign-pin PIN]',
        );
        return 2;
      }
      let r: { status: number; body: unknown };
      if (o.reader !== undefined) {
        // A card in a PC/SC reader: a real My Number Card, or a virtual one put in by "card insert".
        if (!o.pin) {
          err('--pin is required with --reader (the 4-digit user-authentication PIN)');
          return 2;
        }
        const card = await openPcscCard({ reader: o.reader });
        out(`using the card in ${card.readerName}`);
        try {
          r = await respondToChallenge(url, card.transport, {
            authPin: o.pin,
            ...(o.signPin && { signPin: o.signPin }),
          });
        } finally {
          await card.close();
        }
      } else {
        r = await cardSign(url, join(o.dir, 'cards', o.card ?? 'test-1'), {
          ...(o.pin && { authPin: o.pin }),
          ...(o.signPin && { signPin: o.signPin }),
        });
      }
      if (r.status === 200) {
        out('the card answered the challenge; continue in the browser');
        return 0;
      }
      const body = r.body as { error?: string; error_description?: string };
      err(
        `refused (${r.status}): ${body.error ?? 'error'}${body.error_description ? ` — ${body.error_description}` : ''}`,
      );
      return 1;
    }
    case 'card readers': {
      const readers = await listPcscReaders();
      if (readers.length === 0) out('no PC/SC readers (is pcscd running?)');
      for (const name of readers) out(name);
      return 0;
    }
    case 'card insert': {
      // Puts a virtual card into vsmartcard's vpcd reader, so PC/SC programs (and "card sign --reader") see it.
      const id = o.card ?? 'test-1';
      const card = new VirtualMyNumberCard(await loadCard(join(o.dir, 'cards', id)));
      const inserted = await insertIntoVpcd(card);
      out(`virtual card ${id} is in the vpcd reader ("Virtual PCD 00 00"); Ctrl-C pulls it out`);
      process.once('SIGINT', () => void inserted.remove().then(() => process.exit(0)));
      return -1;
    }
    default:
      err(`unknown command: ${command}`);
      return 2;
  }
}
