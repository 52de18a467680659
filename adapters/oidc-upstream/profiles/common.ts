/** Helpers shared by the upstream profiles: script detection, RFC 8176 amr, claim readers. */
import { GatewayError } from '../../../src/core/errors.js';
import { type Amr, amrSchema, type Gender, type Script } from '../../../src/core/identity.js';

const KANA_ONLY = /^[\p{Script=Katakana}\u30fc\u30fb\u3000\s]+$/u;
const HIRA_ONLY = /^[\p{Script=Hiragana}\u30fc\u3000\s]+$/u;
const HAN_OR_KANA = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** The ISO 15924 script of a name as far as our canonical vocabulary goes (Jpan, Kana, Hira, Latn). */
export function scriptOf(value: string): Script {
  if (KANA_ONLY.test(value)) return 'Kana';
  if (HIRA_ONLY.test(value)) return 'Hira';
  if (HAN_OR_KANA.test(value)) return 'Jpan';
  return 'Latn';
}

export function claimsError(message: string, cause?: unknown): GatewayError {
  return new GatewayError('ERR_UPSTREAM_CLAIMS', message, { oauth: 'access_denied', cause });
}

export function str(v: unknown, max = 512): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

/** RFC 8176 values pass through; anything else is looked up in `aliases` and dropped when unknown. */
export function mapAmrValues(values: readonly string[], aliases: Readonly<Record<string, Amr>> = {}): Amr[] {
  const out = new Set<Amr>();
  for (const v of values) {
    const direct = amrSchema.safeParse(v);
    const hit = direct.success ? direct.data : aliases[v];
    if (hit) out.add(hit);
  }
  // The upstream authenticated someone but named no method we know: record only user presence.
  if (out.size === 0) out.add('user');
  return [...out].slice(0, 8);
}

export function amrOf(claims: Readonly<Record<string, unknown>>): string[] {
  const amr = claims.amr;
  return Array.isArray(amr) ? amr.filter((a): a is string => typeof a === 'string') : [];
}

/** OIDC `gender` strings and ISO/IEC 5218 / JPKI codes (1 male, 2 female, 9 not applicable). */
export function genderOf(v: unknown): Gender | undefined {
  if (typeof v === 'number') return genderOf(String(v));
  if (typeof v !== 'string') return undefined;
  switch (v.toLowerCase()) {
    case 'male':
    case 'm':
    case '1':
      return 'male';
    case 'female':
    case 'f':
    case '2':
      return 'female';
    case 'other':
    case '9':
      return 'other';
    case 'unknown':
    case 'u':
    case '0':
      return 'unknown';
    default:
      return undefined;
  }
}

export function isoDate(v: unknown): string | undefined {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v))
    ? v
    : undefined;
}
