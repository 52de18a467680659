/**
 * The baseline: a bare oidc-provider (the version the gateway uses) with its
 * in-memory adapter and an interaction handler that logs in and consents at
 * once, no pages. Same client, same PKCE / private_key_jwt / ES256 ID tokens,
 * same scope and claims, so the difference to the gateway is the gateway's own
 * work: source pages, consent, sealed identities, SQLite, audit, metrics.
 *
 * With `consent: true` (diagnostic) the same provider takes the gateway's flow shape: the interaction stores
 * the login and answers with a small consent form, whose POST to the resume URL `/auth/<uid>` stores the
 * grant and goes on to oidc-provider's resume in the same request, as the gateway's hub does. Same five
 * requests as the gateway's login, none of the gateway's own work: it tells how much of the gap the flow's
 * shape (a consent page and its form) accounts for.
 *
 * With `store: 'sqlite'` (diagnostic) oidc-provider keeps its records through the gateway's own storage adapter on
 * the gateway's SQLite store (src/provider/storage-adapter.ts, src/storage/sqlite-store.ts) in a fresh temporary
 * file, instead of its in-memory adapter: the persistence the issue requires ("surviving restarts"), with none of
 * the gateway's other work. Together with `consent: true` it is the floor of any gateway that keeps the issue's
 * flow shape and storage: nothing the gateway adds on top (hub, sources, sealing, audit, metrics) is in it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { createProviderAdapter } from '../../src/provider/storage-adapter.js';
import { createSqliteStore } from '../../src/storage/sqlite-store.js';
import type { RunningTarget } from '../registry.js';
import { BENCH_REDIRECT_URI, BENCH_SCOPE, type BenchClient } from './client.js';
import { closeServer, listenEphemeral } from './listen.js';

const PERSON = {
  name: '架橋　花子',
  family_name: '架橋',
  given_name: '花子',
  birthdate: '1990-04-01',
  gender: 'female',
  address: { formatted: '東京都千代田区霞が関一丁目1番1号', country: 'JP' },
};

export interface BareProviderOptions {
  /** The gateway's flow shape: a consent page and its form POST to the resume URL (see above). */
  consent?: boolean;
  /** 'sqlite': the gateway's storage adapter on its SQLite store instead of oidc-provider's memory adapter. */
  store?: 'memory' | 'sqlite';
}

const ACCOUNT_ID = 'bench-user-0001';

export async function startBareProvider(
  client: BenchClient,
  options: BareProviderOptions = {},
): Promise<RunningTarget> {
  const server = createServer();
  const port = await listenEphemeral(server);
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bare-1' };

  const pepper = randomBytes(32);
  const dataDir =
    options.store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'kakehashi-bench-bare-')) : undefined;
  const store = dataDir ? createSqliteStore(join(dataDir, 'kakehashi.sqlite')) : undefined;
  const configuration: Configuration = {
    ...(store && { adapter: createProviderAdapter(store) }),
    clients: [client.metadata] as unknown as Configuration['clients'],
    jwks: { keys: [signingJwk] } as Configuration['jwks'],
    // With the consent form, its POST to /auth/<uid> must carry the interaction cookie too (the gateway's setting).
    cookies: {
      keys: ['bench-cookie-key-0123456789abcdef'],
      ...(options.consent && { short: { signed: true, path: '/' } }),
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'family_name', 'given_name', 'birthdate', 'gender'],
      address: ['address'],
    },
    responseTypes: ['code'],
    subjectTypes: ['public', 'pairwise'],
    // The gateway's pairwise derivation, so both targets do the same work per token.
    pairwiseIdentifier: (_ctx, accountId, c) =>
      createHmac('sha256', pepper).update(`pairwise\0${c.clientId}\0${accountId}`).digest('base64url'),
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      dPoP: { enabled: true },
      userinfo: { enabled: true },
      revocation: { enabled: true },
    },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, ...PERSON }) }),
    // The gateway's default lifetimes (config/schema.ts).
    ttl: {
      AuthorizationCode: 60,
      AccessToken: 600,
      IdToken: 600,
      RefreshToken: 86_400,
      Session: 3_600,
      Interaction: 600,
      Grant: 86_400,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
  const provider = new Provider(issuer, configuration);
  provider.proxy = true;

  const app = express();
  const callback = provider.callback();
  type Details = Awaited<ReturnType<typeof provider.interactionDetails>>;
  // The grant the bench user gives the client: the requested scope, nothing else.
  const saveGrant = (details: Details): Promise<string> => {
    const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    return grant.save();
  };
  if (options.consent) {
    app.get('/interaction/:uid', async (req, res) => {
      const details = await provider.interactionDetails(req, res);
      details.result = { login: { accountId: ACCOUNT_ID } };
      await details.persist();
      res
        .set('cache-control', 'no-store')
        .type('html')
        .send(
          `<!doctype html><html lang="en"><title>Consent</title><p>${String(details.params.client_id)} asks for ${String(details.params.scope)}.</p>` +
            `<form method="post" action="/auth/${details.uid}"><button name="decision" value="approve">Allow</button></form></html>`,
        );
    });
    app.post('/auth/:uid', express.urlencoded({ extended: false }), async (req, res) => {
      const details = await provider.interactionDetails(req, res);
      if (req.body?.decision !== 'approve') throw new Error('bench consent form not approved');
      details.result = { ...details.result, consent: { grantId: await saveGrant(details) } };
      await details.persist();
      req.method = 'GET';
      callback(req, res);
    });
  } else {
    app.get('/interaction/:uid', async (req, res) => {
      const details = await provider.interactionDetails(req, res);
      const grantId = await saveGrant(details);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: ACCOUNT_ID }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    });
  }
  app.use(callback);
  server.on('request', app);

  return {
    workload: {
      kind: 'oidc-login',
      issuer,
      clientId: client.clientId,
      redirectUri: BENCH_REDIRECT_URI,
      privateJwk: client.privateJwk,
      scope: BENCH_SCOPE,
      expectClaim: 'family_name',
    },
    async close() {
      await closeServer(server);
      await store?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
