/**
 * A test wallet: drives OpenID4VCI 1.0 over HTTP with openid-client as a public OAuth client (PKCE, DPoP)
 * and presents with @sd-jwt/sd-jwt-vc (an implementation independent of the gateway's).
 */
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { exportJWK, generateKeyPair, importJWK, importX509, type JWK, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { JP_PID_STYLE_DOCTYPE, PID_NAMESPACE } from '../../../adapters/eudi/issuer/mdoc.js';
import type { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, type TestGateway } from '../../helpers/gateway.js';
import { presentMdoc, verifyMdoc } from '../../helpers/mdoc-peer.js';
import { browserLogin } from '../../helpers/rp.js';

export const WALLET = 'test-wallet';
export const WALLET_CB = 'http://127.0.0.1:9/wallet/cb';

/** The issuer target config entry the EUDI integration tests use. */
export const issuerTarget = (extra: Record<string, unknown> = {}) => ({
  adapter: 'eudi-issuer',
  name: 'eudi',
  options: {
    wallets: [{ client_id: WALLET, client_name: 'Test wallet', redirect_uris: [WALLET_CB] }],
    statusListSize: 1024,
    ...extra,
  },
});

/** A gateway with the demo source (LoA high) and the issuer target `target`, and a wallet registered there. */
export async function bootIssuer(target = issuerTarget()): Promise<{ gw: TestGateway; wallet: TestWallet }> {
  const gw = await bootGateway({
    config: {
      sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'high' } }],
      targets: [target],
    },
  });
  return { gw, wallet: new TestWallet(gw.issuer, WALLET, WALLET_CB) };
}

/**
 * The holder presents `elements` of a JP PID-style mdoc, signed with `devicePrivateJwk`, to the independent
 * reader (test/helpers/mdoc-peer.ts) trusting `rootsPem`; returns the PID namespace the reader read.
 */
export async function readPidMdoc(
  credential: string,
  elements: readonly string[],
  devicePrivateJwk: JWK,
  rootsPem: readonly string[],
) {
  const presented = await presentMdoc(
    credential,
    JP_PID_STYLE_DOCTYPE,
    PID_NAMESPACE,
    elements,
    devicePrivateJwk,
  );
  return (await verifyMdoc(presented, rootsPem)).documents[0]?.getIssuerNameSpace(PID_NAMESPACE);
}

export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

const issuerMetadataSchema = z
  .object({
    credential_issuer: z.string(),
    credential_endpoint: z.string(),
    nonce_endpoint: z.string(),
    credential_configurations_supported: z.record(
      z.string(),
      z.object({ format: z.string(), vct: z.string().optional(), scope: z.string().optional() }).loose(),
    ),
  })
  .loose();
export type IssuerMetadata = z.infer<typeof issuerMetadataSchema>;

const offerSchema = z.object({
  credential_issuer: z.string(),
  credential_configuration_ids: z.array(z.string()).min(1),
  grants: z.object({
    [PRE_AUTHORIZED_GRANT]: z.object({
      'pre-authorized_code': z.string(),
      tx_code: z.object({ length: z.number() }).loose().optional(),
    }),
  }),
});

export interface HolderKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function holderKey(): Promise<HolderKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
}

export class TestWallet {
  readonly key: Promise<HolderKey> = holderKey();
  private readonly dpopKeys = generateKeyPair('ES256');

  readonly issuer: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly useDpop: boolean;

  constructor(issuer: string, clientId: string, redirectUri: string, useDpop = true) {
    this.issuer = issuer;
    this.clientId = clientId;
    this.redirectUri = redirectUri;
    this.useDpop = useDpop;
  }

  /** The same wallet holding another key (e.g. one of a batch), to present the credential bound to it. */
  withKey(key: HolderKey): TestWallet {
    const w = new TestWallet(this.issuer, this.clientId, this.redirectUri, this.useDpop);
    (w as { key: Promise<HolderKey> }).key = Promise.resolve(key);
    return w;
  }

  async metadata(): Promise<IssuerMetadata> {
    const res = await fetch(`${new URL(this.issuer).origin}/.well-known/openid-credential-issuer`);
    if (!res.ok) throw new Error(`issuer metadata: ${res.status}`);
    return issuerMetadataSchema.parse(await res.json());
  }

  private config?: Promise<oidc.Configuration>;
  oauth(): Promise<oidc.Configuration> {
    this.config ??= oidc.discovery(new URL(this.issuer), this.clientId, {}, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    return this.config;
  }

  async dpop(): Promise<oidc.DPoPHandle | undefined> {
    return this.useDpop ? oidc.getDPoPHandle(await this.oauth(), await this.dpopKeys) : undefined;
  }

  /** Parse an `openid-credential-offer://` URI (offer by value). */
  static parseOffer(uri: string) {
    const raw = new URL(uri).searchParams.get('credential_offer');
    if (!raw) throw new Error('no credential_offer');
    return offerSchema.parse(JSON.parse(raw));
  }

  /** Pre-authorized code flow: token request with tx_code. */
  async redeemOffer(
    offerUri: string,
    txCode: string,
  ): Promise<{ accessToken: string; dpop?: oidc.DPoPHandle }> {
    const offer = TestWallet.parseOffer(offerUri);
    const g = offer.grants[PRE_AUTHORIZED_GRANT];
    const dpop = await this.dpop();
    const tokens = await oidc.genericGrantRequest(
      await this.oauth(),
      PRE_AUTHORIZED_GRANT,
      { 'pre-authorized_code': g['pre-authorized_code'], tx_code: txCode },
      dpop ? { DPoP: dpop } : undefined,
    );
    return { accessToken: tokens.access_token, ...(dpop && { dpop }) };
  }

  /** Authorization code flow with PKCE: the person logs in through `browser` at the hub and consents. */
  async authorize(
    scope: string,
    browser: TestBrowser,
    source = 'demo',
  ): Promise<{ accessToken: string; dpop?: oidc.DPoPHandle }> {
    const cfg = await this.oauth();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: this.redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const { callbackUrl } = await browserLogin(url.href, this.redirectUri, { browser, source });
    const dpop = await this.dpop();
    const tokens = await oidc.authorizationCodeGrant(
      cfg,
      callbackUrl,
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      dpop ? { DPoP: dpop } : undefined,
    );
    return { accessToken: tokens.access_token, ...(dpop && { dpop }) };
  }

  async nonce(): Promise<string> {
    const m = await this.metadata();
    const res = await fetch(m.nonce_endpoint, { method: 'POST' });
    const body = z.object({ c_nonce: z.string() }).parse(await res.json());
    return body.c_nonce;
  }

  /** `openid4vci-proof+jwt` over the holder key (OpenID4VCI 1.0 Appendix F.1). */
  async proof(nonce: string, overrides: { aud?: string; iat?: number } = {}): Promise<string> {
    const k = await this.key;
    return new SignJWT({ nonce })
      .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: k.publicJwk })
      .setAudience(overrides.aud ?? this.issuer)
      .setIssuer(this.clientId)
      .setIssuedAt(overrides.iat ?? Math.floor(Date.now() / 1000))
      .sign(await importJWK(k.privateJwk, 'ES256'));
  }

  /** `openid4vci-proof+jwt` over another holder key (one per credential of a batch). */
  async proofWith(key: HolderKey, nonce: string): Promise<string> {
    return new SignJWT({ nonce })
      .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: key.publicJwk })
      .setAudience(this.issuer)
      .setIssuer(this.clientId)
      .setIssuedAt()
      .sign(await importJWK(key.privateJwk, 'ES256'));
  }

  /**
   * Batch issuance (OpenID4VCI 1.0 §8.2 `proofs`): one nonce, `n` fresh holder keys, one proof each, one
   * credential request; returns the credentials with the key each is bound to (same order).
   */
  async obtainBatch(
    token: { accessToken: string; dpop?: oidc.DPoPHandle },
    configurationId: string,
    n: number,
  ): Promise<{ credential: string; key: HolderKey }[]> {
    const keys = await Promise.all(Array.from({ length: n }, () => holderKey()));
    const nonce = await this.nonce();
    const r = await this.requestCredential(token, {
      credential_configuration_id: configurationId,
      proofs: { jwt: await Promise.all(keys.map((k) => this.proofWith(k, nonce))) },
    });
    if (r.status !== 200) throw new Error(`credential request: ${r.status} ${JSON.stringify(r.body)}`);
    const creds = z.array(z.object({ credential: z.string() })).parse(r.body.credentials);
    if (creds.length !== n) throw new Error(`asked for ${n} credentials, got ${creds.length}`);
    return creds.map((c, i) => ({ credential: c.credential, key: keys[i]! }));
  }

  /** Credential request (Authorization header, DPoP proof when bound, `headers` besides); returns the response. */
  async requestCredential(
    token: { accessToken: string; dpop?: oidc.DPoPHandle },
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
    const m = await this.metadata();
    let res: Response;
    try {
      res = await oidc.fetchProtectedResource(
        await this.oauth(),
        token.accessToken,
        new URL(m.credential_endpoint),
        'POST',
        JSON.stringify(body),
        new Headers({ 'content-type': 'application/json', ...headers }),
        token.dpop ? { DPoP: token.dpop } : undefined,
      );
    } catch (e) {
      // openid-client turns a WWW-Authenticate challenge into an error; the test wants the response.
      if (e instanceof oidc.WWWAuthenticateChallengeError && e.response) res = e.response;
      else throw e;
    }
    return {
      status: res.status,
      body: z.record(z.string(), z.unknown()).parse(await res.json()),
      headers: res.headers,
    };
  }

  /** Nonce + proof + credential request for the configuration; returns the SD-JWT VC. */
  async obtain(token: { accessToken: string; dpop?: oidc.DPoPHandle }, configurationId: string) {
    const proof = await this.proof(await this.nonce());
    const r = await this.requestCredential(token, {
      credential_configuration_id: configurationId,
      proofs: { jwt: [proof] },
    });
    if (r.status !== 200) throw new Error(`credential request: ${r.status} ${JSON.stringify(r.body)}`);
    const creds = z.array(z.object({ credential: z.string() })).parse(r.body.credentials);
    return creds[0]!.credential;
  }

  /** An SD-JWT+KB presentation with @sd-jwt/sd-jwt-vc, disclosing only `claims` (top-level names). */
  async present(
    credential: string,
    claims: readonly string[],
    kb: { nonce: string; aud: string; iat?: number },
  ): Promise<string> {
    return this.presentFrame(credential, Object.fromEntries(claims.map((c) => [c, true])), kb);
  }

  /**
   * An SD-JWT+KB presentation with @sd-jwt/sd-jwt-vc for a presentation frame (`{ address: { country: true } }`,
   * `{ nationalities: { 0: true } }`): the library picks the disclosures and signs the KB-JWT (typ kb+jwt,
   * nonce, aud, iat, sd_hash) with the holder key the credential is bound to.
   */
  async presentFrame(
    credential: string,
    frame: Record<string, unknown>,
    kb: { nonce: string; aud: string; iat?: number },
  ): Promise<string> {
    const k = await this.key;
    const lib = new SDJwtVcInstance({
      hasher: digest,
      saltGenerator: generateSalt,
      kbSigner: await ES256.getSigner(k.privateJwk),
      kbSignAlg: 'ES256',
    });
    // The frame only names claims of the credential the holder chose to disclose (an unknown name is skipped).
    const keys = new Set(await lib.presentableKeys(credential));
    const pick = (f: Record<string, unknown>, prefix: string): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(f).flatMap(([name, v]) => {
          const path = prefix ? `${prefix}.${name}` : name;
          if (!keys.has(path)) return [];
          return [[name, v && typeof v === 'object' ? pick(v as Record<string, unknown>, path) : v]];
        }),
      );
    return lib.present(credential, pick(frame, '') as Parameters<typeof lib.present>[1], {
      kb: { payload: { nonce: kb.nonce, aud: kb.aud, iat: kb.iat ?? Math.floor(Date.now() / 1000) } },
    });
  }
}

/**
 * @sd-jwt/sd-jwt-vc as an independent verifier: issuer key from the x5c leaf, status list over HTTP; with
 * `holderJwk`, it also checks a presentation's key-binding JWT against that key.
 */
export async function independentVerifier(credential: string, holderJwk?: JWK) {
  const header = JSON.parse(Buffer.from(credential.split('.')[0]!, 'base64url').toString()) as {
    x5c: string[];
  };
  const pem = `-----BEGIN CERTIFICATE-----\n${header.x5c[0]}\n-----END CERTIFICATE-----`;
  const issuerJwk = await exportJWK(await importX509(pem, 'ES256', { extractable: true }));
  return new SDJwtVcInstance({
    hasher: digest,
    verifier: await ES256.getVerifier(issuerJwk),
    ...(holderJwk && { kbVerifier: await ES256.getVerifier(holderJwk) }),
  });
}
