/**
 * OpenID4VCI 1.0 over HTTP against a real gateway: issuer metadata, authorization code flow (PKCE + DPoP)
 * through the hub, pre-authorized code flow with a transaction code from the offer page, proof and token
 * forgeries, and revocation seen by an independent verifier (@sd-jwt/sd-jwt-vc) through the status list,
 * including rollover to a second status list.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JP_PID_STYLE_DOCTYPE } from '../../../adapters/eudi/issuer/mdoc.js';
import {
  PID_CONFIGURATION_ID,
  PID_MDOC_CONFIGURATION_ID,
} from '../../../adapters/eudi/issuer/provider-feature.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import { runCli } from '../../../src/cli.js';
import { TestBrowser } from '../../helpers/browser.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { browserLogin } from '../../helpers/rp.js';
import {
  bootIssuer,
  holderKey,
  independentVerifier,
  issuerTarget,
  readPidMdoc,
  type TestWallet,
} from './wallet.js';

let gw: TestGateway;
let wallet: TestWallet;

beforeAll(async () => {
  ({ gw, wallet } = await bootIssuer());
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

/** The credential's status list entry: its list number (from the URI), index and URI. */
function statusOf(credential: string): { list: number; idx: number; uri: string } {
  const { idx, uri } = (
    decodeJwt(credential.split('~')[0]!) as { status: { status_list: { idx: number; uri: string } } }
  ).status.status_list;
  return { list: Number(/\/status\/(\d+)$/.exec(uri)?.[1]), idx, uri };
}

async function credentialIdOf(credential: string, g: TestGateway = gw): Promise<string> {
  const { list, idx } = statusOf(credential);
  const records = await g.gateway.store.readAudit(0);
  const ids = records
    .map((r) => JSON.parse(r.body) as { type?: string; detail?: { credential?: string } })
    .filter((e) => e.type === 'credential.issued')
    .map((e) => String(e.detail?.credential));
  for (const id of ids) {
    const ref = await g.gateway.store.get<{ list: number; idx: number }>('a:eudi', `status:cred:${id}`);
    if (ref?.list === list && ref.idx === idx) return id;
  }
  throw new Error('credential id not found in the audit log');
}

/** `kakehashi credential revoke <id>` against the gateway's data directory. */
async function cliRevoke(g: TestGateway, id: string, target = issuerTarget()) {
  const configFile = join(g.dataDir, 'cli.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      issuer: g.issuer,
      dataDir: g.dataDir,
      devMode: true,
      keys: { source: 'generate' },
      targets: [target],
    }),
  );
  const lines: string[] = [];
  return runCli(
    ['credential', 'revoke', id, '--config', configFile],
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
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

  it('issues the same credential as an mdoc (mso_mdoc) that an independent reader verifies', async () => {
    const m = await wallet.metadata();
    expect(m.credential_configurations_supported[PID_MDOC_CONFIGURATION_ID]).toMatchObject({
      format: 'mso_mdoc',
      doctype: JP_PID_STYLE_DOCTYPE,
      scope: 'jp_pid_style',
    });
    const token = await wallet.authorize('jp_pid_style', new TestBrowser());
    const credential = await wallet.obtain(token, PID_MDOC_CONFIGURATION_ID);
    const root = await (await fetch(`${gw.issuer}/a/eudi/test-root.pem`)).text();
    const holder = await wallet.key;
    const elements = ['family_name', 'given_name', 'birth_date', 'issuing_country'];
    expect(await readPidMdoc(credential, elements, holder.privateJwk, [root])).toMatchObject({
      family_name: 'Kakehashi',
      given_name: 'Hanako',
      issuing_country: 'JP',
    });
    // Bound to the key of the proof: another key cannot present it.
    const other = await holderKey();
    await expect(readPidMdoc(credential, elements, other.privateJwk, [root])).rejects.toThrow(
      /deviceAuth signature/,
    );
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

  it('batch issuance: one request, three proofs, three credentials, each bound to its own key with its own status entry', async () => {
    const m = (await wallet.metadata()) as { batch_credential_issuance?: { batch_size: number } };
    expect(m.batch_credential_issuance).toEqual({ batch_size: 10 });
    const token = await wallet.authorize('jp_pid_style', new TestBrowser());
    const batch = await wallet.obtainBatch(token, PID_CONFIGURATION_ID, 3);
    const verifier = await independentVerifier(batch[0]!.credential);
    const seen = { x: new Set<string>(), idx: new Set<number>(), salt: new Set<string>() };
    for (const { credential, key } of batch) {
      const { payload } = await verifier.verify(credential);
      expect(payload).toMatchObject({ family_name: 'Kakehashi', cnf: { jwk: { x: key.publicJwk.x } } });
      seen.x.add(String(key.publicJwk.x));
      seen.idx.add(statusOf(credential).idx);
      for (const d of credential.split('~').slice(1, -1))
        seen.salt.add((JSON.parse(Buffer.from(d, 'base64url').toString()) as string[])[0]!);
    }
    expect(seen.x.size).toBe(3);
    expect(seen.idx.size).toBe(3);
    const disclosures = batch.flatMap((b) => b.credential.split('~').slice(1, -1)).length;
    expect(seen.salt.size).toBe(disclosures);
    // Each is presentable with its own key only (the holder's key binding, checked by the independent library).
    const [first, second, third] = batch;
    const presented = await wallet
      .withKey(first!.key)
      .present(first!.credential, ['given_name'], { nonce: 'n', aud: 'v' });
    const own = await independentVerifier(first!.credential, first!.key.publicJwk);
    await expect(own.verify(presented, { keyBindingNonce: 'n' })).resolves.toBeDefined();
    const other = await independentVerifier(first!.credential, second!.key.publicJwk);
    await expect(other.verify(presented, { keyBindingNonce: 'n' })).rejects.toThrow();
    // Revoking one credential of the batch leaves the others valid.
    expect(await cliRevoke(gw, await credentialIdOf(second!.credential))).toBe(0);
    await expect(verifier.verify(second!.credential)).rejects.toThrow(/Status is not valid/);
    await expect(verifier.verify(first!.credential)).resolves.toBeDefined();
    await expect(verifier.verify(third!.credential)).resolves.toBeDefined();
  });

  it('batch issuance refuses more proofs than batch_size and one holder key twice (invalid_proof); mdoc batches work', async () => {
    const token = await wallet.authorize('jp_pid_style', new TestBrowser());
    const nonce = await wallet.nonce();
    const keys = await Promise.all(Array.from({ length: 11 }, () => holderKey()));
    const tooMany = await wallet.requestCredential(token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: await Promise.all(keys.map((k) => wallet.proofWith(k, nonce))) },
    });
    expect(tooMany).toMatchObject({
      status: 400,
      body: { error: 'invalid_proof', error_description: expect.stringMatching(/batch_size/) },
    });
    const twice = await wallet.requestCredential(token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: {
        jwt: [
          await wallet.proofWith(keys[0]!, nonce),
          await wallet.proofWith(keys[1]!, nonce),
          await wallet.proofWith(keys[0]!, nonce),
        ],
      },
    });
    expect(twice).toMatchObject({
      status: 400,
      body: { error: 'invalid_proof', error_description: expect.stringMatching(/same holder key/) },
    });
    // A proof with a bad signature anywhere in the batch fails the whole request.
    const good = await wallet.proofWith(keys[2]!, nonce);
    const forged = await wallet.proofWith(keys[3]!, nonce);
    const [h, p] = forged.split('.');
    const badSig = `${h}.${p}.${good.split('.')[2]}`;
    const forgedBatch = await wallet.requestCredential(token, {
      credential_configuration_id: PID_CONFIGURATION_ID,
      proofs: { jwt: [good, badSig] },
    });
    expect(forgedBatch).toMatchObject({ status: 400, body: { error: 'invalid_proof' } });

    const mdocs = await wallet.obtainBatch(token, PID_MDOC_CONFIGURATION_ID, 2);
    const root = await (await fetch(`${gw.issuer}/a/eudi/test-root.pem`)).text();
    for (const { credential, key } of mdocs) {
      expect(await readPidMdoc(credential, ['given_name'], key.privateJwk, [root])).toMatchObject({
        given_name: 'Hanako',
      });
    }
  });

  it('revocation from the CLI flips the status list bit; the independent verifier then refuses it', async () => {
    const token = await wallet.authorize('jp_pid_style', new TestBrowser());
    const credential = await wallet.obtain(token, PID_CONFIGURATION_ID);
    const verifier = await independentVerifier(credential);
    await verifier.verify(credential);
    const id = await credentialIdOf(credential);
    expect(await cliRevoke(gw, id)).toBe(0);
    await expect(verifier.verify(credential)).rejects.toThrow(/Status is not valid/);
  });

  it('answers 404 with a JSON error for a status list that does not exist', async () => {
    for (const path of ['status/2', 'status/0', 'status/abc', 'status/99999999999']) {
      const res = await fetch(`${gw.issuer}/a/eudi/${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ error: 'not_found' });
    }
    const one = await fetch(`${gw.issuer}/a/eudi/status/1`);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toMatch(/^application\/statuslist\+jwt/);
  });
});

describe('several status lists over HTTP (statusListSize 16)', () => {
  const small = issuerTarget({ statusListSize: 16 });
  let g: TestGateway;
  let w: TestWallet;
  beforeAll(async () => {
    ({ gw: g, wallet: w } = await bootIssuer(small));
  });
  afterAll(async () => {
    await g?.close();
  });

  it('rolls over to list 2; revocations in list 1 and list 2 each show in their own token and to the independent verifier', async () => {
    const token = await w.authorize('jp_pid_style', new TestBrowser());
    const credentials: string[] = [];
    for (let i = 0; i < 20; i++) credentials.push(await w.obtain(token, PID_CONFIGURATION_ID));
    const entries = credentials.map(statusOf);
    expect(entries[0]!.list).toBe(1);
    expect(entries.filter((e) => e.list === 1).length).toBeLessThanOrEqual(16);
    expect(new Set(entries.map((e) => `${e.list}:${e.idx}`)).size).toBe(entries.length);
    for (const e of entries) expect(e.uri).toBe(`${g.issuer}/a/eudi/status/${e.list}`);
    const inOne = credentials.filter((_, i) => entries[i]!.list === 1);
    const inTwo = credentials.filter((_, i) => entries[i]!.list === 2);
    expect(inTwo.length).toBeGreaterThanOrEqual(2);

    const verifier = await independentVerifier(credentials[0]!);
    for (const c of [inOne[0]!, inTwo[0]!, inTwo[1]!]) await verifier.verify(c);
    expect(await cliRevoke(g, await credentialIdOf(inOne[0]!, g), small)).toBe(0);
    expect(await cliRevoke(g, await credentialIdOf(inTwo[0]!, g), small)).toBe(0);
    await expect(verifier.verify(inOne[0]!)).rejects.toThrow(/Status is not valid/);
    await expect(verifier.verify(inTwo[0]!)).rejects.toThrow(/Status is not valid/);
    await expect(verifier.verify(inOne[1]!)).resolves.toBeDefined();
    await expect(verifier.verify(inTwo[1]!)).resolves.toBeDefined();

    // Each token carries only its own list's revocation.
    const bitsOf = async (n: number) =>
      getListFromStatusListJWT(await (await fetch(`${g.issuer}/a/eudi/status/${n}`)).text());
    const [one, two] = await Promise.all([bitsOf(1), bitsOf(2)]);
    const a = statusOf(inOne[0]!);
    const b = statusOf(inTwo[0]!);
    expect(one.getStatus(a.idx)).toBe(1);
    expect(two.getStatus(b.idx)).toBe(1);
    for (const e of entries.filter((x) => x.list === 1 && x.idx !== a.idx))
      expect(one.getStatus(e.idx)).toBe(0);
    for (const e of entries.filter((x) => x.list === 2 && x.idx !== b.idx))
      expect(two.getStatus(e.idx)).toBe(0);
    const last = Math.max(...entries.map((e) => e.list));
    expect((await fetch(`${g.issuer}/a/eudi/status/${last + 1}`)).status).toBe(404);
  });
});
