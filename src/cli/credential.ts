/** `kakehashi credential revoke <id> [--target NAME]`: revoke an issued EUDI credential (status list bit). */
import { revokeCredential } from '../../adapters/eudi/issuer/revoke.js';
import { ConfigError } from '../config/check-config.js';
import { loadConfigFile } from '../config/load-config.js';
import { withGatewayParts } from './parts.js';

type Out = (line: string) => void;

export async function runCredentialCommand(
  configFile: string,
  args: readonly string[],
  target: string | undefined,
  out: Out,
  err: Out,
): Promise<number> {
  const [id] = args;
  if (!id || !/^[0-9a-f-]{36}$/.test(id)) {
    err('usage: kakehashi credential revoke <credential-id> [--target NAME]');
    return 2;
  }
  const { config } = loadConfigFile(configFile, process.env);
  const issuers = config.targets.filter(
    (t) => t.adapter === 'eudi-issuer' && (target === undefined || t.name === target),
  );
  if (issuers.length !== 1)
    throw new ConfigError([
      {
        path: 'targets',
        message: issuers.length
          ? 'several eudi-issuer targets: choose one with --target'
          : 'no eudi-issuer target configured',
      },
    ]);
  const entry = issuers[0]!;
  return withGatewayParts(configFile, async ({ store, audit }) => {
    if (!(await revokeCredential(store, entry, id))) {
      err(`unknown credential ${id} (never issued here, or expired)`);
      return 1;
    }
    await audit({ type: 'credential.revoked', detail: { credential: id, via: 'cli' } });
    out(`credential ${id} revoked; relying parties see it once their status list copy expires`);
    return 0;
  });
}
