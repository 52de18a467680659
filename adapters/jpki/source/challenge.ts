/**
 * Single-use login challenges. The signed bytes spell out their binding
 * (issuer = audience, interaction uid, expiry) so a signature is useless for
 * any other gateway or login; the record lives in the adapter store and is
 * consumed with `take` (exactly one response can use it).
 *
 * Store round trips of one login: one write to create the challenge (while it
 * is there the login is pending), one atomic `take` to consume it, one sealed
 * write of the outcome (done with the identity, or failed with its code), and
 * at /finish one sealed read and one sealed `take` of that outcome.
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

/** Progress of one login as the waiting browser sees it (only `state` is sent). Never holds personal data. */
export interface LoginStatus {
  state: 'pending' | 'done' | 'failed';
  uid: string;
  signing: boolean;
  exp: number;
  code?: string;
}

/**
 * The outcome of the card's response, sealed (it carries the identity) under the challenge id until the
 * browser's /finish takes it. The identity is validated with parseCanonicalIdentity when it is handed on.
 */
export const loginOutcomeSchema = z
  .object({
    state: z.enum(['done', 'failed']),
    uid: z.string(),
    signing: z.boolean(),
    exp: z.number().int(),
    code: z.string().optional(),
    identity: z.unknown().optional(),
  })
  .strict();
export type LoginOutcome = z.infer<typeof loginOutcomeSchema>;

/** Sealed-store namespace of the outcomes. */
export const OUTCOME_NAMESPACE = 'jpki-result';
/** How long an outcome waits for the browser's /finish. */
export const OUTCOME_TTL_SECONDS = 300;
/** A challenge record outlives its `exp` by this much, so a late answer or poll learns "expired", not "unknown". */
export const CHALLENGE_GRACE_SECONDS = 300;

export const challengeKey = (id: string): string => `challenge:${id}`;

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
  // One write: the record is also the login's "pending" state. It outlives `exp` so a late answer is told
  // "expired" rather than "unknown", and the browser can still learn the outcome; `exp` itself is enforced
  // by the routes.
  await ctx.store.set(challengeKey(id), record, ttlSeconds + CHALLENGE_GRACE_SECONDS);
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
