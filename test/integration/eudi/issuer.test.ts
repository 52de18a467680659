/**
 * OpenID4VCI 1.0 over HTTP against a real gateway: issuer metadata, authorization code flow (PKCE + DPoP)
 * through the hub, pre-authorized code flow with a transaction code from the offer page, proof and token
 * forgeries, and revocation seen by an independent verifier (@sd-jwt/sd-jwt-vc) through the status list.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PID_CONFIGURATION_ID } from '../../../adapters/eudi/issuer/provider-feature.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import { runCli } from '../../../src/cli.js';
import { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, type TestGateway } from '../../helpers/gateway.js';
import { browserLogin } from '../../helpers/rp.js';
import { independentVerifier, issuerTarget, TestWallet, WALLET, WALLET_CB } from './wallet.js';

let gw: TestGateway;
let wallet: TestWallet;

beforeAll(async () => {
  gw = await bootGateway({
    config: {
      sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'high' } }],
      targets: [issuerTarget()],
    },
  });
  wallet = new TestWallet(gw.issuer, WALLET, WALLET_CB);
});
afterAll(async () => {
  await gw?.close();
});

/** Log in at the offer page and read the offer URI and transaction code. */
async function offer(): Promise<{ uri: string; txCode: string }> {
  const browser = new TestBrowser();
  const start = await browser.request(`${gw.issuer}/a/eudi/offer`);
  const { callbackUrl } = await browserLogin(
    start.headers.get('location')!,
    `${gw.issuer}/a/eudi/offer/callback`,
    {
      browser,
    },
  );
  const page = await browser.request(callbackUrl.href);
  expect(page.status).toBe(200);
  const href = /id="offer-link" href="([^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
  const txCode = /id="tx-code"[^>]*>(\d+)</.exec(page.body)?.[1];
  expect(page.body).toContain('<svg');
  return { uri: href!, txCode: txCode! };
}

async function credentialIdOf(credential: string): Promise<string> {
  const idx = (decodeJwt(credential.split('~')[0]!) as { status: { status_list: { idx: number } } }).status
    .status_list.idx;
  const records = await gw.gateway.store.readAudit(0);
  const ids = records
    .map((r) => JSON.parse(r.body) as { type?: string; detail?: { credential?: string } })
    .filter((e) => e.type === 'credential.issued')
    .map((e) => String(e.detail?.credential));
  for (const id of ids) if ((await gw.gateway.store.get('a:eudi', `status:cred:${id}`)) === idx) return id;
  throw new Error('credential id not found in the audit log');
}

describe('OpenID4VCI issuer over HTTP', () => {
  it('publishes credential issuer metadata with the PID-style configuration, and the pre-authorized grant', async () => {
    const m = await wallet.metadata();
    expect(m.credential_issuer).toBe(gw.issuer);
    expect(m.credential_configurations_supported[PID_CONFIGURATION_ID]).toMatchObject({
      format: 'dc+sd-jwt',
      vct: JP_PID_STYLE_VCT,
      scope: 'jp_pid_style',
    });
    const as = (await (await fetch(`${gw.issuer}/.well-known/openid-configuration`)).json()) as {
      grant_types_supported: string[];
    };
    expect(as.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:pre-authorized_code');
  });

  it('authorization code flow (PKCE, DPoP): the issued credential verifies independently, status included', async () => {
    const token = await wallet.authorize('jp_pid_style', new TestBrowser());
    const credential = await wallet.obtain(token, PID_CONFIGURATION_ID);
    const verifier = await independentVerifier(credential);
    const { payload, header } = await verifier.verify(credential);
    expect(header).toMatchObject({ typ: 'dc+sd-jwt', alg: 'ES256' });
    expect(payload).toMatchObject({
      iss: gw.issuer,
      vct: JP_PID_STYLE_VCT,
      family_name: 'Kakehashi',
      birthdate: '1990-04-01',
      cnf: { jwk: { x: (await wallet.key).publicJwk.x } },
      status: { status_list: { uri: `${gw.issuer}/a/eudi/status/1` } },
    });
    // Every personal attribute is behind a disclosure: none in the signed payload.
    const signed = decodeJwt(credential.split('~')[0]!);
    for (const c of ['family_name', 'given_name', 'birthdate', 'address', 'sex'])
      expect(signed).not.toHaveProperty(c);
  });

  it('pre-authorized code flow with the offer page: a wrong tx_code burns the code; the right one issues', async () => {
    const first = await offer();
    const wrong = String((Number(first.txCode) + 1) % 10 ** first.txCode.length).padStart(
      first.txCode.length,
      '0',
    );
    await expect(wallet.redeemOffer(first.uri, wrong)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(wallet.redeemOffer(first.uri, first.txCode)).rejects.toMatchObject({
      error: 'invalid_grant',
    });

    const second = await offer();
    const token = await wallet.redeemOffer(second.uri, second.txCode);
    const credential = await wallet.obtain(token, PID_CONFIGURATION_ID);
    const { payload } = await (await independentVerifier(credential)).verify(credential);
    expect(payload).toMatchObject({ given_name: 'Hanako', vct: JP_PID_STYLE_VCT });
    // Single use.
    await expect(wallet.redeemOffer(second.uri, second.txCode)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuses proofs with a wrong audience or an unknown nonce, and tokens without the credential audience', async () => {
    const token = await wallet.authorize('jp_pid_style', new TestBrowser());
    const badAud = await wallet.requestCredential(token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: [await wallet.proof(await wallet.nonce(), { aud: 'https://elsewhere.example' })] },
    });
    expect(badAud).toMatchObject({ status: 400, body: { error: 'invalid_proof' } });
    const badNonce = await wallet.requestCredential(token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: [await wallet.proof('not-a-c-nonce')] },
    });
    expect(badNonce).toMatchObject({ status: 400, body: { error: 'invalid_nonce' } });
    // A token of the same wallet for the hub's userinfo (scope openid, no credential resource).
    const userinfoToken = await wallet.authorize('openid', new TestBrowser());
    const wrongAud = await wallet.requestCredential(userinfoToken, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: [await wallet.proof(await wallet.nonce())] },
    });
    expect(wrongAud).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  it('revocation from the CLI flips the status list bit; the independent verifier then refuses it', async () => {
    const token = await wallet.authorize('jp_pid_style', new TestBrowser());
    const credential = await wallet.obtain(token, PID_CONFIGURATION_ID);
    const verifier = await independentVerifier(credential);
    await verifier.verify(credential);
    const id = await credentialIdOf(credential);
    const configFile = join(gw.dataDir, 'cli.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        issuer: gw.issuer,
        dataDir: gw.dataDir,
        devMode: true,
        keys: { source: 'generate' },
        targets: [issuerTarget()],
      }),
    );
    const lines: string[] = [];
    expect(
      await runCli(
        ['credential', 'revoke', id, '--config', configFile],
        (l) => lines.push(l),
        (l) => lines.push(l),
      ),
    ).toBe(0);
    await expect(verifier.verify(credential)).rejects.toThrow(/Status is not valid/);
  });
});
