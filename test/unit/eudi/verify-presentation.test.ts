import { createHash } from 'node:crypto';
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { importJWK, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { issuePidCredential } from '../../../adapters/eudi/issuer/issue-credential.js';
import { createStatusList, type StatusListService } from '../../../adapters/eudi/issuer/status-list.js';
import { JP_PID_STYLE_VCT } from '../../../adapters/eudi/pid-claims.js';
import { signSdJwtVc } from '../../../adapters/eudi/sd-jwt.js';
import { identityFromPresentation } from '../../../adapters/eudi/verifier/to-identity.js';
import { createTrustList, type TrustList } from '../../../adapters/eudi/verifier/trust-list.js';
import { verifyPresentation } from '../../../adapters/eudi/verifier/verify-presentation.js';
import {
  adapterStore,
  ISSUER,
  jpkiIdentity,
  keyPair,
  pidInput,
  type TestIssuer,
  testIssuer,
} from './fixtures.js';

const AUD = 'x509_san_dns:gateway.kakehashi.test';
const NONCE = 'request-nonce-1';
const now = () => Math.floor(Date.now() / 1000);

let issuer: TestIssuer;
let rogue: TestIssuer;
let holder: Awaited<ReturnType<typeof keyPair>>;
let other: Awaited<ReturnType<typeof keyPair>>;
let status: StatusListService;
let trust: TrustList;
let credential: string;

async function issue(o: { idx?: number; nowSeconds?: number; by?: TestIssuer; statusUri?: string } = {}) {
  const idx = o.idx ?? (await status.allocate(`cred-${Math.random()}`, 86_400)).idx;
  const { credential: c } = await issuePidCredential(
    pidInput(
      (o.by ?? issuer).signer,
      holder.publicJwk,
      { uri: o.statusUri ?? status.uri, idx },
      o.nowSeconds ?? now(),
    ),
  );
  return c;
}

/** The honest holder: @sd-jwt/sd-jwt-vc presents all disclosures with a KB-JWT. */
async function present(c: string, kb: { nonce?: string; aud?: string; iat?: number } = {}) {
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(holder.privateJwk),
    kbSignAlg: 'ES256',
  });
  return sdjwt.present(c, fullFrame(await sdjwt.presentableKeys(c)), {
    kb: { payload: { nonce: kb.nonce ?? NONCE, aud: kb.aud ?? AUD, iat: kb.iat ?? now() } },
  });
}

/** Presentation frame disclosing every presentable key, nested ones (`address.country`, `nationalities.0`) included. */
type Frame = { [k: string]: boolean | Frame };
function fullFrame(keys: string[]): Frame {
  const frame: Frame = {};
  for (const k of keys) {
    const [head, ...rest] = k.split('.');
    if (rest.length === 0) {
      if (frame[head!] === undefined) frame[head!] = true;
    } else {
      const current = frame[head!];
      const child: Frame = typeof current === 'object' ? current : {};
      child[rest.join('.')] = true;
      frame[head!] = child;
    }
  }
  return frame;
}

/** A dishonest holder's tool: sign a KB-JWT over any `<jwt>~…~` with any key. */
async function kbJwt(
  withoutKb: string,
  o: { key?: typeof holder; sdHash?: string; alg?: string; typ?: string } = {},
) {
  const sd_hash = o.sdHash ?? createHash('sha256').update(withoutKb).digest('base64url');
  return new SignJWT({ nonce: NONCE, aud: AUD, sd_hash })
    .setProtectedHeader({ alg: o.alg ?? 'ES256', typ: o.typ ?? 'kb+jwt' })
    .setIssuedAt(now())
    .sign(await importJWK((o.key ?? holder).privateJwk, 'ES256'));
}

const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const unb64 = (s: string): unknown => JSON.parse(Buffer.from(s, 'base64url').toString());
const withoutKbOf = (c: string) => (c.endsWith('~') ? c : c.slice(0, c.lastIndexOf('~') + 1));

function verify(presentation: string, o: { nonce?: string; trustList?: TrustList; vcts?: string[] } = {}) {
  return verifyPresentation({
    presentation,
    trustList: o.trustList ?? trust,
    nonce: o.nonce ?? NONCE,
    audience: AUD,
    nowSeconds: now(),
    fetchStatusList: () => status.token(issuer.signer),
    vcts: o.vcts ?? [JP_PID_STYLE_VCT],
  });
}

beforeAll(async () => {
  [issuer, rogue, holder, other] = await Promise.all([
    testIssuer(),
    testIssuer('Rogue issuer'),
    keyPair(),
    keyPair(),
  ]);
  status = createStatusList({
    store: adapterStore(),
    size: 4096,
    baseUri: `${ISSUER}/status`,
    ttlSeconds: 300,
    now: Date.now,
  });
  trust = createTrustList([
    { name: 'kakehashi-test', anchors: [issuer.rootPem], vcts: [JP_PID_STYLE_VCT], loa: 'high' },
  ]);
  credential = await issue();
});

describe('verifyPresentation', () => {
  it('accepts an honest presentation and round-trips the JPKI identity', async () => {
    const v = await verify(await present(credential));
    expect(v.issuer).toMatchObject({ name: 'kakehashi-test', loa: 'high' });
    const identity = await identityFromPresentation(v, {
      source: 'eudi',
      pseudonymKey: new Uint8Array(32),
      nowSeconds: now(),
    });
    expect(identity.person).toEqual(jpkiIdentity().person);
    expect(identity.authentication).toMatchObject({ loa: 'high', source: 'eudi' });
    expect(identity.verified).toEqual(
      expect.arrayContaining(['familyName', 'givenName', 'birthDate', 'address']),
    );
  });

  it('refuses a tampered disclosure (holder re-signs the key binding)', async () => {
    const parts = withoutKbOf(await present(credential)).split('~');
    const i = parts.findIndex((d, n) => n > 0 && d && (unb64(d) as unknown[])[1] === 'birthdate');
    const [salt] = unb64(parts[i]!) as [string];
    parts[i] = b64json([salt, 'birthdate', '1950-01-01']);
    const forged = parts.join('~');
    await expect(verify(forged + (await kbJwt(forged)))).rejects.toMatchObject({
      code: 'ERR_EUDI_DISCLOSURE_UNREFERENCED',
    });
  });

  it('refuses a disclosure that is not in _sd', async () => {
    const forged = `${withoutKbOf(await present(credential))}${b64json(['c2FsdHNhbHQ', 'age_over_18', true])}~`;
    await expect(verify(forged + (await kbJwt(forged)))).rejects.toMatchObject({
      code: 'ERR_EUDI_DISCLOSURE_UNREFERENCED',
    });
  });

  it('refuses a disclosure sent twice, one that is not base64url JSON, and one with a reserved name', async () => {
    const bare = withoutKbOf(await present(credential));
    const first = bare.split('~')[1]!;
    const twice = `${bare}${first}~`;
    await expect(verify(twice + (await kbJwt(twice)))).rejects.toMatchObject({
      code: 'ERR_EUDI_DISCLOSURE_DUPLICATE',
    });
    const arrayLike = b64json({ length: 3, 0: 'c2FsdHNhbHQ', 1: 'k', 2: 'v' });
    for (const junk of ['bm90IGpzb24', arrayLike, b64json(['only-salt'])]) {
      const forged = `${bare}${junk}~`;
      await expect(verify(forged + (await kbJwt(forged)))).rejects.toMatchObject({
        code: 'ERR_EUDI_DISCLOSURE_MALFORMED',
      });
    }
    const reserved = `${bare}${b64json(['c2FsdHNhbHQ', '_sd', ['x']])}~`;
    await expect(verify(reserved + (await kbJwt(reserved)))).rejects.toMatchObject({
      code: 'ERR_EUDI_DISCLOSURE_MALFORMED',
    });
  });

  it('refuses a missing key binding and one signed by another key', async () => {
    const bare = withoutKbOf(await present(credential));
    await expect(verify(bare)).rejects.toMatchObject({ code: 'ERR_EUDI_KB_MISSING' });
    await expect(verify(bare + (await kbJwt(bare, { key: other })))).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_SIGNATURE',
    });
    await expect(verify(bare + (await kbJwt(bare, { typ: 'JWT' })))).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_INVALID',
    });
  });

  it('holder key cache: a cnf.jwk that differs from a cached key in one member is imported and checked anew', async () => {
    await expect(verify(await present(credential))).resolves.toBeDefined(); // holder.publicJwk is cached now
    // (x, p - y) is the other P-256 point with the same x: a cache keyed by x alone would verify with holder's key.
    const P256 = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
    const y = BigInt(`0x${Buffer.from(holder.publicJwk.y!, 'base64url').toString('hex')}`);
    const negY = Buffer.from((P256 - y).toString(16).padStart(64, '0'), 'hex').toString('base64url');
    const { credential: mirrored } = await issuePidCredential(
      pidInput(issuer.signer, { ...holder.publicJwk, y: negY }, { uri: status.uri, idx: 1 }),
    );
    await expect(verify(await present(mirrored))).rejects.toMatchObject({ code: 'ERR_EUDI_KB_SIGNATURE' });
    // The same x and y plus a private `d`: jose refuses a private key for verification, cached public key or not.
    const withD = await signSdJwtVc({
      claims: {
        iss: ISSUER,
        iat: now(),
        exp: now() + 600,
        vct: JP_PID_STYLE_VCT,
        cnf: { jwk: holder.privateJwk },
        given_name: 'Hanako',
      },
      sd: { given_name: true },
      header: { alg: 'ES256', x5c: [...issuer.signer.x5c] },
      sign: issuer.signer.sign,
    });
    await expect(verify(await present(withD))).rejects.toMatchObject({ code: 'ERR_EUDI_KB_SIGNATURE' });
  });

  it('holder key import: a cnf.jwk with misplaced coordinate bytes or a point off the curve is refused; extra members are fine', async () => {
    const x = Buffer.from(holder.publicJwk.x!, 'base64url');
    const y = Buffer.from(holder.publicJwk.y!, 'base64url');
    const withCnf = async (jwk: JWK) =>
      issuePidCredential(pidInput(issuer.signer, jwk, { uri: status.uri, idx: 2 })).then((r) => r.credential);
    // Same 64 bytes as holder's point, split 31/33: must not be read as holder's key.
    const shifted = {
      kty: 'EC',
      crv: 'P-256',
      x: x.subarray(0, 31).toString('base64url'),
      y: Buffer.concat([x.subarray(31), y]).toString('base64url'),
    };
    await expect(verify(await present(await withCnf(shifted)))).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_SIGNATURE',
    });
    const offCurve = { ...holder.publicJwk, y: Buffer.alloc(32, 7).toString('base64url') };
    await expect(verify(await present(await withCnf(offCurve)))).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_SIGNATURE',
    });
    // Another curve than the algorithm's.
    const p384 = { ...holder.publicJwk, crv: 'P-384' };
    await expect(verify(await present(await withCnf(p384)))).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_SIGNATURE',
    });
    // Members beyond kty/crv/x/y (kid, alg) take jose's importJWK: accepted as before.
    const withKid = await signSdJwtVc({
      claims: {
        iss: ISSUER,
        iat: now(),
        exp: now() + 600,
        vct: JP_PID_STYLE_VCT,
        cnf: { jwk: { ...holder.publicJwk, kid: 'holder-1', alg: 'ES256' } },
        given_name: 'Hanako',
      },
      sd: { given_name: true },
      header: { alg: 'ES256', x5c: [...issuer.signer.x5c] },
      sign: issuer.signer.sign,
    });
    await expect(verify(await present(withKid))).resolves.toMatchObject({ claims: { given_name: 'Hanako' } });
  });

  it('refuses a presentation made for another request (nonce) or verifier (aud)', async () => {
    await expect(verify(await present(credential), { nonce: 'request-nonce-2' })).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_NONCE',
    });
    await expect(
      verify(await present(credential, { aud: 'x509_san_dns:evil.example' })),
    ).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_AUDIENCE',
    });
  });

  it('refuses a stale key binding and one over other disclosures (sd_hash)', async () => {
    await expect(verify(await present(credential, { iat: now() - 3600 }))).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_IAT',
    });
    const bare = withoutKbOf(await present(credential));
    await expect(verify(bare + (await kbJwt(bare, { sdHash: 'x'.repeat(43) })))).rejects.toMatchObject({
      code: 'ERR_EUDI_KB_SD_HASH',
    });
  });

  it('refuses an untrusted issuer, and trusts nobody with an empty list', async () => {
    const p = await present(await issue({ by: rogue }));
    await expect(verify(p)).rejects.toMatchObject({ code: 'ERR_EUDI_UNTRUSTED_ISSUER' });
    await expect(verify(await present(credential), { trustList: createTrustList([]) })).rejects.toMatchObject(
      {
        code: 'ERR_EUDI_UNTRUSTED_ISSUER',
      },
    );
  });

  it('refuses a modified issuer-signed JWT and a type not accepted', async () => {
    const [jwt, ...rest] = (await present(credential)).split('~');
    const [h, p, s] = jwt!.split('.');
    const payload = unb64(p!) as Record<string, unknown>;
    const forged = [`${h}.${b64json({ ...payload, exp: now() + 10 * 365 * 86_400 })}.${s}`, ...rest].join(
      '~',
    );
    await expect(verify(forged)).rejects.toMatchObject({ code: 'ERR_EUDI_ISSUER_SIGNATURE' });
    await expect(verify(await present(credential), { vcts: ['urn:eudi:pid:1'] })).rejects.toMatchObject({
      code: 'ERR_EUDI_VCT',
    });
  });

  it('refuses alg none on the credential and on the key binding', async () => {
    const [jwt, ...rest] = (await present(credential)).split('~');
    const [, p] = jwt!.split('.');
    const none = [
      `${b64json({ alg: 'none', typ: 'dc+sd-jwt', x5c: issuer.signer.x5c })}.${p}.`,
      ...rest,
    ].join('~');
    await expect(verify(none)).rejects.toMatchObject({ code: 'ERR_EUDI_ALG_NOT_ALLOWED' });
    const bare = withoutKbOf(await present(credential));
    const sd_hash = createHash('sha256').update(bare).digest('base64url');
    const kbNone = `${b64json({ alg: 'none', typ: 'kb+jwt' })}.${b64json({ nonce: NONCE, aud: AUD, iat: now(), sd_hash })}.`;
    await expect(verify(bare + kbNone)).rejects.toMatchObject({ code: 'ERR_EUDI_ALG_NOT_ALLOWED' });
  });

  it('refuses an expired credential', async () => {
    const old = await issue({ nowSeconds: now() - 2 * 86_400 });
    await expect(verify(await present(old))).rejects.toMatchObject({ code: 'ERR_EUDI_EXPIRED' });
  });

  it('refuses a credential revoked in the status list', async () => {
    const id = 'cred-to-revoke';
    const { idx } = await status.allocate(id, 86_400);
    const c = await issue({ idx });
    await expect(verify(await present(c))).resolves.toBeDefined();
    expect(await status.revoke(id)).toBe(true);
    await expect(verify(await present(c))).rejects.toMatchObject({ code: 'ERR_EUDI_REVOKED' });
  });

  it('fails closed when the status list is signed by another trust entry', async () => {
    const both = createTrustList([
      { name: 'kakehashi-test', anchors: [issuer.rootPem], vcts: [JP_PID_STYLE_VCT], loa: 'high' },
      { name: 'rogue', anchors: [rogue.rootPem], vcts: [JP_PID_STYLE_VCT], loa: 'low' },
    ]);
    await expect(
      verifyPresentation({
        presentation: await present(credential),
        trustList: both,
        nonce: NONCE,
        audience: AUD,
        nowSeconds: now(),
        fetchStatusList: () => status.token(rogue.signer),
        vcts: [JP_PID_STYLE_VCT],
      }),
    ).rejects.toMatchObject({ code: 'ERR_EUDI_STATUS_UNAVAILABLE' });
  });

  it('rechecks a status list it decoded before: expired, or for another list URI, fails closed', async () => {
    const token = await status.token(issuer.signer); // exp = iat + 2 x ttl (600 s)
    const input = (presentation: string, nowSeconds: number) => ({
      presentation,
      trustList: trust,
      nonce: NONCE,
      audience: AUD,
      nowSeconds,
      fetchStatusList: async () => token,
      vcts: [JP_PID_STYLE_VCT],
      kbMaxAgeSeconds: 3600,
    });
    const p = await present(credential);
    await expect(verifyPresentation(input(p, now()))).resolves.toBeDefined();
    await expect(verifyPresentation(input(p, now() + 700))).rejects.toMatchObject({
      code: 'ERR_EUDI_STATUS_UNAVAILABLE',
    });
    const elsewhere = await present(await issue({ statusUri: `${ISSUER}/status/2` }));
    await expect(verifyPresentation(input(elsewhere, now()))).rejects.toMatchObject({
      code: 'ERR_EUDI_STATUS_UNAVAILABLE',
    });
  });
});

describe('trust list chain cache', () => {
  it('serves a validated chain only for the exact same x5c and algorithm, and rechecks its validity period', async () => {
    const list = createTrustList([
      { name: 'kakehashi-test', anchors: [issuer.rootPem], vcts: [JP_PID_STYLE_VCT], loa: 'high' },
    ]);
    const x5c = [...issuer.signer.x5c];
    await expect(list.resolve(x5c, 'ES256', now())).resolves.toMatchObject({ name: 'kakehashi-test' });
    // Cached now. A rogue chain with the same subject and issuer names (another key, another root) is
    // built and refused: the cache is keyed by the certificates' bytes, not by who they say they are.
    const twin = await testIssuer();
    await expect(list.resolve([...twin.signer.x5c], 'ES256', now())).rejects.toMatchObject({
      code: 'ERR_EUDI_UNTRUSTED_ISSUER',
    });
    // The cached chain outside its certificates' validity: refused.
    await expect(list.resolve(x5c, 'ES256', now() + 20 * 365 * 86_400)).rejects.toMatchObject({
      code: 'ERR_EUDI_UNTRUSTED_ISSUER',
    });
    await expect(list.resolve(x5c, 'ES256', now() - 2 * 86_400)).rejects.toMatchObject({
      code: 'ERR_EUDI_UNTRUSTED_ISSUER',
    });
  });
});
