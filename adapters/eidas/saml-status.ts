/**
 * Refusals of the SAML IdP targets (eIDAS and plain SAML) as what the SP receives: a signed error Response in
 * an HTTP-POST form to an ACS from metadata, and the SAML status for a hub (OAuth) error.
 */
import type { Response } from 'express';
import { STATUS } from './constants.js';
import { renderPostForm } from './post-form.js';
import { SamlStatusError } from './request.js';
import { buildErrorResponse } from './response.js';
import type { PemKeyPair } from './samlify.js';

export interface ErrorIssuer {
  readonly entityId: string;
  readonly signing: PemKeyPair;
  readonly signatureAlgorithm: string;
  readonly now: () => number;
}

/** The HTML page posting a signed error Response to `acsUrl`. */
export function errorResponseForm(
  idp: ErrorIssuer,
  acsUrl: string,
  e: SamlStatusError,
  inResponseTo?: string,
  relayState?: string,
): string {
  const xml = buildErrorResponse(
    {
      idpEntityId: idp.entityId,
      acsUrl,
      ...(inResponseTo && { inResponseTo }),
      status: e.status,
      ...(e.subStatus && { subStatus: e.subStatus }),
      message: e.message,
      now: idp.now(),
    },
    idp.signing,
    idp.signatureAlgorithm,
  );
  return renderPostForm(acsUrl, xml, relayState);
}

/** `sendError(res, acsUrl, e, inResponseTo?, relayState?)`: answer with the error form. */
export const errorSender =
  (idp: ErrorIssuer) =>
  (res: Response, acsUrl: string, e: SamlStatusError, inResponseTo?: string, relayState?: string): void => {
    res.type('html').send(errorResponseForm(idp, acsUrl, e, inResponseTo, relayState));
  };

const NO_PASSIVE = 'urn:oasis:names:tc:SAML:2.0:status:NoPassive';
const NEEDS_INTERACTION: readonly string[] = ['login_required', 'consent_required', 'interaction_required'];

/** Responder plus the second-level status for the hub's OAuth error (`passive`: the SP sent IsPassive). */
export function hubFailureStatus(codePrefix: string, oauthError: string, passive = false): SamlStatusError {
  const sub =
    passive && NEEDS_INTERACTION.includes(oauthError)
      ? NO_PASSIVE
      : oauthError === 'access_denied'
        ? STATUS.requestDenied
        : oauthError === 'unmet_authentication_requirements'
          ? STATUS.noAuthnContext
          : STATUS.authnFailed;
  return new SamlStatusError(
    `${codePrefix}${oauthError}`,
    STATUS.responder,
    sub,
    'authentication did not complete',
  );
}
