/**
 * eIDAS test peers: RSA key pairs with self-signed certificates, and an EU connector built on
 * @node-saml/node-saml (an SP library independent of samlify) that signs AuthnRequests and validates responses.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAML, type SamlConfig, ValidateInResponseTo } from '@node-saml/node-saml';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TestKeyPair {
  keyPem: string;
  certPem: string;
}

export async function rsaKeyPair(cn: string): Promise<TestKeyPair> {
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000 * 30),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, certPem: cert.toString('pem') };
}

export const EIDAS_NS = 'http://eidas.europa.eu/saml-extensions';
export const NP = 'http://eidas.europa.eu/attributes/naturalperson/';
export const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';

/** eIDAS Extensions for node-saml's request builder (xmlbuilder object form). */
export function eidasExtensions(
  attrs: [string, boolean][],
  spType: string | null = 'public',
): Record<string, unknown> {
  return {
    ...(spType && { 'eidas:SPType': { '@xmlns:eidas': EIDAS_NS, '#text': spType } }),
    'eidas:RequestedAttributes': {
      '@xmlns:eidas': EIDAS_NS,
      'eidas:RequestedAttribute': attrs.map(([name, req]) => ({
        '@Name': `${NP}${name}`,
        '@NameFormat': URI_FORMAT,
        '@isRequired': String(req),
      })),
    },
  };
}

export const MINIMUM_SET: [string, boolean][] = [
  ['PersonIdentifier', true],
  ['CurrentFamilyName', true],
  ['CurrentGivenName', true],
  ['DateOfBirth', true],
];

export interface Connector {
  entityId: string;
  acsUrl: string;
  signing: TestKeyPair;
  encryption: TestKeyPair;
  metadata: string;
  saml(overrides?: Partial<SamlConfig>): SAML;
}

export async function makeConnector(
  idp: { ssoUrl: string; entityId: string; certPem: string },
  name = 'connector',
): Promise<Connector> {
  const signing = await rsaKeyPair(`${name} signing`);
  const encryption = await rsaKeyPair(`${name} encryption`);
  const entityId = `https://${name}.eu.example/metadata`;
  const acsUrl = `https://${name}.eu.example/acs`;
  const base: SamlConfig = {
    issuer: entityId,
    callbackUrl: acsUrl,
    entryPoint: idp.ssoUrl,
    idpCert: idp.certPem,
    idpIssuer: idp.entityId,
    audience: entityId,
    privateKey: signing.keyPem,
    decryptionPvk: encryption.keyPem,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    authnContext: ['http://eidas.europa.eu/NotNotified/LoA/substantial'],
    racComparison: 'minimum',
    forceAuthn: true,
    samlAuthnRequestExtensions: eidasExtensions(MINIMUM_SET),
    validateInResponseTo: ValidateInResponseTo.always,
  };
  const first = new SAML(base);
  const metadata = first.generateServiceProviderMetadata(encryption.certPem, signing.certPem);
  return {
    entityId,
    acsUrl,
    signing,
    encryption,
    metadata,
    saml: (overrides = {}) => new SAML({ ...base, ...overrides }),
  };
}

/** Whether the xmlsec1 CLI is installed; under CI=true its absence is an error (CI installs it). */
export function hasXmlsec1(): boolean {
  try {
    execFileSync('xmlsec1', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('xmlsec1 is required in CI (apt-get install -y xmlsec1)');
    return false;
  }
}

/** Run xmlsec1 on a document; returns stdout (throws on failure). */
export function xmlsec1(args: string[], xml: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kk-xmlsec-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, 'doc.xml'), xml);
  return execFileSync('xmlsec1', [...args.map((a) => a.replace('$DIR', dir)), join(dir, 'doc.xml')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
