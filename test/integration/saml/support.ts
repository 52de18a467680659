/**
 * Plain SAML test peers: service providers built on @node-saml/node-saml (independent of samlify), with their
 * own keys and metadata (ACS and SingleLogoutService, HTTP-POST), and helpers for the SLO front channel.
 */
import type { SAML, SamlConfig } from '@node-saml/node-saml';
import type { Page } from '../../helpers/browser.js';
import { bootGateway, freePort, type TestGateway } from '../../helpers/gateway.js';
import { makeConnector, rsaKeyPair, type TestKeyPair, xmlsec1 } from '../eidas/support.js';

export interface IdpInfo {
  ssoUrl: string;
  sloUrl: string;
  entityId: string;
  certPem: string;
}

/** Keys and URLs of a gateway SAML IdP at /a/saml, before it boots (the SPs need them for their config). */
export async function samlIdp(): Promise<IdpInfo & { port: number; keys: TestKeyPair }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/a/saml`;
  const keys = await rsaKeyPair('Kakehashi SAML IdP');
  return {
    port,
    keys,
    ssoUrl: `${base}/sso`,
    sloUrl: `${base}/slo`,
    entityId: `${base}/metadata`,
    certPem: keys.certPem,
  };
}

export function bootSamlGateway(
  idp: { port: number; keys: TestKeyPair },
  sps: Record<string, unknown>[],
): Promise<TestGateway> {
  return bootGateway({
    port: idp.port,
    config: {
      sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'substantial' } }],
      targets: [
        {
          adapter: 'saml',
          name: 'saml',
          options: { signing: { key: idp.keys.keyPem, cert: idp.keys.certPem }, sps },
        },
      ],
    },
  });
}

export interface TestSp {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  signing: TestKeyPair;
  metadata: string;
  saml(overrides?: Partial<SamlConfig>): SAML;
}

/** A plain SAML SP: the eIDAS test connector's node-saml setup without the eIDAS parts, plus Single Logout. */
export async function makeSp(idp: IdpInfo, name: string, base: Partial<SamlConfig> = {}): Promise<TestSp> {
  const c = await makeConnector(idp, name);
  const sloUrl = c.acsUrl.replace(/\/acs$/, '/slo');
  const plain: Partial<SamlConfig> = {
    logoutCallbackUrl: sloUrl,
    logoutUrl: idp.sloUrl,
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    authnContext: ['urn:kakehashi:loa:substantial'],
    forceAuthn: false,
    samlAuthnRequestExtensions: undefined,
    ...base,
  };
  return {
    entityId: c.entityId,
    acsUrl: c.acsUrl,
    sloUrl,
    signing: c.signing,
    metadata: c.saml(plain).generateServiceProviderMetadata(c.encryption.certPem, c.signing.certPem),
    saml: (overrides = {}) => c.saml({ ...plain, ...overrides }),
  };
}

/** The auto-submitting form the gateway sends to `action`, with its SAML field. */
export function postedForm(
  page: Page,
  action: string,
): { field: 'SAMLRequest' | 'SAMLResponse'; value: string; xml: string; relayState?: string } | undefined {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(page.body);
  if (!form || form[1] !== action) return undefined;
  const m = /name="(SAMLRequest|SAMLResponse)" value="([^"]*)"/.exec(form[2] ?? '');
  if (!m) return undefined;
  const relay = /name="RelayState" value="([^"]*)"/.exec(form[2] ?? '')?.[1];
  return {
    field: m[1] as 'SAMLRequest' | 'SAMLResponse',
    value: m[2] ?? '',
    xml: Buffer.from(m[2] ?? '', 'base64').toString('utf8'),
    ...(relay !== undefined && { relayState: relay }),
  };
}

/** xmlsec1's verdict on the enveloped signature of `element` (namespace:local name), with the IdP certificate. */
export const verifyWithXmlsec1 = (xml: string, element: string, certPem: string) =>
  xmlsec1(['--verify', '--pubkey-cert-pem', '$DIR/idp.crt', '--id-attr:ID', element], xml, {
    'idp.crt': certPem,
  });
