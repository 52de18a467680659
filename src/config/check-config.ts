/**
 * Validates a raw configuration object: the root schema, each adapter's own
 * options schema, and the production rules. Collects every problem with its
 * field path instead of stopping at the first, then deep-freezes the result.
 */
import type { z } from 'zod';
import { sourceCatalog, targetCatalog } from '../../adapters/index.js';
import { type AdapterEntry, configSchema, type GatewayConfig } from '../../config/schema.js';
import { PUBLISHED_PURPOSES } from '../keys/adapter-keys.js';

export interface ConfigProblem {
  path: string;
  message: string;
}

export interface CheckedConfig {
  config: GatewayConfig;
  /** Parsed options per adapter instance name. */
  adapterOptions: ReadonlyMap<string, unknown>;
  warnings: string[];
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const fmtPath = (path: readonly PropertyKey[]) =>
  path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  ) || '(root)';

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const DEV_ONLY_MESSAGE = 'is dev-only and refused when NODE_ENV=production';

/** Production rules that can be read off an unvalidated config object. */
function rawProductionProblems(raw: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (!raw || typeof raw !== 'object') return out;
  const r = raw as Record<string, unknown>;
  const get = (o: unknown, k: string) =>
    o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  if (r.devMode === true) out.push({ path: 'devMode', message: `devMode=true ${DEV_ONLY_MESSAGE}` });
  if (r.keys === undefined || get(r.keys, 'source') === 'generate')
    out.push({ path: 'keys.source', message: `generated signing keys ${DEV_ONLY_MESSAGE}` });
  if (get(r.demoRp, 'enabled') === true)
    out.push({ path: 'demoRp.enabled', message: `the demo relying party ${DEV_ONLY_MESSAGE}` });
  if (typeof r.issuer === 'string' && r.issuer.startsWith('http:'))
    out.push({ path: 'issuer', message: 'must be https in production' });
  if (Array.isArray(r.sources)) {
    r.sources.forEach((e, i) => {
      const adapter = sourceCatalog[String(get(e, 'adapter'))];
      if (adapter?.devOnly)
        out.push({
          path: `sources[${i}].adapter`,
          message: `the "${adapter.id}" adapter ${DEV_ONLY_MESSAGE}`,
        });
    });
  }
  return out;
}

export function checkConfig(
  raw: unknown,
  env: { NODE_ENV?: string | undefined; KAKEHASHI_ADAPTER_KEYS?: string | undefined } = {},
): CheckedConfig {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const keys = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
      problems.push({ path: fmtPath(i.path), message: `${i.message}${keys}` });
    }
    // Report production violations visible in the raw file too, so one run shows everything.
    if (env.NODE_ENV === 'production') problems.push(...rawProductionProblems(raw));
    throw new ConfigError(problems);
  }
  const config = parsed.data;
  const production = env.NODE_ENV === 'production';
  const devOnly = (path: string, what: string) => {
    if (production)
      problems.push({ path, message: `${what} is dev-only and refused when NODE_ENV=production` });
    else warnings.push(`DEV ONLY: ${what} (${path}) — never use this in production`);
  };

  if (config.devMode) devOnly('devMode', 'devMode=true');
  if (config.keys.source === 'generate') devOnly('keys.source', 'generated signing keys');
  if (config.demoRp.enabled) devOnly('demoRp.enabled', 'the demo relying party');
  // Without its own pepper, pseudonymous ids would derive from the seal key and change when it rotates.
  if (production && config.keys.source === 'files' && !config.keys.pepperFile)
    problems.push({
      path: 'keys.pepperFile',
      message: 'required in production (pseudonymous ids must not depend on the seal key)',
    });
  if (!production && config.issuer.startsWith('http:'))
    warnings.push('issuer is plain http: use https outside local development');
  if (production && config.issuer.startsWith('http:'))
    problems.push({ path: 'issuer', message: 'must be https in production' });

  const names = new Set<string>();
  const adapterOptions = new Map<string, unknown>();
  type CatalogEntry = { devOnly?: boolean | undefined; options: z.ZodType };
  const entries: { e: AdapterEntry; path: string; catalog: Readonly<Record<string, CatalogEntry>> }[] = [
    ...config.sources.map((e, i) => ({ e, path: `sources[${i}]`, catalog: sourceCatalog })),
    ...config.targets.map((e, i) => ({ e, path: `targets[${i}]`, catalog: targetCatalog })),
  ];
  for (const { e, path, catalog } of entries) {
    if (names.has(e.name))
      problems.push({ path: `${path}.name`, message: `duplicate adapter instance name "${e.name}"` });
    names.add(e.name);
    const adapter = catalog[e.adapter];
    if (!adapter) {
      problems.push({
        path: `${path}.adapter`,
        message: `unknown adapter "${e.adapter}" (known: ${Object.keys(catalog).join(', ') || 'none'})`,
      });
      continue;
    }
    if (adapter.devOnly) {
      devOnly(`${path}.adapter`, `the "${e.adapter}" adapter`);
      if (!config.devMode && !production)
        problems.push({ path: `${path}.adapter`, message: `the "${e.adapter}" adapter needs devMode: true` });
    }
    const r = adapter.options.safeParse(e.options ?? {});
    if (!r.success) {
      for (const i of r.error.issues)
        problems.push({
          path: `${path}.options${i.path.length ? `.${fmtPath(i.path)}` : ''}`.replace(/\.\[/g, '['),
          message: i.message,
        });
    } else adapterOptions.set(e.name, r.data);
  }

  // Adapters' published pairs must be the same on every instance: in production they come from the operator.
  if (production && config.keys.source !== 'generate') {
    const needed = entries.flatMap(({ e }) =>
      (PUBLISHED_PURPOSES[e.adapter]?.(adapterOptions.get(e.name)) ?? []).map((p) => `${e.name}:${p}`),
    );
    const supplied =
      config.keys.source === 'files'
        ? config.keys.adapterKeysFile !== undefined
        : (env.KAKEHASHI_ADAPTER_KEYS ?? '').trim() !== '';
    if (needed.length > 0 && !supplied)
      problems.push({
        path: config.keys.source === 'files' ? 'keys.adapterKeysFile' : 'keys.source',
        message: `${config.keys.source === 'files' ? 'required' : 'KAKEHASHI_ADAPTER_KEYS is required'} in production for the adapters' published key pairs (${needed.join(', ')}), so every instance uses the same`,
      });
  }

  const clientIds = new Set<string>();
  config.clients.forEach((c, i) => {
    const path = `clients[${i}]`;
    if (clientIds.has(c.client_id))
      problems.push({ path: `${path}.client_id`, message: `duplicate client_id "${c.client_id}"` });
    clientIds.add(c.client_id);
    if (c.dev_only) devOnly(path, `client "${c.client_id}"`);
    if (c.token_endpoint_auth_method === 'private_key_jwt' && !c.jwks && !c.jwks_uri)
      problems.push({ path: `${path}.jwks`, message: 'private_key_jwt needs jwks or jwks_uri' });
    if (c.token_endpoint_auth_method === 'client_secret_basic' && !c.client_secret)
      problems.push({
        path: `${path}.client_secret`,
        message: 'client_secret_basic needs a client_secret (at least 32 characters)',
      });
    if (c.profile === 'fapi2' && c.id_token_signed_response_alg === 'RS256')
      problems.push({
        path: `${path}.id_token_signed_response_alg`,
        message: 'the fapi2 profile allows ES256 or PS256 only (FAPI 2.0 SP §5.4.1)',
      });
    if (c.profile === 'fapi2' && c.token_endpoint_auth_method !== 'private_key_jwt')
      problems.push({
        path: `${path}.token_endpoint_auth_method`,
        message: "the fapi2 profile requires 'private_key_jwt'",
      });
    if (production && c.redirect_uris.some((u) => u.startsWith('http:')))
      problems.push({ path: `${path}.redirect_uris`, message: 'must be https in production' });
  });

  if (problems.length) throw new ConfigError(problems);
  return { config: deepFreeze(config), adapterOptions, warnings };
}
