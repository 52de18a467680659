/**
 * Messages from the plain SAML IdP to an SP: the login Response signed/encrypted per SP policy, and the
 * Single Logout messages (SAML core §3.7), delivered with HTTP-POST (enveloped signature) or HTTP-Redirect
 * (signature over the octet string, bindings §3.4.4.1). The XML is written here; signing and encryption are
 * samlify's (samlify.ts).
 */
import type { Response } from 'express';
import { NAMEID_FORMAT, NS, STATUS } from './constants.js';
import { renderPostForm } from './post-form.js';
import { newSamlId } from './response.js';
import type { Endpoint } from './saml-sp-metadata.js';
import {
  encryptAssertionTo,
  type PemKeyPair,
  type SamlIdp,
  type SamlSp,
  samlifyUtility,
  signAssertionInResponse,
  signDocument,
  signOctetString,
} from './samlify.js';
import { escapeXml } from './xml.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const AFTER_ISSUER = "/*/*[local-name(.)='Issuer']";

export interface Signer {
  readonly key: PemKeyPair;
  readonly algorithm: string;
}

export interface ResponsePolicy {
  readonly signAssertion: boolean;
  readonly signResponse: boolean;
  readonly encryptAssertion: boolean;
}

/** Assertion signature, then encryption, then Response signature, as the SP's policy says. */
export async function protectResponse(
  unsignedResponseXml: string,
  policy: ResponsePolicy,
  signer: Signer,
  idp: SamlIdp,
  sp: SamlSp | undefined,
): Promise<string> {
  let xml = unsignedResponseXml;
  if (policy.signAssertion) xml = signAssertionInResponse(xml, signer.key, signer.algorithm);
  if (policy.encryptAssertion) {
    if (!sp) throw new Error('no encryption key for this SP');
    xml = await encryptAssertionTo(idp, sp, xml);
  }
  if (policy.signResponse) xml = signDocument(xml, signer.key, signer.algorithm, AFTER_ISSUER);
  return xml;
}

export interface LogoutRequestInput {
  readonly idpEntityId: string;
  readonly spEntityId: string;
  readonly destination: string;
  readonly nameId: string;
  readonly nameIdFormat: string;
  readonly sessionIndex?: string;
  readonly now: number;
  readonly lifetimeSeconds: number;
}

export function logoutRequestXml(r: LogoutRequestInput, id = newSamlId()): string {
  return (
    `<samlp:LogoutRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${id}" Version="2.0" IssueInstant="${iso(r.now)}" Destination="${escapeXml(r.destination)}" NotOnOrAfter="${iso(r.now + r.lifetimeSeconds * 1000)}" Reason="urn:oasis:names:tc:SAML:2.0:logout:user">` +
    `<saml:Issuer Format="${NAMEID_FORMAT.entity}">${escapeXml(r.idpEntityId)}</saml:Issuer>` +
    `<saml:NameID Format="${escapeXml(r.nameIdFormat)}" NameQualifier="${escapeXml(r.idpEntityId)}" SPNameQualifier="${escapeXml(r.spEntityId)}">${escapeXml(r.nameId)}</saml:NameID>` +
    (r.sessionIndex ? `<samlp:SessionIndex>${escapeXml(r.sessionIndex)}</samlp:SessionIndex>` : '') +
    '</samlp:LogoutRequest>'
  );
}

export interface LogoutResponseInput {
  readonly idpEntityId: string;
  readonly destination: string;
  readonly inResponseTo?: string;
  readonly status: string;
  readonly subStatus?: string;
  /** Fixed, safe text. */
  readonly message?: string;
  readonly now: number;
}

export function logoutResponseXml(r: LogoutResponseInput): string {
  const sub = r.subStatus ? `<samlp:StatusCode Value="${r.subStatus}"/>` : '';
  const message = r.message ? `<samlp:StatusMessage>${escapeXml(r.message)}</samlp:StatusMessage>` : '';
  return (
    `<samlp:LogoutResponse xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${newSamlId()}" Version="2.0" IssueInstant="${iso(r.now)}" Destination="${escapeXml(r.destination)}"${
      r.inResponseTo ? ` InResponseTo="${escapeXml(r.inResponseTo)}"` : ''
    }>` +
    `<saml:Issuer Format="${NAMEID_FORMAT.entity}">${escapeXml(r.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${r.status}">${sub}</samlp:StatusCode>${message}</samlp:Status>` +
    '</samlp:LogoutResponse>'
  );
}

export const LOGOUT_SUCCESS = STATUS.success;
export const PARTIAL_LOGOUT = 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout';

/**
 * Send a signed SLO message to `endpoint` (a response goes to its ResponseLocation when there is one).
 * HTTP-POST: auto-submitting form; HTTP-Redirect: 303 with SAMLRequest|SAMLResponse, RelayState, SigAlg, Signature.
 */
export function deliver(
  res: Response,
  endpoint: Endpoint,
  field: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  signer: Signer,
  relayState?: string,
): void {
  const url = field === 'SAMLResponse' ? (endpoint.responseLocation ?? endpoint.location) : endpoint.location;
  if (endpoint.binding === 'post') {
    res
      .type('html')
      .send(
        renderPostForm(url, signDocument(xml, signer.key, signer.algorithm, AFTER_ISSUER), relayState, field),
      );
    return;
  }
  const parts = [
    `${field}=${encodeURIComponent(samlifyUtility.deflateRedirect(xml))}`,
    ...(relayState !== undefined ? [`RelayState=${encodeURIComponent(relayState)}`] : []),
    `SigAlg=${encodeURIComponent(signer.algorithm)}`,
  ];
  const octets = parts.join('&');
  const signature = signOctetString(octets, signer.key.keyPem, signer.algorithm);
  const target = new URL(url);
  const sep = target.search ? '&' : '?';
  res.redirect(303, `${url}${sep}${octets}&Signature=${encodeURIComponent(signature)}`);
}
