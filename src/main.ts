/**
 * The process entry for `kakehashi start`: load config, create the gateway,
 * listen, and shut down gracefully on SIGINT/SIGTERM. The only module besides
 * the CLI that reads process.env.
 */
import { createGateway } from './app.js';
import { loadConfigFile } from './config/load-config.js';

export async function startGateway(configFile: string, options: { print?: (line: string) => void } = {}) {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const checked = loadConfigFile(configFile, process.env);
  const gateway = await createGateway(checked, { env: process.env });
  const { url } = await gateway.listen();
  const issuer = checked.config.issuer;
  print(`Kakehashi is listening on ${url} (issuer ${issuer})`);
  print(`  discovery: ${issuer}/.well-known/openid-configuration`);
  if (checked.config.demoRp.enabled) print(`  open the demo relying party: ${issuer}/demo-rp/`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    gateway.log.info({ signal }, 'shutting down');
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return gateway;
}
