import { z } from 'zod';
import type { ApduTransport } from './apdu.js';
import { JpkiCardClient } from './client.js';

/** Challenge document served by the gateway (see the JPKI wire contract). */
export const challengeSchema = z.object({
  challenge: z.string().regex(/^[A-Za-z0-9_-]+$/),
  signing: z.boolean(),
  response_uri: z.url(),
  expires_at: z.number(),
});

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/**
 * Card-client side of the challenge-response login: GET the challenge, sign
 * exactly its bytes with the auth key (and the sign key when `signing`), POST
 * certificates and signatures to `response_uri`. The response URI must share
 * the challenge URL's origin, so a hostile challenge cannot redirect the
 * signatures to a third party.
 */
export async function respondToChallenge(
  challengeUrl: string,
  card: ApduTransport,
  pins: { authPin: string; signPin?: string },
  deps: { fetch?: typeof fetch } = {},
): Promise<{ status: number; body: unknown }> {
  const doFetch = deps.fetch ?? fetch;
  const res = await doFetch(challengeUrl, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`challenge request failed with HTTP ${res.status}`);
  const challenge = challengeSchema.parse(await res.json());
  if (new URL(challenge.response_uri).origin !== new URL(challengeUrl).origin) {
    throw new Error('response_uri is not on the challenge origin');
  }
  if (challenge.signing && pins.signPin === undefined)
    throw new Error('the challenge asks for a signature: sign PIN required');
  const bytes = new Uint8Array(Buffer.from(challenge.challenge, 'base64url'));
  const client = new JpkiCardClient(card);
  const payload: Record<string, string> = {
    auth_certificate: b64url(await client.readAuthCertificate()),
    auth_signature: b64url(await client.signWithAuthKey(pins.authPin, bytes)),
  };
  if (challenge.signing && pins.signPin !== undefined) {
    payload.sign_certificate = b64url(await client.readSignCertificate(pins.signPin));
    payload.sign_signature = b64url(await client.signWithSignKey(pins.signPin, bytes));
  }
  const post = await doFetch(challenge.response_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(payload),
  });
  const text = await post.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // non-JSON error pages are returned as text
  }
  return { status: post.status, body };
}
