import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { z } from 'zod';
import { type KnownIssuer, normalizeSerial, type RevocationState } from './revocation-state.js';

/**
 * Platform-operator certificate status API (test server).
 *
 * The wire shape is OUR OWN DESIGN, modelled on what platform operators
 * (プラットフォーム事業者, e.g. PocketSign Verify) offer: a J-LIS-sourced
 * status check plus 証明書紐付け情報 (sign <-> auth linkage) and
 * 証明書新旧紐付け情報 (old -> new auth cert on renewal). Real operators'
 * formats differ and are not public in full (schemes.md §1.3, §6.3 [U]).
 *
 * `POST <platformStatusUrl>` with JSON `{ "certificate": "<base64url DER>" }` ->
 * 200 `{ "status": "good" | "revoked" | "unknown", "checked_at": <epoch seconds>,
 *        "linked_auth_serial"?: "<hex>",            // for a sign cert: the holder's auth cert
 *        "previous_auth"?: { "issuer": "<DN>", "serial": "<hex>" } }` // for a renewed auth cert
 * 400 `{ "error": "invalid_request" }` on a malformed body.
 * `unknown` = not issued by any CA generation of the test PKI.
 */
export const platformStatusRequestSchema = z.object({ certificate: z.string().regex(/^[A-Za-z0-9_-]+$/) });

export interface PlatformStatusResponse {
  status: 'good' | 'revoked' | 'unknown';
  checked_at: number;
  linked_auth_serial?: string;
  previous_auth?: { issuer: string; serial: string };
}

/** Linkage data recorded by `RevocationServer.linkCertificates`. */
export class LinkageState {
  /** sign serial -> auth serial */
  readonly signToAuth = new Map<string, string>();
  /** new auth serial -> previous auth cert */
  readonly previousAuth = new Map<string, { issuer: string; serial: string }>();
}

export async function answerPlatformStatus(
  body: unknown,
  issuers: readonly KnownIssuer[],
  state: RevocationState,
  links: LinkageState,
  now: Date,
): Promise<PlatformStatusResponse | undefined> {
  const parsed = platformStatusRequestSchema.safeParse(body);
  if (!parsed.success) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(parsed.data.certificate, 'base64url'));
  } catch {
    return undefined;
  }
  const checked_at = Math.floor(now.getTime() / 1000);
  let issuer: KnownIssuer | undefined;
  for (const candidate of issuers) {
    if (candidate.ca.certificate.subject !== cert.issuer) continue;
    if (await cert.verify({ publicKey: candidate.ca.certificate, signatureOnly: true })) {
      issuer = candidate;
      break;
    }
  }
  if (!issuer) return { status: 'unknown', checked_at };
  const serial = normalizeSerial(cert.serialNumber);
  const revoked = state.lookup(cert.issuer, serial);
  const out: PlatformStatusResponse = { status: revoked ? 'revoked' : 'good', checked_at };
  const linked = links.signToAuth.get(serial);
  if (issuer.kind === 'sign' && linked) out.linked_auth_serial = linked;
  const previous = links.previousAuth.get(serial);
  if (issuer.kind === 'auth' && previous) out.previous_auth = previous;
  return out;
}
