/**
 * Messages from a plain SAML SP (AuthnRequest, LogoutRequest, LogoutResponse), HTTP-Redirect or HTTP-POST:
 * decoding, schema validation, signature verification against the SP's metadata keys only, and the checks
 * samlify leaves to the caller (what the signature covers, Issuer, Destination, IssueInstant, Version, ID).
 * References: SAML core §3.2.1, §3.4.1, §3.7.1, §3.7.2; bindings §3.4.4.1 (Redirect signature over the octet
 * string), §3.4.5.2 / §3.5.5.2 (Destination of signed messages).
 * POST signatures go through xml-signature.ts (xml-crypto: one Reference to the root ID, unique ID, KeyInfo
 * ignored), and the fields are read from the XML it returns as signed.
 */
import { verify as verifySignature } from 'node:crypto';
import type { Request } from 'express';
import { NS, STATUS } from './constants.js';
import { SamlStatusError } from './request.js';
import { samlifyUtility } from './samlify.js';
import { validateSamlSchema } from './schema-validator.js';
import { withDoc } from './xml.js';
import { hasSignatureChild, verifyElementSignature } from './xml-signature.js';

export type SamlMessageKind = 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse';

/** Redirect-binding SigAlg values we verify (PKCS#1 v1.5; SHA-1 is refused). */
const REDIRECT_SIG_ALGS: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const NCNAME = /^[A-Za-z_][\w.-]*$/;
const MAX_RELAY_STATE = 80 * 4;

export interface EncodedMessage {
  readonly binding: 'redirect' | 'post';
  readonly field: 'SAMLRequest' | 'SAMLResponse';
  readonly xml: string;
  readonly relayState?: string;
  /** Redirect binding: the detached signature and the octet string it covers. */
  readonly detached?: { readonly sigAlg: string; readonly signature: string; readonly octets: string };
}

export const requesterError = (code: string, message: string, sub?: string) =>
  new SamlStatusError(code, STATUS.requester, sub, message);

/** Undefined when the HTTP request carries no decodable SAML message (a plain 400 page). */
export function decodeMessage(req: Request, binding: 'redirect' | 'post'): EncodedMessage | undefined {
  const params = (binding === 'redirect' ? req.query : req.body) as Record<string, unknown>;
  const field = typeof params.SAMLRequest === 'string' ? 'SAMLRequest' : 'SAMLResponse';
  const encoded = params[field];
  const relay = params.RelayState;
  if (typeof encoded !== 'string' || encoded.length > 512 * 1024) return undefined;
  if (relay !== undefined && (typeof relay !== 'string' || relay.length > MAX_RELAY_STATE)) return undefined;
  let xml: string;
  try {
    xml =
      binding === 'redirect'
        ? samlifyUtility.inflateRedirect(encoded)
        : Buffer.from(encoded, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
  if (!xml.trimStart().startsWith('<')) return undefined;
  let detached: EncodedMessage['detached'];
  if (binding === 'redirect' && typeof params.Signature === 'string' && typeof params.SigAlg === 'string') {
    // Bindings §3.4.4.1: the octet string is built from the values exactly as they were URL-encoded.
    const raw = (req.originalUrl.split('?')[1] ?? '').split('&');
    const part = (name: string) => raw.find((p) => p.startsWith(`${name}=`));
    const octets = [part(field), part('RelayState'), part('SigAlg')].filter(Boolean).join('&');
    detached = { sigAlg: params.SigAlg, signature: params.Signature, octets };
  }
  return {
    binding,
    field,
    xml,
    ...(typeof relay === 'string' && { relayState: relay }),
    ...(detached && { detached }),
  };
}

/** Issuer of a message before verification (only to pick the trust anchor). */
export function peekIssuer(xml: string): string | undefined {
  return /<(?:\w+:)?Issuer\b[^>]*>\s*([^<\s]+)\s*<\/(?:\w+:)?Issuer>/.exec(xml)?.[1];
}

/**
 * Schema-validate and verify the signature of `m` with the SP's signing certificates.
 * Returns the XML to read (the signed form for POST) and whether it was signed.
 * Throws SamlStatusError ERR_SAML_SCHEMA / ERR_SAML_SIGNATURE / ERR_SAML_UNSIGNED.
 */
export function verifyMessage(
  m: EncodedMessage,
  kind: SamlMessageKind,
  certsPem: readonly string[],
  requireSignature: boolean,
): { xml: string; signed: boolean } {
  try {
    validateSamlSchema(m.xml);
  } catch {
    throw requesterError('ERR_SAML_SCHEMA', 'message is not valid against the SAML schemas');
  }
  const badSignature = () =>
    requesterError('ERR_SAML_SIGNATURE', 'message signature invalid', STATUS.requestDenied);
  if (m.binding === 'redirect') {
    if (!m.detached) {
      if (requireSignature)
        throw requesterError('ERR_SAML_UNSIGNED', 'message signature missing', STATUS.requestDenied);
      return { xml: m.xml, signed: false };
    }
    const hash = REDIRECT_SIG_ALGS[m.detached.sigAlg];
    if (!hash) throw badSignature();
    const sig = Buffer.from(m.detached.signature, 'base64');
    const ok = certsPem.some((cert) => {
      try {
        return verifySignature(hash, Buffer.from(m.detached?.octets ?? '', 'utf8'), cert, sig);
      } catch {
        return false;
      }
    });
    if (!ok) throw badSignature();
    return { xml: m.xml, signed: true };
  }
  if (!hasSignatureChild(m.xml, [[NS.samlp, kind]])) {
    if (requireSignature)
      throw requesterError('ERR_SAML_UNSIGNED', 'message signature missing', STATUS.requestDenied);
    return { xml: m.xml, signed: false };
  }
  try {
    return { xml: verifyElementSignature(m.xml, [[NS.samlp, kind]], certsPem).xml, signed: true };
  } catch {
    throw badSignature();
  }
}

export interface MessageCheck {
  readonly issuer: string;
  readonly destination: string;
  readonly now: number;
  readonly clockSkewSeconds: number;
  readonly maxAgeSeconds: number;
}

export interface AuthnRequestFields {
  readonly kind: 'AuthnRequest';
  readonly id: string;
  readonly acsUrl?: string;
  readonly acsIndex?: string;
  readonly protocolBinding?: string;
  readonly forceAuthn: boolean;
  readonly isPassive: boolean;
  readonly nameIdPolicy?: { readonly format?: string; readonly spNameQualifier?: string };
  readonly authnContext?: { readonly comparison: string; readonly classRefs: readonly string[] };
}
export interface LogoutRequestFields {
  readonly kind: 'LogoutRequest';
  readonly id: string;
  readonly nameId: string;
  readonly nameIdFormat?: string;
  readonly sessionIndexes: readonly string[];
}
export interface LogoutResponseFields {
  readonly kind: 'LogoutResponse';
  readonly id: string;
  readonly inResponseTo?: string;
  readonly statusCodes: readonly string[];
}
export type MessageFields = AuthnRequestFields | LogoutRequestFields | LogoutResponseFields;

/** The checks every SP message gets, and the fields of its kind. */
export function readMessage(xml: string, kind: SamlMessageKind, c: MessageCheck): MessageFields {
  return withDoc(xml, (d) => {
    const root = d.root;
    if (root.name !== kind || root.namespaceUri !== NS.samlp)
      throw requesterError('ERR_SAML_MESSAGE_TYPE', `not a ${kind}`);
    const id = d.attr(root, 'ID') ?? '';
    if (!NCNAME.test(id)) throw requesterError('ERR_SAML_MESSAGE_ID', 'message ID is not an NCName');
    if (d.attr(root, 'Version') !== '2.0')
      throw requesterError(
        'ERR_SAML_VERSION',
        'unsupported SAML version',
        'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch',
      );
    if (d.text('/*/saml:Issuer').trim() !== c.issuer)
      throw requesterError('ERR_SAML_ISSUER', 'Issuer is not the SP', STATUS.requestDenied);
    if (d.attr(root, 'Destination') !== c.destination)
      throw requesterError(
        'ERR_SAML_DESTINATION',
        'Destination is missing or not this endpoint',
        STATUS.requestDenied,
      );
    const instant = Date.parse(d.attr(root, 'IssueInstant') ?? '');
    if (!Number.isFinite(instant)) throw requesterError('ERR_SAML_ISSUE_INSTANT', 'IssueInstant is invalid');
    if (
      instant > c.now + c.clockSkewSeconds * 1000 ||
      instant < c.now - (c.maxAgeSeconds + c.clockSkewSeconds) * 1000
    )
      throw requesterError(
        'ERR_SAML_ISSUE_INSTANT',
        'IssueInstant is outside the accepted window',
        STATUS.requestDenied,
      );

    if (kind === 'LogoutResponse')
      return {
        kind,
        id,
        ...(d.attr(root, 'InResponseTo') && { inResponseTo: d.attr(root, 'InResponseTo') }),
        statusCodes: d.all('/*/samlp:Status//samlp:StatusCode').map((s) => d.attr(s, 'Value') ?? ''),
      };
    if (kind === 'LogoutRequest') {
      const notOnOrAfter = d.attr(root, 'NotOnOrAfter');
      if (notOnOrAfter && Date.parse(notOnOrAfter) + c.clockSkewSeconds * 1000 <= c.now)
        throw requesterError('ERR_SAML_EXPIRED', 'the logout request has expired', STATUS.requestDenied);
      const nameId = d.one('/*/saml:NameID');
      if (!nameId)
        throw requesterError(
          'ERR_SAML_NAMEID',
          'the logout request names no NameID (encrypted IDs are not supported)',
        );
      const format = d.attr(nameId, 'Format');
      return {
        kind,
        id,
        nameId: d.text('.', nameId).trim(),
        ...(format && { nameIdFormat: format }),
        sessionIndexes: d.all('/*/samlp:SessionIndex').map((s) => d.text('.', s).trim()),
      };
    }
    const policy = d.one('/*/samlp:NameIDPolicy');
    const rac = d.one('/*/samlp:RequestedAuthnContext');
    const attr = (name: string) => d.attr(root, name);
    const policyFormat = d.attr(policy, 'Format');
    const spnq = d.attr(policy, 'SPNameQualifier');
    return {
      kind,
      id,
      ...(attr('AssertionConsumerServiceURL') && { acsUrl: attr('AssertionConsumerServiceURL') }),
      ...(attr('AssertionConsumerServiceIndex') && { acsIndex: attr('AssertionConsumerServiceIndex') }),
      ...(attr('ProtocolBinding') && { protocolBinding: attr('ProtocolBinding') }),
      forceAuthn: ['true', '1'].includes(attr('ForceAuthn') ?? ''),
      isPassive: ['true', '1'].includes(attr('IsPassive') ?? ''),
      ...(policy && {
        nameIdPolicy: {
          ...(policyFormat && { format: policyFormat }),
          ...(spnq && { spNameQualifier: spnq }),
        },
      }),
      ...(rac && {
        authnContext: {
          comparison: d.attr(rac, 'Comparison') ?? 'exact',
          classRefs: d.all('saml:AuthnContextClassRef', rac).map((e) => d.text('.', e).trim()),
        },
      }),
    };
  });
}
