import { importJWK, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { JP_PID_STYLE_DOCTYPE } from '../../../adapters/eudi/issuer/mdoc.js';
import {
  openid4vciFeature,
  PID_CONFIGURATION_ID,
  PID_MDOC_CONFIGURATION_ID,
} from '../../../adapters/eudi/issuer/provider-feature.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import { keyPair } from './fixtures.js';

type Call = { accountId: string; jwk: JWK; format: string };

function feature(calls: Call[]) {
  return openid4vciFeature({
    vct: JP_PID_STYLE_VCT,
    scope: 'jp_pid_style',
    nonceSecret: Buffer.alloc(32, 1),
    display: [{ name: 'PID-style credential (JPKI)', locale: 'en' }],
    mdoc: true,
    issueFor: async (accountId, jwk, format) => {
      calls.push({ accountId, jwk, format });
      return { credential: `cred-${calls.length}` };
    },
  });
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
    const proof = await new SignJWT({ nonce: 'n' })
      .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: holder.publicJwk })
      .sign(await importJWK(holder.privateJwk, 'ES256'));
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
});
