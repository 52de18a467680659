/**
 * eIDAS Response documents (SAML core §2.3.3, §3.2.2; eIDAS message format: signed Response carrying exactly
 * one EncryptedAssertion whose assertion is itself signed; NameID = PersonIdentifier).
 * The XML is written here; signing and encryption are samlify's (samlify.ts).
 */
import { randomBytes } from 'node:crypto';
import { NAMEID_FORMAT, NS, STATUS } from './constants.js';
import { type PemKeyPair, type SamlIdp, type SamlSp, signDocument, signEncryptResponse } from './samlify.js';
import { escapeXml } from './xml.js';

export const newSamlId = (): string => `_${randomBytes(20).toString('hex')}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface AssertionInput {
  readonly idpEntityId: string;
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly inResponseTo: string;
  readonly nameId: string;
  readonly nameIdFormat: string;
  readonly loaUri: string;
  /** Epoch ms. */
  readonly now: number;
  /** Epoch seconds of the authentication. */
  readonly authTime: number;
  readonly lifetimeSeconds: number;
  readonly attributeStatement: string;
  /** SessionIndex of the AuthnStatement (for Single Logout); random when omitted. */
  readonly sessionIndex?: string;
}

/** The unsigned Response with a plaintext assertion (input to signing and encryption). */
export function successResponseXml(a: AssertionInput): string {
  const now = iso(a.now);
  const notAfter = iso(a.now + a.lifetimeSeconds * 1000);
  const issuer = `<saml:Issuer Format="${NAMEID_FORMAT.entity}">${escapeXml(a.idpEntityId)}</saml:Issuer>`;
  const assertion =
    `<saml:Assertion xmlns:saml="${NS.saml}" xmlns:xsi="${NS.xsi}" ID="${newSamlId()}" Version="2.0" IssueInstant="${now}">` +
    issuer +
    `<saml:Subject><saml:NameID Format="${escapeXml(a.nameIdFormat)}" NameQualifier="${escapeXml(a.idpEntityId)}" SPNameQualifier="${escapeXml(a.spEntityId)}">${escapeXml(a.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${a.inResponseTo}" NotOnOrAfter="${notAfter}" Recipient="${escapeXml(a.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${now}" NotOnOrAfter="${notAfter}"><saml:AudienceRestriction><saml:Audience>${escapeXml(a.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(a.authTime * 1000)}" SessionIndex="${a.sessionIndex ?? newSamlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>${escapeXml(a.loaUri)}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    a.attributeStatement +
    '</saml:Assertion>';
  return (
    `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${newSamlId()}" Version="2.0" IssueInstant="${now}" Destination="${escapeXml(a.acsUrl)}" InResponseTo="${a.inResponseTo}">` +
    issuer +
    `<samlp:Status><samlp:StatusCode Value="${STATUS.success}"/></samlp:Status>` +
    assertion +
    '</samlp:Response>'
  );
}

/** Signed assertion, encrypted to the connector, in a signed Response. Returns the Response XML. */
export async function buildSuccessResponse(idp: SamlIdp, sp: SamlSp, a: AssertionInput): Promise<string> {
  return signEncryptResponse(idp, sp, successResponseXml(a));
}

export interface ErrorInput {
  readonly idpEntityId: string;
  readonly acsUrl: string;
  /** Omitted when the request could not be authenticated. */
  readonly inResponseTo?: string;
  readonly status: string;
  readonly subStatus?: string;
  /** Safe, fixed text (never personal data, never internals). */
  readonly message: string;
  readonly now: number;
}

/** A signed error Response (no assertion). */
export function buildErrorResponse(e: ErrorInput, key: PemKeyPair, signatureAlgorithm: string): string {
  const sub = e.subStatus ? `<samlp:StatusCode Value="${e.subStatus}"/>` : '';
  const xml =
    `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${newSamlId()}" Version="2.0" IssueInstant="${iso(e.now)}" Destination="${escapeXml(e.acsUrl)}"${
      e.inResponseTo ? ` InResponseTo="${e.inResponseTo}"` : ''
    }>` +
    `<saml:Issuer Format="${NAMEID_FORMAT.entity}">${escapeXml(e.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${e.status}">${sub}</samlp:StatusCode><samlp:StatusMessage>${escapeXml(e.message)}</samlp:StatusMessage></samlp:Status>` +
    '</samlp:Response>';
  return signDocument(xml, key, signatureAlgorithm, "/*[local-name(.)='Response']/*[local-name(.)='Issuer']");
}
