/**
 * Reads the config file (JSON), resolves `${env:NAME}` references (how secrets
 * stay out of files), applies the KAKEHASHI_* overrides, then checks it.
 * main.ts and the CLI are the only callers; the core never reads process.env.
 */
import { readFileSync } from 'node:fs';
import { type CheckedConfig, ConfigError, type ConfigProblem, checkConfig } from './check-config.js';

export type Env = Readonly<Record<string, string | undefined>>;

const ENV_REF = /^\$\{env:([A-Z0-9_]+)\}$/;

function resolveEnvRefs(value: unknown, env: Env, path: string, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    const m = ENV_REF.exec(value);
    if (!m) return value;
    const v = env[m[1]!];
    if (v === undefined) problems.push({ path, message: `environment variable ${m[1]} is not set` });
    return v;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, `${path}[${i}]`, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveEnvRefs(v, env, path ? `${path}.${k}` : k, problems)]),
    );
  }
  return value;
}

/** Overrides that deployments commonly set without editing the file. */
function applyOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const out = { ...raw };
  if (env.KAKEHASHI_ISSUER) out.issuer = env.KAKEHASHI_ISSUER;
  if (env.KAKEHASHI_DATA_DIR) out.dataDir = env.KAKEHASHI_DATA_DIR;
  if (env.KAKEHASHI_PORT || env.KAKEHASHI_HOST) {
    const listen = { ...(out.listen as Record<string, unknown> | undefined) };
    if (env.KAKEHASHI_PORT) listen.port = Number(env.KAKEHASHI_PORT);
    if (env.KAKEHASHI_HOST) listen.host = env.KAKEHASHI_HOST;
    out.listen = listen;
  }
  if (env.KAKEHASHI_REDIS_URL) out.store = { kind: 'redis', url: env.KAKEHASHI_REDIS_URL };
  if (env.KAKEHASHI_LOG_LEVEL)
    out.log = { ...(out.log as object | undefined), level: env.KAKEHASHI_LOG_LEVEL };
  return out;
}

export function parseConfigText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError([
      { path: '(file)', message: `${file} is not valid JSON: ${(e as Error).message}` },
    ]);
  }
}

export function loadConfigFile(file: string, env: Env): CheckedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([
      { path: '(file)', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` },
    ]);
  }
  return loadConfigObject(parseConfigText(text, file), env);
}

export function loadConfigObject(raw: unknown, env: Env): CheckedConfig {
  const problems: ConfigProblem[] = [];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ path: '(root)', message: 'expected a JSON object' }]);
  }
  const resolved = resolveEnvRefs(applyOverrides(raw as Record<string, unknown>, env), env, '', problems);
  let checked: CheckedConfig;
  try {
    checked = checkConfig(resolved, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // A field whose environment variable is missing is reported once, by that message, not again by the schema
    // as the undefined value it became.
    const unset = new Set(problems.map((p) => p.path));
    throw new ConfigError([...problems, ...e.problems.filter((p) => !unset.has(p.path))]);
  }
  if (problems.length) throw new ConfigError(problems);
  return checked;
}
