/**
 * A deliberately misbehaving OpenID Provider built from express and jose, for
 * the upstream failure tests: each field of `behaviour` breaks one thing the
 * gateway must check (signature, iss, aud, nonce, expiry, encryption, acr,
 * DPoP nonce handling). With no fields set it behaves correctly.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { CompactEncrypt, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

export interface Behaviour {
  iss?: string;
  aud?: string;
  nonce?: string;
  /** Seconds relative to now. */
  exp?: number;
  iat?: number;
  acr?: string | null;
  amr?: string[];
  sub?: string;
  /** Sign with a key the JWKS does not publish. */
  foreignSignature?: boolean;
  /** Encrypt the ID token to this public JWK (e.g. the gateway's, or a stranger's). */
  encryptTo?: JWK;
  enc?: 'A256GCM' | 'A256CBC-HS512';
  /** Answer every token request with use_dpop_nonce and a fresh nonce. */
  dpopNonceLoop?: boolean;
  /** Redirect back with this authorization error. */
  authorizationError?: string;
  /** Reject the token request. */
  tokenError?: string;
  userinfo?: Record<string, unknown>;
}

export interface FakeOp {
  issuer: string;
  behaviour: Behaviour;
  /** The last authorization request's parameters. */
  lastAuthorization?: URLSearchParams;
  close(): Promise<void>;
}

export async function startFakeOp(): Promise<FakeOp> {
  const good = await generateKeyPair('ES256', { extractable: true });
  const stranger = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(good.publicKey)), kid: 'op-1', alg: 'ES256', use: 'sig' };
  const codes = new Map<string, { nonce: string; clientId: string; challenge: string }>();
  const app = express();
  const op: FakeOp = { issuer: '', behaviour: {}, close: async () => {} };

  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer: op.issuer,
      authorization_endpoint: `${op.issuer}/authorize`,
      token_endpoint: `${op.issuer}/token`,
      userinfo_endpoint: `${op.issuer}/userinfo`,
      jwks_uri: `${op.issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      dpop_signing_alg_values_supported: ['ES256'],
    });
  });
  app.get('/jwks', (_req, res) => {
    res.json({ keys: [publicJwk] });
  });
  app.get('/authorize', (req, res) => {
    const q = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
    op.lastAuthorization = q;
    const back = new URL(q.get('redirect_uri') ?? '');
    back.searchParams.set('state', q.get('state') ?? '');
    if (op.behaviour.authorizationError) {
      back.searchParams.set('error', op.behaviour.authorizationError);
    } else {
      const code = randomUUID();
      codes.set(code, {
        nonce: q.get('nonce') ?? '',
        clientId: q.get('client_id') ?? '',
        challenge: q.get('code_challenge') ?? '',
      });
      back.searchParams.set('code', code);
    }
    res.redirect(303, back.href);
  });
  app.post('/token', express.urlencoded({ extended: false }), async (req, res) => {
    const b = op.behaviour;
    if (b.dpopNonceLoop) {
      res.set('dpop-nonce', randomUUID()).status(400).json({ error: 'use_dpop_nonce' });
      return;
    }
    if (b.tokenError) {
      res.status(400).json({ error: b.tokenError });
      return;
    }
    const grant = codes.get(String(req.body.code));
    codes.delete(String(req.body.code));
    const verifier = String(req.body.code_verifier ?? '');
    if (!grant || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
      res.status(400).json({ error: 'invalid_grant' });
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      sub: b.sub ?? 'upstream-user-1',
      nonce: b.nonce ?? grant.nonce,
      amr: b.amr ?? ['pwd', 'otp'],
      ...(b.acr !== null && { acr: b.acr ?? 'urn:example:high' }),
    };
    let idToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'op-1', typ: 'JWT' })
      .setIssuer(b.iss ?? op.issuer)
      .setAudience(b.aud ?? grant.clientId)
      .setIssuedAt(now + (b.iat ?? 0))
      .setExpirationTime(now + (b.exp ?? 300))
      .sign(b.foreignSignature ? stranger.privateKey : good.privateKey);
    if (b.encryptTo) {
      const alg = b.encryptTo.alg ?? 'ECDH-ES+A256KW';
      idToken = await new CompactEncrypt(new TextEncoder().encode(idToken))
        .setProtectedHeader({
          alg,
          enc: b.enc ?? 'A256CBC-HS512',
          cty: 'JWT',
          ...(b.encryptTo.kid && { kid: b.encryptTo.kid }),
        })
        .encrypt(await importJWK(b.encryptTo, alg));
    }
    res.json({ access_token: randomUUID(), token_type: 'Bearer', expires_in: 300, id_token: idToken });
  });
  app.get('/userinfo', (_req, res) => {
    res.json({ sub: op.behaviour.sub ?? 'upstream-user-1', ...op.behaviour.userinfo });
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  op.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  op.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return op;
}
