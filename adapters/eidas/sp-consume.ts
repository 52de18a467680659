/**
 * The stateful half of response validation: the pending AuthnRequest the Response answers (InResponseTo,
 * single use) and replay of the Response ID and Assertion ID (`setIfAbsent`, kept until the assertion
 * could no longer be accepted anyway). No personal attributes are stored here.
 */
import { createHash } from 'node:crypto';
import type { AdapterStore } from '../../src/core/adapter.js';
import {
  type ResponseExpectations,
  samlError,
  type VerifiedAssertion,
  verifySamlResponse,
} from './sp-response.js';

/** What we remember about an AuthnRequest we sent (keyed by its ID). */
export interface PendingAuthn {
  /** The OIDC interaction the request was made for. */
  readonly uid: string;
  /** The LoA URI we asked for (minimum comparison). */
  readonly loaUri: string;
  /** Epoch ms. */
  readonly sentAt: number;
}

export const pendingKey = (requestId: string) => `authn:${requestId}`;
const replayKey = (kind: string, issuer: string, id: string) =>
  `${kind}:${createHash('sha256').update(`${issuer}\0${id}`).digest('base64url')}`;

export interface ConsumedResponse {
  readonly pending: PendingAuthn;
  readonly assertion: VerifiedAssertion;
}

/** Verify a Response (sp-response.ts), then replay and InResponseTo against the store. */
export async function consumeSamlResponse(
  xml: string,
  x: ResponseExpectations,
  store: AdapterStore,
): Promise<ConsumedResponse> {
  const assertion = await verifySamlResponse(xml, x);
  const ttl = Math.max(60, Math.ceil((assertion.notOnOrAfter - x.now) / 1000) + 2 * x.clockSkewSeconds);
  const issuer = x.node.entityId;
  if (
    !(await store.setIfAbsent(replayKey('response', issuer, assertion.responseId), 1, ttl)) ||
    !(await store.setIfAbsent(replayKey('assertion', issuer, assertion.assertionId), 1, ttl))
  )
    throw samlError('ERR_SAML_REPLAY', 'this response was already used');
  const pending = await store.take<PendingAuthn>(pendingKey(assertion.inResponseTo));
  if (!pending) throw samlError('ERR_SAML_IN_RESPONSE_TO', 'the response does not answer a pending request');
  return { pending, assertion };
}
