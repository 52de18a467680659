/**
 * A gateway in its own process, for multi-instance tests: reads a JSON config
 * from KAKEHASHI_TEST_CONFIG (secrets from the environment, keys.source 'env'),
 * listens, prints "READY <url>", and shuts down gracefully on SIGTERM.
 */
import 'reflect-metadata';
import pino from 'pino';
import { createGateway } from '../../src/app.js';
import { loadConfigObject } from '../../src/config/load-config.js';

const raw: unknown = JSON.parse(process.env.KAKEHASHI_TEST_CONFIG ?? '{}');
const checked = loadConfigObject(raw, process.env);
const gateway = await createGateway(checked, { env: process.env, log: pino({ level: 'silent' }) });
const { url } = await gateway.listen();
process.stdout.write(`READY ${url}\n`);
process.once('SIGTERM', () => {
  gateway.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
