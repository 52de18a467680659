/** Shared fixtures for the EUDI tests: a JPKI-style identity, an issuer with its test chain, holder keys. */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import pino from 'pino';
import type { IssuePidInput } from '../../../adapters/eudi/issuer/issue-credential.js';
import {
  createIssuerSigner,
  createTestIssuerChain,
  type IssuerSigner,
} from '../../../adapters/eudi/issuer/issuer-key.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import type { AdapterContext, AdapterStore } from '../../../src/core/adapter.js';
import type { AuditEventInput } from '../../../src/core/audit-event.js';
import { type CanonicalIdentity, parseCanonicalIdentity } from '../../../src/core/identity.js';
import { memoryAdapterStore } from '../../helpers/adapter-store.js';

export const ISSUER = 'https://issuer.kakehashi.test';

/** What a JPKI login yields (fictional person; the Individual Number is never part of it). */
export function jpkiIdentity(now = Math.floor(Date.now() / 1000)): CanonicalIdentity {
  return parseCanonicalIdentity({
    subject: { id: 'jpki-pseudonym-0001', issuer: 'jpki' },
    authentication: {
      source: 'jpki',
      loa: 'high',
      amr: ['sc', 'pin'],
      authTime: now,
      evidence: [
        {
          type: 'x509',
          trustFramework: 'jp_jpki',
          documentType: 'jp_individual_number_card',
          verifiedAt: now,
        },
      ],
    },
    person: {
      familyName: [
        { value: '架橋', script: 'Jpan' },
        { value: 'カケハシ', script: 'Kana' },
        { value: 'Kakehashi', script: 'Latn' },
      ],
      givenName: [
        { value: '花子', script: 'Jpan' },
        { value: 'ハナコ', script: 'Kana' },
        { value: 'Hanako', script: 'Latn' },
      ],
      birthDate: '1990-04-01',
      gender: 'female',
      address: { formatted: '東京都千代田区霞が関一丁目1番1号', country: 'JP', script: 'Jpan' },
      nationality: ['JP'],
    },
    verified: ['familyName', 'givenName', 'birthDate', 'gender', 'address'],
  });
}

export async function keyPair(
  alg: 'ES256' | 'EdDSA' = 'ES256',
): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
}

export interface TestIssuer {
  readonly signer: IssuerSigner;
  readonly rootPem: string;
}

export async function testIssuer(name = 'Kakehashi PID-style issuer'): Promise<TestIssuer> {
  const root = await keyPair();
  const issuer = await keyPair();
  const chain = await createTestIssuerChain({ root, issuer, issuerName: name, now: Date.now() });
  return {
    signer: createIssuerSigner(issuer.privateJwk, issuer.publicJwk, chain.x5c),
    rootPem: chain.rootPem,
  };
}

/** An AdapterStore over the real in-memory Store (same contract as SQLite/Redis). */
export const adapterStore = (now?: () => number): AdapterStore => memoryAdapterStore('a:eudi', now);

/**
 * The AdapterContext a credential service needs, on an in-memory store: one key pair per purpose, the JPKI
 * test identity for any account (or what `load` returns), audit events handed to `audit` (dropped by default).
 */
export function issuerContext(
  o: {
    load?: (accountId: string) => Promise<CanonicalIdentity | undefined>;
    audit?: (e: AuditEventInput) => Promise<void>;
  } = {},
): AdapterContext {
  const identity = jpkiIdentity();
  const keys = new Map<string, ReturnType<typeof keyPair>>();
  return {
    instanceId: 'eudi',
    baseUrl: `${ISSUER}/a/eudi`,
    issuer: ISSUER,
    devMode: true,
    log: pino({ level: 'silent' }),
    now: Date.now,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    fetch,
    store: adapterStore(),
    sealed: undefined as never,
    keys: {
      keyPair: (purpose) => {
        const k = keys.get(purpose) ?? keyPair();
        keys.set(purpose, k);
        return k;
      },
    },
    interactions: undefined as never,
    audit: o.audit ?? (async () => {}),
    accounts: { load: o.load ?? (async () => identity) },
  };
}

/** The input of issuePidCredential for the JPKI test identity: our test issuer, one day of validity. */
export function pidInput(
  signer: IssuerSigner,
  holderJwk: JWK,
  status: { uri: string; idx: number },
  nowSeconds = Math.floor(Date.now() / 1000),
): IssuePidInput {
  return {
    identity: jpkiIdentity(),
    holderJwk,
    signer,
    issuer: ISSUER,
    vct: JP_PID_STYLE_VCT,
    issuingAuthority: 'Kakehashi test issuer',
    issuingCountry: 'JP',
    validitySeconds: 86_400,
    status,
    nowSeconds,
  };
}
