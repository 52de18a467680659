/**
 * A plain SAML SP as its configured metadata describes it (SAML metadata §2.4.4): entity id, signing
 * certificates (the only keys its messages are verified with), ACS and SLO endpoints (the only places we send
 * to), and whether it publishes an encryption key. Schema-validated at start.
 */
import { X509Certificate } from 'node:crypto';
import { GatewayError } from '../../src/core/errors.js';
import { BINDING } from './constants.js';
import { validateSamlSchema } from './schema-validator.js';
import { withDoc } from './xml.js';

export interface Endpoint {
  readonly binding: 'post' | 'redirect';
  readonly location: string;
  readonly responseLocation?: string;
}

export interface SpMetadata {
  readonly entityId: string;
  readonly signingCerts: readonly string[];
  readonly hasEncryptionCert: boolean;
  readonly authnRequestsSigned: boolean;
  /** HTTP-POST assertion consumer services, in document order, with their index. */
  readonly acs: readonly {
    readonly index?: string;
    readonly location: string;
    readonly isDefault: boolean;
  }[];
  /** Single Logout endpoints we can use (HTTP-POST first). */
  readonly slo: readonly Endpoint[];
}

const pem = (b64: string) =>
  `-----BEGIN CERTIFICATE-----\n${b64.replace(/\s+/g, '').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

const configError = (what: string, message: string, cause?: unknown) =>
  new GatewayError('ERR_SAML_CONFIG', `${what}: ${message}`, { oauth: 'server_error', status: 500, cause });

export function parseSpMetadata(xml: string, what: string): SpMetadata {
  try {
    validateSamlSchema(xml);
  } catch (e) {
    throw configError(what, 'SP metadata is not valid against the SAML schemas', e);
  }
  const m = withDoc(xml, (d) => {
    const sp = d.all('/md:EntityDescriptor/md:SPSSODescriptor');
    if (sp.length !== 1) throw configError(what, 'metadata needs exactly one SPSSODescriptor');
    const certs = (use: string) =>
      d
        .all(`md:KeyDescriptor[not(@use) or @use="${use}"]/ds:KeyInfo/ds:X509Data/ds:X509Certificate`, sp[0])
        .map((c) => pem(d.text('.', c)));
    const endpoint = (el: (typeof sp)[number]): Endpoint | undefined => {
      const b = d.attr(el, 'Binding');
      const binding = b === BINDING.post ? 'post' : b === BINDING.redirect ? 'redirect' : undefined;
      const location = d.attr(el, 'Location');
      const responseLocation = d.attr(el, 'ResponseLocation');
      return binding && location
        ? { binding, location, ...(responseLocation && { responseLocation }) }
        : undefined;
    };
    return {
      entityId: d.attr(d.root, 'entityID') ?? '',
      signingCerts: certs('signing'),
      hasEncryptionCert: certs('encryption').length > 0,
      authnRequestsSigned: d.attr(sp[0], 'AuthnRequestsSigned') === 'true',
      acs: d
        .all(`md:AssertionConsumerService[@Binding="${BINDING.post}"]`, sp[0])
        .map((el) => ({
          ...(d.attr(el, 'index') && { index: d.attr(el, 'index') }),
          location: d.attr(el, 'Location') ?? '',
          isDefault: d.attr(el, 'isDefault') === 'true',
        }))
        .filter((a) => a.location),
      slo: d
        .all('md:SingleLogoutService', sp[0])
        .map(endpoint)
        .filter((e): e is Endpoint => e !== undefined)
        .sort((a, b) => (a.binding === b.binding ? 0 : a.binding === 'post' ? -1 : 1)),
    };
  });
  if (!m.entityId) throw configError(what, 'metadata has no entityID');
  if (m.acs.length === 0) throw configError(what, 'metadata has no HTTP-POST AssertionConsumerService');
  for (const c of m.signingCerts) {
    try {
      new X509Certificate(c);
    } catch (e) {
      throw configError(what, 'a signing certificate cannot be parsed', e);
    }
  }
  return m;
}

/** The ACS to answer: the default (isDefault, else the first) or the one the request names. */
export function defaultAcs(m: SpMetadata): string {
  return (m.acs.find((a) => a.isDefault) ?? m.acs[0])?.location ?? '';
}
