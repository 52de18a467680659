/**
 * AuthnRequests from our connector-side SP to an eIDAS node (SAML core §3.4.1; eIDAS message format:
 * Extensions with SPType and RequestedAttributes, RequestedAuthnContext `minimum`, ForceAuthn).
 * Signed for the HTTP-Redirect binding (detached, bindings §3.4.4.1) or HTTP-POST (enveloped).
 */
import type { PersonAttribute } from '../../src/core/identity.js';
import {
  ATTRNAME_FORMAT_URI,
  BINDING,
  MINIMUM_DATA_SET,
  NAMEID_FORMAT,
  NATURAL_PERSON,
  type NaturalPersonAttribute,
  NS,
} from './constants.js';
import type { RequestedAttribute } from './request.js';
import { type PemKeyPair, samlifyUtility, signDocument, signOctetString } from './samlify.js';
import { escapeXml } from './xml.js';

export interface SpAuthnRequest {
  readonly id: string;
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly destination: string;
  readonly spType: 'public' | 'private';
  readonly loaUri: string;
  readonly requested: readonly RequestedAttribute[];
  /** Epoch ms. */
  readonly now: number;
}

/** Optional eIDAS attributes asked for when the relying party requested the matching canonical attribute. */
const OPTIONAL: Partial<Record<PersonAttribute, NaturalPersonAttribute>> = {
  gender: 'Gender',
  address: 'CurrentAddress',
  birthName: 'BirthName',
};

/** The minimum data set (required) plus the optional attributes the relying party asked for. */
export function requestedFor(attrs: readonly PersonAttribute[]): RequestedAttribute[] {
  const out: RequestedAttribute[] = MINIMUM_DATA_SET.map((attribute) => ({ attribute, required: true }));
  for (const a of attrs) {
    const e = OPTIONAL[a];
    if (e && !out.some((r) => r.attribute === e)) out.push({ attribute: e, required: false });
  }
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function authnRequestXml(r: SpAuthnRequest): string {
  const attrs = r.requested
    .map((q) => {
      const d = NATURAL_PERSON[q.attribute];
      return `<eidas:RequestedAttribute FriendlyName="${d.friendly}" Name="${d.name}" NameFormat="${ATTRNAME_FORMAT_URI}" isRequired="${q.required}"/>`;
    })
    .join('');
  return (
    `<samlp:AuthnRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" xmlns:eidas="${NS.eidas}" ID="${r.id}" Version="2.0" IssueInstant="${iso(r.now)}" Destination="${escapeXml(r.destination)}" AssertionConsumerServiceURL="${escapeXml(r.acsUrl)}" ProtocolBinding="${BINDING.post}" ForceAuthn="true" IsPassive="false">` +
    `<saml:Issuer Format="${NAMEID_FORMAT.entity}">${escapeXml(r.spEntityId)}</saml:Issuer>` +
    `<samlp:Extensions><eidas:SPType>${r.spType}</eidas:SPType><eidas:RequestedAttributes>${attrs}</eidas:RequestedAttributes></samlp:Extensions>` +
    `<samlp:NameIDPolicy Format="${NAMEID_FORMAT.persistent}" AllowCreate="true"/>` +
    `<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>${escapeXml(r.loaUri)}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>` +
    '</samlp:AuthnRequest>'
  );
}

/** HTTP-Redirect: the URL to send the browser to (DEFLATE + base64, signature over the octet string). */
export function redirectUrl(
  xml: string,
  destination: string,
  key: PemKeyPair,
  sigAlg: string,
  relayState?: string,
): string {
  const parts = [`SAMLRequest=${encodeURIComponent(samlifyUtility.deflateRedirect(xml))}`];
  if (relayState) parts.push(`RelayState=${encodeURIComponent(relayState)}`);
  parts.push(`SigAlg=${encodeURIComponent(sigAlg)}`);
  const octets = parts.join('&');
  const signature = signOctetString(octets, key.keyPem, sigAlg);
  return `${destination}${destination.includes('?') ? '&' : '?'}${octets}&Signature=${encodeURIComponent(signature)}`;
}

/** HTTP-POST: the request with an enveloped signature after the Issuer. */
export function signedPostRequest(xml: string, key: PemKeyPair, sigAlg: string): string {
  return signDocument(xml, key, sigAlg, "/*[local-name(.)='AuthnRequest']/*[local-name(.)='Issuer']");
}
