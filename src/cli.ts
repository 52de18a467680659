/**
 * The `kakehashi` command line: start, config check, keys rotate, audit verify.
 * Errors print one clear message and exit non-zero; no stack traces.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './config/check-config.js';
import { loadConfigFile } from './config/load-config.js';

const USAGE = `usage: kakehashi <command> [options]

commands:
  start [--config FILE] [--demo]   start the gateway (--demo: config/demo.json with the demo RP and test cards)
  config check [--config FILE]     validate a config file and print every problem
  keys rotate [--config FILE] [--alg ES256|RS256]
                                   make a new active signing key; the old one stays published
  keys list [--config FILE]        show published signing keys
  audit verify [--config FILE]     verify the hash chain of the audit log
  credential revoke <id> [--config FILE] [--target NAME]
                                   revoke an issued EUDI credential (status list)

test PKI and virtual My Number Cards (development only; default --dir data/jpki):
  pki init [--dir DIR]             create TEST J-LIS-style roots and virtual cards
  pki serve [--dir DIR]            run the test OCSP responder / CRL publisher / platform status API
  pki revoke <card-id> [--dir DIR] revoke a virtual card's certificates
  pki renew <card-id> [--dir DIR]  renew a virtual card (new keys and serials, old ones superseded)
  card sign <challenge-url> [--card ID] [--pin PIN] [--sign-pin PIN] [--dir DIR]
                                   answer a login challenge with a virtual card (the card client)
  card sign <challenge-url> --reader NAME --pin PIN [--sign-pin PIN]
                                   the same with the card in a PC/SC reader (a real My Number Card)
  card readers                     list the PC/SC readers (needs pcscd and the optional PC/SC binding)
  card insert [--card ID] [--dir DIR]
                                   put a virtual card into vsmartcard's vpcd reader, for PC/SC programs
`;

type Out = (line: string) => void;

export async function runCli(
  argv: string[],
  out: Out = (l) => process.stdout.write(`${l}\n`),
  err: Out = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      demo: { type: 'boolean' },
      alg: { type: 'string' },
      dir: { type: 'string' },
      card: { type: 'string' },
      reader: { type: 'string' },
      pin: { type: 'string' },
      'sign-pin': { type: 'string' },
      target: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, sub] = positionals;
  const configFile = resolve(
    values.config ?? (values.demo || cmd === 'start' ? 'config/demo.json' : 'config/demo.json'),
  );
  if (values.help || !cmd) {
    out(USAGE);
    return cmd ? 0 : 2;
  }
  try {
    switch (`${cmd}${sub ? ` ${sub}` : ''}`) {
      case 'start': {
        const { startGateway } = await import('./main.js');
        if (values.demo) {
          const { prepareDemo } = await import('./cli/demo.js');
          await prepareDemo(loadConfigFile(configFile, process.env).config.dataDir, out);
        }
        await startGateway(configFile, { print: out });
        return -1; // keep running
      }
      case 'pki init':
      case 'pki revoke':
      case 'pki renew':
      case 'pki serve':
      case 'card sign':
      case 'card readers':
      case 'card insert': {
        const { runPkiCommand } = await import('./cli/pki.js');
        return await runPkiCommand(
          `${cmd} ${sub}`,
          positionals.slice(2),
          {
            dir: values.dir ?? resolve('data/jpki'),
            card: values.card,
            pin: values.pin,
            signPin: values['sign-pin'],
            reader: values.reader,
          },
          out,
          err,
        );
      }
      case 'config check': {
        const checked = loadConfigFile(configFile, process.env);
        for (const w of checked.warnings) out(`warning: ${w}`);
        out(`${configFile}: OK`);
        return 0;
      }
      case 'keys rotate':
      case 'keys list': {
        const { withGatewayParts } = await import('./cli/parts.js');
        return await withGatewayParts(configFile, async ({ keys, audit }) => {
          if (sub === 'rotate') {
            const alg =
              values.alg === 'RS256'
                ? 'RS256'
                : values.alg === undefined || values.alg === 'ES256'
                  ? 'ES256'
                  : undefined;
            if (!alg) throw new ConfigError([{ path: '--alg', message: 'must be ES256 or RS256' }]);
            const r = await keys.rotate({ alg });
            await audit({ type: 'key.rotated', detail: { kid: r.newKid, alg } });
            out(`new active key ${r.newKid}; still published: ${r.retiring.join(', ') || 'none'}`);
            out('restart the gateway (or every instance) to start signing with it');
          }
          for (const k of keys.signingKeyInfo()) out(`${k.kid}  ${k.alg}  ${k.status}`);
          return 0;
        });
      }
      case 'credential revoke': {
        const { runCredentialCommand } = await import('./cli/credential.js');
        return await runCredentialCommand(configFile, positionals.slice(2), values.target, out, err);
      }
      case 'audit verify': {
        const { withGatewayParts } = await import('./cli/parts.js');
        return await withGatewayParts(configFile, async ({ store }) => {
          const { verifyAuditChain } = await import('./audit/audit-log.js');
          const records = await store.readAudit(0);
          const result = verifyAuditChain(records);
          if (result.ok) {
            out(`audit log OK: ${result.count} records, chain intact`);
            return 0;
          }
          err(`audit log BROKEN at record ${result.brokenAt}: ${result.reason}`);
          return 1;
        });
      }
      default:
        err(`unknown command: ${positionals.join(' ')}`);
        out(USAGE);
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return 1;
    }
    const code = (e as { code?: string }).code;
    err(`error${code ? ` (${code})` : ''}: ${(e as Error).message}`);
    return 1;
  }
}
