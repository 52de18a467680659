/**
 * Test OpenID Providers built from oidc-provider, standing in for national
 * schemes: a Singpass-FAPI-like OP (FAPI 2.0 profile: PAR required, DPoP,
 * PKCE, private_key_jwt, ID token encrypted to the client's `use: enc` key) and
 * a Digital-Agency-like OP (code + PKCE, private_key_jwt, ES256, acr aal3).
 * The OP finishes its own login without a page, as the account and acr given.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

export interface TestOpOptions {
  port?: number;
  fapi: boolean;
  clients: Record<string, unknown>[];
  acrValues: string[];
  /** The login the OP reports: account id (= sub), acr, amr. */
  login: { accountId: string; acr: string; amr: string[] };
  /** Claims of the account (released by scope). */
  account: Record<string, unknown>;
  /** scope -> claims. */
  claims: Record<string, string[]>;
  /** Extra path prefix on the issuer (e.g. `/fapi`). */
  path?: string;
}

export interface TestOp {
  issuer: string;
  provider: Provider;
  login: TestOpOptions['login'];
  close(): Promise<void>;
}

export async function startTestOp(o: TestOpOptions): Promise<TestOp> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signing = { ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'op-sig', use: 'sig' };
  const app = express();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(o.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${o.path ?? ''}`;
  const op: TestOp = {
    issuer,
    provider: undefined as unknown as Provider,
    login: o.login,
    close: async () => {},
  };
  const configuration: Configuration = {
    clients: o.clients as unknown as Configuration['clients'],
    // The client's jwks_uri is on loopback, which oidc-provider's SSRF guard refuses: drop its dispatcher.
    fetch: (url, options) => {
      const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return fetch(url, rest);
    },
    jwks: { keys: [signing] } as Configuration['jwks'],
    cookies: { keys: ['test-op-cookie-key'] },
    acrValues: o.acrValues,
    claims: { openid: ['sub', 'amr'], ...o.claims } as Configuration['claims'],
    scopes: ['openid', ...Object.keys(o.claims)],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['private_key_jwt'],
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, ...o.account }) }),
    interactions: { url: (_ctx, interaction) => `${o.path ?? ''}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: o.fapi },
      dPoP: { enabled: true },
      encryption: { enabled: true },
      fapi: { enabled: o.fapi, profile: '2.0' },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      claimsParameter: { enabled: true },
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      clientAuthSigningAlgValues: ['ES256'],
      dPoPSigningAlgValues: ['ES256'],
      idTokenEncryptionAlgValues: ['ECDH-ES+A256KW', 'RSA-OAEP-256'],
      idTokenEncryptionEncValues: ['A256CBC-HS512', 'A256GCM'],
      userinfoEncryptionAlgValues: ['ECDH-ES+A256KW', 'RSA-OAEP-256'],
      userinfoEncryptionEncValues: ['A256CBC-HS512', 'A256GCM'],
      userinfoSigningAlgValues: ['ES256'],
    } as Configuration['enabledJWA'],
  };
  const provider = new Provider(issuer, configuration);
  op.provider = provider;
  const router = express.Router();
  router.get('/interaction/:uid', async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: op.login.accountId, acr: op.login.acr, amr: op.login.amr } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = new provider.Grant({
      accountId: op.login.accountId,
      clientId: String(details.params.client_id),
    });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });
  app.use(o.path ?? '/', router);
  app.use(o.path ?? '/', provider.callback());
  op.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return op;
}
