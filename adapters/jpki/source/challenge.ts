/**
 * Single-use login challenges. The signed bytes spell out their binding
 * (issuer = audience, interaction uid, expiry) so a signature is useless for
 * any other gateway or login; the record lives in the adapter store and is
 * consumed with `take` (exactly one response can use it).
 */
import { z } from 'zod';
import type { AdapterContext, InteractionRef } from '../../../src/core/adapter.js';
import type { PersonAttribute } from '../../../src/core/identity.js';

export const CHALLENGE_PREFIX = 'kakehashi-jpki-v1';

export const challengeRecordSchema = z
  .object({
    uid: z.string(),
    audience: z.string(),
    /** Epoch seconds. */
    exp: z.number().int(),
    /** base64url of the exact bytes to sign. */
    challenge: z.string(),
    signing: z.boolean(),
  })
  .strict();
export type ChallengeRecord = z.infer<typeof challengeRecordSchema>;

/** Progress of one login, readable by the waiting browser. Never holds personal data. */
export const loginStatusSchema = z
  .object({
    state: z.enum(['pending', 'done', 'failed']),
    uid: z.string(),
    signing: z.boolean(),
    exp: z.number().int(),
    code: z.string().optional(),
  })
  .strict();
export type LoginStatus = z.infer<typeof loginStatusSchema>;

export const challengeKey = (id: string): string => `challenge:${id}`;
export const statusKey = (id: string): string => `status:${id}`;

/** Attributes only the signing certificate carries: asking for any of them needs the sign PIN. */
const SIGNING_ATTRIBUTES: readonly PersonAttribute[] = [
  'familyName',
  'givenName',
  'fullName',
  'birthDate',
  'gender',
  'address',
];

export function needsSigning(interaction: InteractionRef): boolean {
  return interaction.requestedAttributes.some((a) => SIGNING_ATTRIBUTES.includes(a));
}

export function challengeBytes(
  record: Pick<ChallengeRecord, 'audience' | 'uid' | 'exp'>,
  nonce: string,
): Uint8Array {
  return new TextEncoder().encode(
    `${CHALLENGE_PREFIX}\n${record.audience}\n${record.uid}\n${record.exp}\n${nonce}`,
  );
}

/** Create and store a challenge for `interaction`; returns its id (also unguessable: 128 bits). */
export async function createChallenge(
  ctx: AdapterContext,
  interaction: InteractionRef,
  ttlSeconds: number,
): Promise<{ id: string; record: ChallengeRecord }> {
  const id = Buffer.from(ctx.randomBytes(16)).toString('base64url');
  const exp = Math.floor(ctx.now() / 1000) + ttlSeconds;
  const base = { uid: interaction.uid, audience: ctx.issuer, exp };
  const nonce = Buffer.from(ctx.randomBytes(32)).toString('base64url');
  const record: ChallengeRecord = {
    ...base,
    challenge: Buffer.from(challengeBytes(base, nonce)).toString('base64url'),
    signing: needsSigning(interaction),
  };
  // Records outlive `exp` so a late answer is told "expired" rather than "unknown", and the
  // browser can still learn the outcome; `exp` itself is enforced by the routes.
  await ctx.store.set(challengeKey(id), record, ttlSeconds + 60);
  const status: LoginStatus = { state: 'pending', uid: interaction.uid, signing: record.signing, exp };
  await ctx.store.set(statusKey(id), status, ttlSeconds + 300);
  return { id, record };
}

/** The wire document the card client GETs (see the shared JPKI contract). */
export function challengeDocument(record: ChallengeRecord, responseUri: string): Record<string, unknown> {
  return {
    challenge: record.challenge,
    signing: record.signing,
    response_uri: responseUri,
    expires_at: record.exp,
  };
}
