/**
 * eIDAS AuthnRequest checks done after samlify has verified the signature: what the signature covers,
 * Destination, IssueInstant skew, ID replay, SPType, RequestedAuthnContext, NameIDPolicy, requested attributes.
 * References: SAML core §3.4, bindings §3.4.5.2/§3.5.5.2 (Destination of signed messages), eIDAS message
 * format (Extensions/SPType/RequestedAttributes), schemes.md §2.3–2.4.
 */
import {
  ATTRIBUTE_BY_URI,
  ATTRNAME_FORMAT_URI,
  type NaturalPersonAttribute,
  STATUS,
  SUPPORTED_NAMEID_FORMATS,
} from './constants.js';
import { type EidasLoa, eidasLoaRank, parseEidasLoa } from './eidas-loa.js';
import { withDoc } from './xml.js';

/** A refusal that becomes a SAML error Response (top-level and optional second-level status). */
export class SamlStatusError extends Error {
  readonly code: string;
  readonly status: string;
  readonly subStatus: string | undefined;
  constructor(code: string, status: string, subStatus: string | undefined, message: string) {
    super(message);
    this.code = code;
    this.status = status;
    this.subStatus = subStatus;
    this.name = 'SamlStatusError';
  }
}

const requester = (code: string, message: string, sub?: string) =>
  new SamlStatusError(code, STATUS.requester, sub, message);

export interface RequestedAttribute {
  readonly attribute: NaturalPersonAttribute;
  readonly required: boolean;
}

export interface CheckedAuthnRequest {
  readonly id: string;
  readonly issuer: string;
  readonly issueInstant: number;
  readonly spType: 'public' | 'private';
  /** The minimum level requested (for `exact`, the single acceptable level). */
  readonly minimumLoa: EidasLoa;
  readonly comparison: 'minimum' | 'exact';
  readonly nameIdFormat: string | undefined;
  readonly requested: readonly RequestedAttribute[];
  readonly forceAuthn: boolean;
}

export interface RequestCheckContext {
  readonly expectedIssuer: string;
  readonly destination: string;
  readonly acsUrls: readonly string[];
  readonly defaultSpType: 'public' | 'private' | undefined;
  /** Epoch ms. */
  readonly now: number;
  readonly clockSkewSeconds: number;
  readonly maxAgeSeconds: number;
  /** Whether the message signature is embedded (POST) rather than detached (Redirect). */
  readonly embeddedSignature: boolean;
}

const NCNAME = /^[A-Za-z_][\w.-]*$/;

/** Structural and semantic checks on a signature-verified AuthnRequest (the caller then does the replay check). */
export function checkAuthnRequest(xml: string, c: RequestCheckContext): CheckedAuthnRequest {
  return withDoc(xml, (d) => {
    const root = d.root;
    if (root.name !== 'AuthnRequest' || root.namespaceUri !== 'urn:oasis:names:tc:SAML:2.0:protocol')
      throw requester('ERR_EIDAS_NOT_AUTHNREQUEST', 'not an AuthnRequest');
    const id = d.attr(root, 'ID') ?? '';
    if (!NCNAME.test(id)) throw requester('ERR_EIDAS_REQUEST_ID', 'request ID is not an NCName');
    if (d.attr(root, 'Version') !== '2.0')
      throw requester(
        'ERR_EIDAS_VERSION',
        'unsupported SAML version',
        'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch',
      );

    if (c.embeddedSignature) {
      // samlify verified *a* signature that is a child of the root; make sure it signs the root itself,
      // and that no other element claims the same ID (signature wrapping).
      const sigs = d.all('/samlp:AuthnRequest/ds:Signature');
      const refs = d.all('/samlp:AuthnRequest/ds:Signature/ds:SignedInfo/ds:Reference');
      if (sigs.length !== 1 || refs.length !== 1 || d.attr(refs[0], 'URI') !== `#${id}`)
        throw requester(
          'ERR_EIDAS_SIGNATURE_SCOPE',
          'the signature does not cover the request',
          STATUS.requestDenied,
        );
      if (d.all(`//*[@ID='${id}']`).length !== 1)
        throw requester('ERR_EIDAS_SIGNATURE_SCOPE', 'duplicate request ID', STATUS.requestDenied);
    }

    const issuer = d.text('/samlp:AuthnRequest/saml:Issuer').trim();
    if (issuer !== c.expectedIssuer)
      throw requester('ERR_EIDAS_ISSUER', 'issuer does not match the connector');

    if (d.attr(root, 'Destination') !== c.destination)
      throw requester(
        'ERR_EIDAS_DESTINATION',
        'Destination is missing or not this endpoint',
        STATUS.requestDenied,
      );

    const acs = d.attr(root, 'AssertionConsumerServiceURL');
    if (acs !== undefined && !c.acsUrls.includes(acs))
      throw requester('ERR_EIDAS_ACS', 'AssertionConsumerServiceURL is not in the connector metadata');
    if (d.attr(root, 'AssertionConsumerServiceIndex') !== undefined && acs !== undefined)
      throw requester('ERR_EIDAS_ACS', 'both ACS URL and index given');

    const issueInstant = Date.parse(d.attr(root, 'IssueInstant') ?? '');
    if (!Number.isFinite(issueInstant)) throw requester('ERR_EIDAS_ISSUE_INSTANT', 'IssueInstant is invalid');
    if (issueInstant > c.now + c.clockSkewSeconds * 1000)
      throw requester('ERR_EIDAS_ISSUE_INSTANT', 'IssueInstant is in the future', STATUS.requestDenied);
    if (issueInstant < c.now - (c.maxAgeSeconds + c.clockSkewSeconds) * 1000)
      throw requester('ERR_EIDAS_ISSUE_INSTANT', 'the request is too old', STATUS.requestDenied);

    if (d.attr(root, 'IsPassive') === 'true')
      throw new SamlStatusError(
        'ERR_EIDAS_PASSIVE',
        STATUS.responder,
        'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
        'passive authentication is not possible',
      );

    const spTypes = d.all('/samlp:AuthnRequest/samlp:Extensions/eidas:SPType');
    if (spTypes.length > 1) throw requester('ERR_EIDAS_SPTYPE', 'more than one SPType');
    const spTypeText = spTypes[0] ? d.text('.', spTypes[0]).trim() : c.defaultSpType;
    if (spTypeText !== 'public' && spTypeText !== 'private')
      throw requester('ERR_EIDAS_SPTYPE', 'SPType missing or invalid');

    const requested: RequestedAttribute[] = [];
    for (const el of d.all(
      '/samlp:AuthnRequest/samlp:Extensions/eidas:RequestedAttributes/eidas:RequestedAttribute',
    )) {
      const name = d.attr(el, 'Name') ?? '';
      const required = ['true', '1'].includes(d.attr(el, 'isRequired') ?? 'false');
      const format = d.attr(el, 'NameFormat');
      const attribute = ATTRIBUTE_BY_URI.get(name);
      if (format !== ATTRNAME_FORMAT_URI || !attribute) {
        if (required)
          throw requester(
            'ERR_EIDAS_ATTRIBUTE',
            'a required attribute is not supported',
            STATUS.requestUnsupported,
          );
        continue;
      }
      if (!requested.some((r) => r.attribute === attribute)) requested.push({ attribute, required });
    }
    if (requested.length === 0) throw requester('ERR_EIDAS_ATTRIBUTE', 'no supported attribute requested');

    const rac = d.all('/samlp:AuthnRequest/samlp:RequestedAuthnContext');
    if (rac.length !== 1)
      throw requester('ERR_EIDAS_LOA', 'RequestedAuthnContext is required', STATUS.noAuthnContext);
    const comparison = d.attr(rac[0], 'Comparison') ?? 'exact';
    if (comparison !== 'minimum' && comparison !== 'exact')
      throw requester('ERR_EIDAS_LOA', 'unsupported LoA comparison', STATUS.noAuthnContext);
    const levels = d
      .all('saml:AuthnContextClassRef', rac[0])
      .map((el) => parseEidasLoa(d.text('.', el).trim()));
    if (levels.length === 0 || levels.some((l) => l === undefined))
      throw requester('ERR_EIDAS_LOA', 'unknown LoA URI', STATUS.noAuthnContext);
    if (comparison === 'exact' && levels.length !== 1)
      throw requester('ERR_EIDAS_LOA', 'exact comparison takes one level', STATUS.noAuthnContext);
    const minimumLoa = (levels as EidasLoa[]).reduce((m, l) => (eidasLoaRank(l) < eidasLoaRank(m) ? l : m));

    const policy = d.all('/samlp:AuthnRequest/samlp:NameIDPolicy');
    const nameIdFormat = policy[0] ? d.attr(policy[0], 'Format') : undefined;
    if (nameIdFormat !== undefined && !SUPPORTED_NAMEID_FORMATS.includes(nameIdFormat))
      throw requester('ERR_EIDAS_NAMEID', 'unsupported NameID format', STATUS.invalidNameIdPolicy);

    return {
      id,
      issuer,
      issueInstant,
      spType: spTypeText,
      minimumLoa,
      comparison,
      nameIdFormat,
      requested,
      forceAuthn: d.attr(root, 'ForceAuthn') === 'true',
    };
  });
}
