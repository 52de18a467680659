/**
 * Shared setup of the SAML micro benchmarks: our eIDAS IdP (samlify entity, signing key), a connector SP
 * whose metadata we generate (signing + encryption keys), and the eIDAS assertion input.
 */
import { attributeStatementXml, attributeValues } from '../../adapters/eidas/attributes.js';
import { ALG, MINIMUM_DATA_SET, NAMEID_FORMAT } from '../../adapters/eidas/constants.js';
import { buildIdpMetadata } from '../../adapters/eidas/metadata.js';
import type { AssertionInput } from '../../adapters/eidas/response.js';
import { createIdp, createSpFromMetadata, type PemKeyPair } from '../../adapters/eidas/samlify.js';
import { buildSpMetadata } from '../../adapters/eidas/sp-metadata.js';
import { rsaKeyPair as samlBenchKeyPair } from '../../test/integration/eidas/support.js';

export const IDP_ENTITY = 'https://gateway.example/a/eidas/metadata';
export const SP_ENTITY = 'https://connector.example/metadata';
export const ACS = 'https://connector.example/acs';

export async function samlBenchSetup() {
  const idpKey = await samlBenchKeyPair('bench IdP');
  const spSigning = await samlBenchKeyPair('bench SP signing');
  const spEncryption: PemKeyPair = await samlBenchKeyPair('bench SP encryption');
  const idp = createIdp({
    entityId: IDP_ENTITY,
    ssoUrl: 'https://gateway.example/a/eidas/sso',
    signing: idpKey,
    signatureAlgorithm: ALG.rsaSha256,
    dataEncryptionAlgorithm: ALG.aes256gcm,
    keyEncryptionAlgorithm: ALG.rsaOaepMgf1p,
  });
  const spMetadata = buildSpMetadata({
    entityId: SP_ENTITY,
    acsUrl: ACS,
    spType: 'public',
    signing: spSigning,
    encryptionCertPem: spEncryption.certPem,
    signatureAlgorithm: ALG.rsaSha256,
    now: Date.now(),
    validitySeconds: 86_400,
  });
  const sp = createSpFromMetadata(spMetadata);
  const idpMetadata = buildIdpMetadata({
    entityId: IDP_ENTITY,
    ssoUrl: 'https://gateway.example/a/eidas/sso',
    country: 'JP',
    signing: idpKey,
    encryptionCertPem: idpKey.certPem,
    signatureAlgorithm: ALG.rsaSha256,
    dataEncryptionAlgorithm: ALG.aes256gcm,
    keyEncryptionAlgorithm: ALG.rsaOaepMgf1p,
    notifiedLoa: false,
    now: Date.now(),
    validitySeconds: 86_400,
  });
  const requested = MINIMUM_DATA_SET.map((attribute) => ({ attribute, required: true }));
  const pid = 'JP/DE/bench-pairwise-subject-0123456789';
  const values = attributeValues(pid, {
    family_name: '架橋',
    given_name: '花子',
    'family_name#ja-Latn-JP': 'Kakehashi',
    'given_name#ja-Latn-JP': 'Hanako',
    birthdate: '1990-04-01',
  });
  const assertion = (inResponseTo: string): AssertionInput => ({
    idpEntityId: IDP_ENTITY,
    spEntityId: SP_ENTITY,
    acsUrl: ACS,
    inResponseTo,
    nameId: pid,
    nameIdFormat: NAMEID_FORMAT.persistent,
    loaUri: 'http://eidas.europa.eu/NotNotified/LoA/high',
    now: Date.now(),
    authTime: Math.floor(Date.now() / 1000),
    lifetimeSeconds: 3600,
    attributeStatement: attributeStatementXml(requested, values),
  });
  return { idp, sp, idpKey, spEncryption, idpMetadata, assertion };
}
