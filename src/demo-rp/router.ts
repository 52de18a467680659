/**
 * The demo relying party (dev only): a page served by the gateway itself that
 * logs in *through the gateway's public OIDC endpoints* with openid-client,
 * exactly as an external RP would (private_key_jwt, PKCE, state, nonce), and
 * shows the claims it received.
 */
import express, { type Router } from 'express';
import { importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { ACR_BY_LOA } from '../core/loa.js';
import { html, page } from '../interaction/views/html.js';

export interface DemoRpOptions {
  issuer: string;
  clientId: string;
  redirectUri: string;
  privateJwk: JWK;
  now: () => number;
}

interface Pending {
  verifier: string;
  nonce: string;
  expires: number;
}

const FLOWS = {
  basic: {
    scope: 'openid',
    label: { ja: '仮名でログイン（属性なし）', en: 'Log in (pseudonymous, no attributes)' },
  },
  attributes: {
    scope: 'openid profile address',
    claims: {
      userinfo: {
        verified_claims: {
          verification: { trust_framework: null },
          claims: { family_name: null, given_name: null, birthdate: null, address: null, gender: null },
        },
      },
    },
    label: { ja: '基本4情報でログイン', en: 'Log in with the basic four attributes' },
  },
  high: {
    scope: 'openid profile',
    acr: ACR_BY_LOA.high,
    label: { ja: '保証レベル「高」を要求してログイン', en: 'Log in requiring assurance level high' },
  },
} as const;

type FlowName = keyof typeof FLOWS;

export function createDemoRpRouter(o: DemoRpOptions): Router {
  const router = express.Router();
  const pending = new Map<string, Pending>();
  let configuration: Promise<oidc.Configuration> | undefined;

  const getConfiguration = () => {
    configuration ??= (async () => {
      const key = await importJWK(o.privateJwk, 'ES256');
      return oidc.discovery(
        new URL(o.issuer),
        o.clientId,
        { token_endpoint_auth_method: 'private_key_jwt' },
        oidc.PrivateKeyJwt({ key: key as CryptoKey, kid: o.privateJwk.kid }),
        {
          execute: o.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
        },
      );
    })().catch((e) => {
      configuration = undefined;
      throw e;
    });
    return configuration;
  };

  router.get('/', (req, res) => {
    const locale = req.query.lang === 'en' ? 'en' : 'ja';
    const buttons = (Object.keys(FLOWS) as FlowName[]).map(
      (f) =>
        html`<p><a class="button" id="login-${f}" href="login?flow=${f}&amp;lang=${locale}">${FLOWS[f].label[locale]}</a></p>`,
    );
    res.type('html').send(
      page(
        locale,
        'Demo RP',
        html`<h1>${locale === 'ja' ? 'デモ用の利用者サービス（RP）' : 'Demo relying party'}</h1>
<p class="muted">${locale === 'ja' ? 'openid-client で Kakehashi にログインします。' : 'Logs in to Kakehashi with openid-client.'}</p>${buttons}`,
        { langSwitch: `?lang=${locale === 'ja' ? 'en' : 'ja'}` },
      ),
    );
  });

  router.get('/login', async (req, res) => {
    const flowName = (
      typeof req.query.flow === 'string' && req.query.flow in FLOWS ? req.query.flow : 'basic'
    ) as FlowName;
    const flow: { scope: string; claims?: object; acr?: string } = FLOWS[flowName];
    const config = await getConfiguration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    for (const [k, v] of pending) if (v.expires < o.now()) pending.delete(k);
    pending.set(state, { verifier, nonce, expires: o.now() + 600_000 });
    const params: Record<string, string> = {
      redirect_uri: o.redirectUri,
      scope: flow.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ui_locales: req.query.lang === 'en' ? 'en' : 'ja',
    };
    if (flow.claims) params.claims = JSON.stringify(flow.claims);
    if (flow.acr) params.acr_values = flow.acr;
    res.redirect(oidc.buildAuthorizationUrl(config, params).href);
  });

  router.get('/callback', async (req, res) => {
    const config = await getConfiguration();
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const p = pending.get(state);
    pending.delete(state);
    const current = new URL(req.originalUrl, o.redirectUri);
    if (!p || typeof req.query.error === 'string') {
      res
        .status(400)
        .type('html')
        .send(
          page(
            'en',
            'Demo RP',
            html`<h1>Login failed</h1><p id="rp-error"><code>${req.query.error ?? 'unknown state'}</code> ${req.query.error_description ?? ''}</p><p><a href="./">Back</a></p>`,
          ),
        );
      return;
    }
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: p.verifier,
      expectedState: state,
      expectedNonce: p.nonce,
    });
    const idClaims = tokens.claims();
    const userinfo = idClaims ? await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub) : {};
    res.type('html').send(
      page(
        'en',
        'Demo RP',
        html`<h1>Logged in</h1><h2>ID token claims</h2><pre id="id-token-claims">${JSON.stringify(idClaims, null, 2)}</pre>
<h2>UserInfo</h2><pre id="userinfo">${JSON.stringify(userinfo, null, 2)}</pre><p><a href="./">Back</a></p>`,
      ),
    );
  });

  return router;
}
