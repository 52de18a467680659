import { X509Certificate } from '@peculiar/x509';
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { decodeJwt, decodeProtectedHeader, importJWK, importX509, jwtVerify, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCredentialService } from '../../../adapters/eudi/issuer/credential-service.js';
import { issuePidCredential } from '../../../adapters/eudi/issuer/issue-credential.js';
import { verifyKeyProof } from '../../../adapters/eudi/issuer/key-proof.js';
import { createStatusList } from '../../../adapters/eudi/issuer/status-list.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import type { AuditEventInput } from '../../../src/core/audit-event.js';
import {
  adapterStore,
  ISSUER,
  issuerContext,
  jpkiIdentity,
  keyPair,
  pidInput,
  type TestIssuer,
  testIssuer,
} from './fixtures.js';

const STATUS_URI = `${ISSUER}/status/1`;
let issuer: TestIssuer;
let holder: Awaited<ReturnType<typeof keyPair>>;

beforeAll(async () => {
  issuer = await testIssuer();
  holder = await keyPair();
});

async function issue(idx = 7) {
  return issuePidCredential(pidInput(issuer.signer, holder.publicJwk, { uri: STATUS_URI, idx }));
}

/** @sd-jwt/sd-jwt-vc as an independent holder and verifier (status and vct metadata checks off: no network). */
async function independent() {
  return new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    verifier: await ES256.getVerifier(issuer.signer.publicJwk),
    kbSigner: await ES256.getSigner(holder.privateJwk),
    kbSignAlg: 'ES256',
    kbVerifier: await ES256.getVerifier(holder.publicJwk),
    statusListFetcher: async () => {
      throw new Error('not used');
    },
  });
}

describe('issuePidCredential', () => {
  it('issues an SD-JWT VC that an independent implementation verifies, with every personal attribute disclosable', async () => {
    const { credential } = await issue();
    const header = decodeProtectedHeader(credential.split('~')[0]!);
    expect(header).toMatchObject({ typ: 'dc+sd-jwt', alg: 'ES256' });
    const signed = decodeJwt(credential.split('~')[0]!);
    expect(signed).toMatchObject({
      iss: ISSUER,
      vct: JP_PID_STYLE_VCT,
      cnf: { jwk: { kty: 'EC', crv: 'P-256' } },
    });
    for (const name of [
      'family_name',
      'given_name',
      'birthdate',
      'address',
      'nationalities',
      'sex',
      'issuing_authority',
    ])
      expect(signed).not.toHaveProperty(name);
    expect((signed.cnf as { jwk: Record<string, unknown> }).jwk).not.toHaveProperty('d');

    const sdjwt = await independent();
    // No status check here: the library would fetch the URI. The status list is tested below.
    const decoded = await sdjwt.decode(credential);
    expect(await decoded.getClaims(digest)).toMatchObject({
      family_name: 'Kakehashi',
      'family_name#ja-Jpan-JP': '架橋',
      'family_name#ja-Kana-JP': 'カケハシ',
      given_name: 'Hanako',
      birthdate: '1990-04-01',
      nationalities: ['JP'],
      sex: 2,
      address: { formatted: '東京都千代田区霞が関一丁目1番1号', country: 'JP' },
      issuing_country: 'JP',
      status: { status_list: { idx: 7, uri: STATUS_URI } },
    });
    const presentable = await sdjwt.presentableKeys(credential);
    expect(presentable).toEqual(
      expect.arrayContaining(['family_name', 'birthdate', 'address', 'address.country', 'nationalities.0']),
    );

    // The independent holder presents a subset with key binding; the independent verifier accepts it.
    const presentation = await sdjwt.present(
      credential,
      { family_name: true, birthdate: true },
      {
        kb: {
          payload: { iat: Math.floor(Date.now() / 1000), aud: 'x509_san_dns:rp.example', nonce: 'n-123' },
        },
      },
    );
    const result = await new SDJwtVcInstance({
      hasher: digest,
      verifier: await ES256.getVerifier(issuer.signer.publicJwk),
      kbVerifier: await ES256.getVerifier(holder.publicJwk),
    }).validate(presentation);
    expect(result.payload).toMatchObject({ family_name: 'Kakehashi', birthdate: '1990-04-01' });
    expect(result.payload).not.toHaveProperty('given_name');
  });

  it('publishes the issuer key in x5c, chaining to the test root', async () => {
    const { credential } = await issue();
    const { x5c } = decodeProtectedHeader(credential.split('~')[0]!);
    const leaf = new X509Certificate(Buffer.from(x5c![0]!, 'base64'));
    const root = new X509Certificate(issuer.rootPem);
    expect(await leaf.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
    const key = await importX509(leaf.toString('pem'), 'ES256');
    await expect(jwtVerify(credential.split('~')[0]!, key, { typ: 'dc+sd-jwt' })).resolves.toBeDefined();
  });

  it('gives every disclosure a fresh 128-bit salt, across credentials and salt-pool refills', async () => {
    const salts: string[] = [];
    // 40 credentials of 17 disclosures: past two refills of the 256-salt pool.
    for (let i = 0; i < 40; i++) {
      const { credential } = await issue(i);
      for (const d of credential.split('~').slice(1, -1)) {
        const [salt] = JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as [string];
        salts.push(salt);
      }
    }
    expect(salts.length).toBeGreaterThan(512);
    for (const salt of salts) {
      expect(salt).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(salt, 'base64url').length).toBe(16);
    }
    expect(new Set(salts).size).toBe(salts.length);
    // Not a zeroed (already taken) stretch of the pool.
    expect(salts).not.toContain(Buffer.alloc(16).toString('base64url'));
  });

  it('signs with the key of the signer it is given (one cached library instance per signer)', async () => {
    const other = await testIssuer('Other issuer');
    for (const [a, b] of [
      [issuer, other],
      [other, issuer],
    ] as const) {
      const { credential } = await issuePidCredential(
        pidInput(a.signer, holder.publicJwk, { uri: STATUS_URI, idx: 1 }),
      );
      const jwt = credential.split('~')[0]!;
      await expect(jwtVerify(jwt, await importJWK(a.signer.publicJwk, 'ES256'))).resolves.toBeDefined();
      await expect(jwtVerify(jwt, await importJWK(b.signer.publicJwk, 'ES256'))).rejects.toThrow();
      expect(decodeProtectedHeader(jwt).x5c).toEqual([...a.signer.x5c]);
    }
  });

  it('refuses a holder key with private members and an identity without the mandatory names', async () => {
    await expect(
      issuePidCredential({ ...(await baseInput()), holderJwk: holder.privateJwk }),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_PROOF_INVALID' });
    const noNames = jpkiIdentity();
    const person = { ...noNames.person, familyName: undefined };
    await expect(
      issuePidCredential({ ...(await baseInput()), identity: { ...noNames, person } }),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_ISSUANCE' });
  });
});

async function baseInput() {
  return pidInput(issuer.signer, holder.publicJwk, { uri: STATUS_URI, idx: 1 });
}

describe('verifyKeyProof', () => {
  const now = () => Math.floor(Date.now() / 1000);
  async function proof(claims: Record<string, unknown>, typ = 'openid4vci-proof+jwt') {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ, jwk: holder.publicJwk })
      .setIssuedAt(now())
      .sign(await importJWK(holder.privateJwk, 'ES256'));
  }
  const nonces = () => {
    const live = new Set(['c1', 'c2']);
    return async (n: string) => live.delete(n);
  };

  it('returns the holder key for a valid proof and refuses a reused nonce', async () => {
    const consumeNonce = nonces();
    const p = await proof({ aud: ISSUER, nonce: 'c1' });
    expect(await verifyKeyProof(p, { issuer: ISSUER, nowSeconds: now(), consumeNonce })).toMatchObject({
      x: holder.publicJwk.x,
    });
    await expect(
      verifyKeyProof(p, { issuer: ISSUER, nowSeconds: now(), consumeNonce }),
    ).rejects.toMatchObject({
      code: 'ERR_EUDI_PROOF_NONCE',
    });
  });

  it('refuses a wrong audience, a wrong typ and a stale iat', async () => {
    const consumeNonce = nonces();
    const check = { issuer: ISSUER, nowSeconds: now(), consumeNonce };
    await expect(
      verifyKeyProof(await proof({ aud: 'https://other.example', nonce: 'c1' }), check),
    ).rejects.toMatchObject({
      code: 'ERR_EUDI_PROOF_INVALID',
    });
    await expect(
      verifyKeyProof(await proof({ aud: ISSUER, nonce: 'c1' }, 'JWT'), check),
    ).rejects.toMatchObject({
      code: 'ERR_EUDI_PROOF_INVALID',
    });
    await expect(
      verifyKeyProof(await proof({ aud: ISSUER, nonce: 'c1' }), { ...check, nowSeconds: now() + 3600 }),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_PROOF_INVALID' });
  });
});

describe('status list', () => {
  it('allocates distinct indices, revokes by credential id, and signs a token the library reads', async () => {
    const list = createStatusList({
      store: adapterStore(),
      size: 1024,
      baseUri: `${ISSUER}/status`,
      ttlSeconds: 300,
      now: Date.now,
    });
    const { idx: a } = await list.allocate('cred-a', 3600);
    const { idx: b } = await list.allocate('cred-b', 3600);
    expect(a).not.toBe(b);
    expect(await list.revoke('cred-a')).toBe(true);
    expect(await list.revoke('unknown')).toBe(false);
    const token = await list.token(issuer.signer);
    const key = await importX509(
      new X509Certificate(Buffer.from(issuer.signer.x5c[0]!, 'base64')).toString('pem'),
      'ES256',
    );
    const { payload } = await jwtVerify(token, key, { typ: 'statuslist+jwt', subject: STATUS_URI });
    expect(payload.ttl).toBe(300);
    const decoded = getListFromStatusListJWT(token);
    expect(decoded.getStatus(a)).toBe(1);
    expect(decoded.getStatus(b)).toBe(0);
  });
});

/** A credential service on an in-memory store; counts account loads and keeps the audit events. */
async function service() {
  const identity = jpkiIdentity();
  const events: AuditEventInput[] = [];
  let loads = 0;
  const ctx = issuerContext({
    audit: async (e) => {
      events.push(e);
    },
    load: async (id) => {
      loads++;
      return id === 'acc' ? identity : undefined;
    },
  });
  const svc = await createCredentialService(ctx, {
    vct: JP_PID_STYLE_VCT,
    issuingAuthority: 'Kakehashi TEST',
    issuingCountry: 'JP',
    validityDays: 365,
    mdocValidityDays: 7,
    statusListSize: 1024,
    statusListTtlSeconds: 300,
  });
  return { svc, events, loads: () => loads };
}

describe('credential service batch issuance', () => {
  it('issues one credential per holder key: own cnf, status index, salts and id; the account is loaded once', async () => {
    const { svc, events, loads } = await service();
    const holders = await Promise.all([keyPair(), keyPair(), keyPair()]);
    const issued = await svc.issueBatch(
      'acc',
      holders.map((h) => h.publicJwk),
    );
    expect(issued).toHaveLength(3);
    expect(loads()).toBe(1);
    const issuerKey = await ES256.getVerifier(svc.signer.publicJwk);
    // The independent verifier checks the status list too (served from the service, no network).
    const verifier = new SDJwtVcInstance({
      hasher: digest,
      verifier: issuerKey,
      statusVerifier: issuerKey,
      statusListFetcher: async (uri) => (await svc.statusToken(Number(uri.split('/').at(-1))))!,
    });
    const idx = new Set<number>();
    const salts = new Set<string>();
    for (const [i, { credential }] of issued.entries()) {
      const { payload } = await verifier.verify(credential);
      expect(payload).toMatchObject({
        cnf: { jwk: { x: holders[i]!.publicJwk.x } },
        family_name: 'Kakehashi',
      });
      idx.add((payload.status as { status_list: { idx: number } }).status_list.idx);
      for (const d of credential.split('~').slice(1, -1))
        salts.add((JSON.parse(Buffer.from(d, 'base64url').toString()) as string[])[0]!);
    }
    expect(idx.size).toBe(3);
    // Every disclosure of every credential has its own salt (no salt reused across the batch).
    const disclosures = issued.flatMap((c) => c.credential.split('~').slice(1, -1));
    expect(salts.size).toBe(disclosures.length);
    // One audit record per credential, naming its id.
    expect(events.map((e) => e.detail?.credential)).toEqual(issued.map((c) => c.credentialId));
    expect(new Set(issued.map((c) => c.credentialId)).size).toBe(3);
    // Revoking one credential of the batch leaves the others valid.
    expect(await svc.revoke(issued[1]!.credentialId)).toBe(true);
    const list = getListFromStatusListJWT((await svc.statusToken(1))!);
    expect([...idx].map((i) => list.getStatus(i))).toEqual([0, 1, 0]);
    await expect(verifier.verify(issued[1]!.credential)).rejects.toThrow(/[Ss]tatus/);
    await expect(verifier.verify(issued[0]!.credential)).resolves.toBeDefined();
    await expect(verifier.verify(issued[2]!.credential)).resolves.toBeDefined();
  });

  it('refuses a batch naming one holder key twice, or a private key, before anything is reserved', async () => {
    const { svc, events, loads } = await service();
    const a = await keyPair();
    const b = await keyPair();
    await expect(
      svc.issueBatch('acc', [a.publicJwk, b.publicJwk, { ...a.publicJwk, kid: 'other' }]),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_PROOF_DUPLICATE_KEY' });
    expect(loads()).toBe(0);
    await expect(svc.issueBatch('acc', [a.publicJwk, b.privateJwk])).rejects.toMatchObject({
      code: 'ERR_EUDI_PROOF_INVALID',
    });
    expect(events).toHaveLength(0);
    expect(await svc.status.statusOf(1, 0)).toBe(0);
    await expect(svc.issueBatch('acc', [])).rejects.toMatchObject({ code: 'ERR_EUDI_ISSUANCE' });
    await expect(svc.issueBatch('nobody', [a.publicJwk])).rejects.toMatchObject({
      code: 'ERR_EUDI_ISSUANCE',
    });
    // Distinct keys go through.
    expect(await svc.issueBatch('acc', [a.publicJwk, b.publicJwk])).toHaveLength(2);
  });

  it('issues a batch of mdocs, one per holder key', async () => {
    const { svc, events } = await service();
    const holders = await Promise.all([keyPair(), keyPair()]);
    const issued = await svc.issueBatch(
      'acc',
      holders.map((h) => h.publicJwk),
      'mso_mdoc',
    );
    expect(issued).toHaveLength(2);
    expect(issued[0]!.credential).not.toBe(issued[1]!.credential);
    expect(events.map((e) => e.detail?.format)).toEqual(['mso_mdoc', 'mso_mdoc']);
  });
});
