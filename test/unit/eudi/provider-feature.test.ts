import { importJWK, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { JP_PID_STYLE_DOCTYPE } from '../../../adapters/eudi/issuer/mdoc.js';
import {
  openid4vciFeature,
  PID_CONFIGURATION_ID,
  PID_MDOC_CONFIGURATION_ID,
} from '../../../adapters/eudi/issuer/provider-feature.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import type { CanonicalIdentity } from '../../../src/core/identity.js';
import { findAccountWith } from '../../../src/provider/find-account.js';
import { jpkiIdentity, keyPair } from './fixtures.js';

type Call = { accountId: string; jwk: JWK; format: string; identity?: CanonicalIdentity };

/** A claimProofs over a set in memory, as the target does over the adapter store (setIfAbsent). */
function proofClaims() {
  const seen = new Set<string>();
  return async (proofs: readonly string[]) => {
    const fresh = proofs.map((p) => !seen.has(p));
    for (const p of proofs) seen.add(p);
    return fresh.every(Boolean);
  };
}

function feature(calls: Call[], batchSize = 10, claimProofs = proofClaims()) {
  return openid4vciFeature({
    vct: JP_PID_STYLE_VCT,
    scope: 'jp_pid_style',
    nonceSecret: Buffer.alloc(32, 1),
    display: [{ name: 'PID-style credential (JPKI)', locale: 'en' }],
    mdoc: true,
    batchSize,
    claimProofs,
    issueBatch: async (accountId, jwks, format, identity) =>
      jwks.map((jwk) => {
        calls.push({ accountId, jwk, format, ...(identity && { identity }) });
        return { credential: `cred-${calls.length}` };
      }),
  });
}

async function proofOf(holder: { privateJwk: JWK; publicJwk: JWK }) {
  return new SignJWT({ nonce: 'n' })
    .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: holder.publicJwk })
    .sign(await importJWK(holder.privateJwk, 'ES256'));
}

describe('openid4vciFeature', () => {
  it('describes one dc+sd-jwt configuration bound to jwk proofs', () => {
    const f = feature([]);
    expect(f.ack).toBe('experimental-01');
    expect(f.credentialConfigurationsSupported[PID_CONFIGURATION_ID]).toMatchObject({
      format: 'dc+sd-jwt',
      vct: JP_PID_STYLE_VCT,
      cryptographic_binding_methods_supported: ['jwk'],
    });
    expect(f.credentialConfigurationsSupported[PID_MDOC_CONFIGURATION_ID]).toMatchObject({
      format: 'mso_mdoc',
      doctype: JP_PID_STYLE_DOCTYPE,
      credential_signing_alg_values_supported: [-7],
    });
  });

  it('issues one credential per proof key for the token account, and refuses unexpected hook input', async () => {
    const calls: Call[] = [];
    const holder = await keyPair();
    const proof = await proofOf(holder);
    const out = await feature(calls).issueCredential(
      {},
      {
        credentialConfigurationId: PID_CONFIGURATION_ID,
        proofs: { jwt: [proof] },
        account: { accountId: 'acc-1' },
      },
    );
    expect(out).toEqual({ credentials: [{ credential: 'cred-1' }] });
    expect(calls[0]).toMatchObject({
      accountId: 'acc-1',
      jwk: { x: holder.publicJwk.x },
      format: 'dc+sd-jwt',
    });
    await feature(calls).issueCredential(
      {},
      {
        credentialConfigurationId: PID_MDOC_CONFIGURATION_ID,
        proofs: { jwt: [proof] },
        account: { accountId: 'acc-1' },
      },
    );
    expect(calls.at(-1)?.format).toBe('mso_mdoc');
    await expect(
      feature(calls).issueCredential(
        {},
        { credentialConfigurationId: 'other', proofs: { jwt: [proof] }, account: {} },
      ),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_ISSUANCE' });
  });

  it('refuses a proof it saw before with invalid_nonce, without issuing; a refused request does not use it up', async () => {
    const calls: Call[] = [];
    const f = feature(calls);
    const proof = await proofOf(await keyPair());
    const args = (configurationId: string) => ({
      credentialConfigurationId: configurationId,
      proofs: { jwt: [proof] },
      account: { accountId: 'acc-1' },
    });
    await expect(f.issueCredential({}, args('other'))).rejects.toMatchObject({ code: 'ERR_EUDI_ISSUANCE' });
    await f.issueCredential({}, args(PID_CONFIGURATION_ID));
    expect(calls).toHaveLength(1);
    await expect(f.issueCredential({}, args(PID_CONFIGURATION_ID))).rejects.toMatchObject({
      message: 'invalid_nonce',
      code: 'ERR_EUDI_PROOF_REPLAYED',
      statusCode: 400,
    });
    // The same proof inside a batch with a fresh one: the whole request is refused.
    const fresh = await proofOf(await keyPair());
    await expect(
      f.issueCredential({}, { ...args(PID_CONFIGURATION_ID), proofs: { jwt: [fresh, proof] } }),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_PROOF_REPLAYED' });
    expect(calls).toHaveLength(1);
  });

  it('publishes batch_size and issues one credential per proof, in order; a batch over it is refused', async () => {
    expect(feature([]).metadata).toMatchObject({ batch_credential_issuance: { batch_size: 10 } });
    // batchSize 1: no batch_credential_issuance, so oidc-provider refuses a second proof itself.
    expect(feature([], 1).metadata).not.toHaveProperty('batch_credential_issuance');
    const holders = await Promise.all([keyPair(), keyPair(), keyPair()]);
    const proofs = await Promise.all(holders.map(proofOf));
    const calls: Call[] = [];
    const out = await feature(calls, 3).issueCredential(
      {},
      {
        credentialConfigurationId: PID_CONFIGURATION_ID,
        proofs: { jwt: proofs },
        account: { accountId: 'a' },
      },
    );
    expect(out).toEqual({ credentials: [1, 2, 3].map((n) => ({ credential: `cred-${n}` })) });
    expect(calls.map((c) => c.jwk.x)).toEqual(holders.map((h) => h.publicJwk.x));
    // Over batch_size (oidc-provider refuses it first; the hook keeps the bound too): invalid_proof.
    await expect(
      feature([], 2).issueCredential(
        {},
        {
          credentialConfigurationId: PID_CONFIGURATION_ID,
          proofs: { jwt: proofs },
          account: { accountId: 'a' },
        },
      ),
    ).rejects.toMatchObject({ message: 'invalid_proof', statusCode: 400 });
  });

  it("hands over the identity findAccount loaded for the request's Account object, never for a look-alike", async () => {
    const identity = jpkiIdentity();
    const find = findAccountWith(async (id) => (id === 'acc-1' ? identity : undefined), new Map());
    const account = await find({ oidc: {} } as Parameters<typeof find>[0], 'acc-1');
    const proof = await proofOf(await keyPair());
    const calls: Call[] = [];
    const args = (a: unknown) => ({
      credentialConfigurationId: PID_CONFIGURATION_ID,
      proofs: { jwt: [proof] },
      account: a,
    });
    await feature(calls).issueCredential({}, args(account));
    expect(calls[0]?.identity).toBe(identity);
    // A plain object with the same accountId gets no identity: the service then loads the account itself.
    await feature(calls).issueCredential({}, args({ accountId: 'acc-1' }));
    expect(calls[1]).not.toHaveProperty('identity');
    expect(calls[1]?.accountId).toBe('acc-1');
  });
});
