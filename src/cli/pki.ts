/** CLI front for the JPKI test PKI and the virtual card client (development tools). */
import { join } from 'node:path';
import {
  cardSign,
  pkiInit,
  renewCardCmd,
  revokeCard,
  startRevocationServerFromDir,
} from '../../adapters/jpki/pki/cli.js';

type Out = (line: string) => void;

export async function runPkiCommand(
  command: string,
  args: string[],
  o: { dir: string; card?: string | undefined; pin?: string | undefined; signPin?: string | undefined },
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
        err('usage: kakehashi card sign <challenge-url> [--card ID] [--pin PIN] [--sign-pin PIN]');
        return 2;
      }
      const r = await cardSign(url, join(o.dir, 'cards', o.card ?? 'test-1'), {
        ...(o.pin && { authPin: o.pin }),
        ...(o.signPin && { signPin: o.signPin }),
      });
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
    default:
      err(`unknown command: ${command}`);
      return 2;
  }
}
