/**
 * The `eudi-wallet` source: log in by presenting a PID (or our PID-style credential) from a wallet over
 * OpenID4VP 1.0. Routes (mounted at `/a/<instance>`):
 * - `GET  /request/:id`  the signed request object (request_uri, fetched by the wallet);
 * - `POST /response/:id` the wallet's `direct_post` / `direct_post.jwt` response (single use);
 * - `GET  /status/:id`   `{ state }` for the waiting page;
 * - `GET  /finish/:id`   hands the verified identity to the interaction (browser with the interaction cookie).
 * Transactions (nonce, ephemeral decryption key) and results live in the sealed store; the plain store holds
 * only the state of a transaction.
 */
import { createHash, X509Certificate as NodeX509, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { z } from 'zod';
import { type AdapterContext, defineSourceAdapter } from '../../../src/core/adapter.js';
import { GatewayError, isGatewayError } from '../../../src/core/errors.js';
import {
  type CanonicalIdentity,
  type PersonAttribute,
  parseCanonicalIdentity,
} from '../../../src/core/identity.js';
import { type Loa, loaRank } from '../../../src/core/loa.js';
import { EUDI_ERRORS, type EudiErrorCode, eudiError } from '../errors.js';
import { createTestIssuerChain } from '../issuer/issuer-key.js';
import { PID_NAMESPACE } from '../issuer/mdoc.js';
import { pidClaimsFromMdocElements } from '../pid-claims.js';
import { type WalletSourceOptions, walletSourceOptionsSchema } from './options.js';
import { renderWalletPage } from './page.js';
import {
  DCQL_CREDENTIAL_ID,
  ephemeralEncryptionKey,
  mdocElements,
  mdocQueries,
  signRequestObject,
  type Transaction,
  transactionSchema,
  x509HashClientId,
} from './request.js';
import { readResponse } from './response.js';
import { identityFromPresentation, type VerifiedCredential } from './to-identity.js';
import { createTrustList, loadTrustedIssuers } from './trust-list.js';
import { verifyMdocPresentation } from './verify-mdoc.js';
import { verifyPresentation } from './verify-presentation.js';

const TX = 'vp-tx';
const RESULT = 'vp-result';
const ID = /^[A-Za-z0-9_-]{22,64}$/;
const statusSchema = z
  .object({
    state: z.enum(['pending', 'done', 'failed']),
    uid: z.string(),
    exp: z.number(),
    code: z.string().optional(),
    /** Same-device flow: SHA-256 of the response code the wallet's redirect brings back (OpenID4VP §13.3). */
    codeHash: z.string().optional(),
  })
  .strict();
type Status = z.infer<typeof statusSchema>;

const REQUIRED_CLAIMS = ['family_name', 'given_name', 'birthdate'] as const;
/** A vp_token with one PID and its disclosures is a few kB; encrypted and form-encoded well below this. */
const MAX_BODY = 64 * 1024;
const STATUS_FETCH_TIMEOUT_MS = 5000;
const X5C_KEY = 'verifier:x5c';
const DAY_MS = 86_400_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const SAME_DEVICE = 'same-device';

const codeOf = (code: string | undefined): EudiErrorCode =>
  (code && Object.hasOwn(EUDI_ERRORS, code) ? code : 'ERR_EUDI_INTERNAL') as EudiErrorCode;

/** The leaf's public key is the verifier key, and it is valid for at least `marginMs` more. */
function chainFits(x5c: unknown, publicJwk: JWK, now: number, marginMs: number): x5c is string[] {
  if (!Array.isArray(x5c) || typeof x5c[0] !== 'string') return false;
  try {
    const leaf = new NodeX509(Buffer.from(x5c[0], 'base64'));
    const jwk = leaf.publicKey.export({ format: 'jwk' });
    return jwk.x === publicJwk.x && jwk.y === publicJwk.y && Date.parse(leaf.validTo) - marginMs > now;
  } catch {
    return false;
  }
}

/**
 * The verifier's certificate chain. Configured: its leaf must certify the verifier key. Generated (TEST):
 * kept in the shared store, so every instance and restart presents the same leaf and therefore the same
 * `x509_hash` client id (a request fetched from one instance may be answered at another).
 */
async function verifierChain(
  o: WalletSourceOptions,
  ctx: AdapterContext,
  key: { privateJwk: JWK; publicJwk: JWK },
): Promise<string[]> {
  if (o.x5c) {
    if (!chainFits(o.x5c, key.publicJwk, ctx.now(), 0))
      throw new GatewayError(
        'ERR_EUDI_CONFIG',
        `sources.${ctx.instanceId}.options.x5c: the leaf certificate must certify the verifier key and be valid`,
        { oauth: 'server_error', status: 500 },
      );
    return [...o.x5c];
  }
  const stored = await ctx.store.get(X5C_KEY);
  if (chainFits(stored, key.publicJwk, ctx.now(), 30 * DAY_MS)) return stored;
  const fresh = (
    await createTestIssuerChain({
      root: await ctx.keys.keyPair('verifier-test-root', 'ES256'),
      issuer: key,
      issuerName: 'Kakehashi verifier TEST',
      now: ctx.now(),
    })
  ).x5c;
  if (stored !== undefined) await ctx.store.delete(X5C_KEY);
  await ctx.store.setIfAbsent(X5C_KEY, fresh);
  const winner = await ctx.store.get(X5C_KEY);
  return chainFits(winner, key.publicJwk, ctx.now(), 0) ? winner : [...fresh];
}

export const eudiWalletSource = defineSourceAdapter<WalletSourceOptions>({
  kind: 'source',
  id: 'eudi-wallet',
  options: walletSourceOptionsSchema,
  async create(o, ctx) {
    const key = await ctx.keys.keyPair('verifier', 'ES256');
    const x5c = await verifierChain(o, ctx, key);
    const clientId = x509HashClientId(x5c);
    const trustList = createTrustList(await loadTrustedIssuers(o.trustedIssuers));
    // mdoc docTypes asked for: configured and listed by at least one trust list entry.
    const doctypes = o.doctypes.filter((d) => o.trustedIssuers.some((e) => e.doctypes?.includes(d)));
    const mdoc = mdocQueries(doctypes);
    const queryIds = [DCQL_CREDENTIAL_ID, ...mdoc.map((q) => q.id)];
    const pseudonymKey = createHash('sha256')
      .update('eudi-wallet subject\0')
      .update(String((await ctx.keys.keyPair('pseudonym', 'ES256')).privateJwk.d))
      .digest();
    const maxLoa: Loa = o.trustedIssuers.reduce<Loa>(
      (m, e) => (loaRank(e.loa) > loaRank(m) ? e.loa : m),
      'low',
    );
    const nowSeconds = () => Math.floor(ctx.now() / 1000);
    // Status list tokens by URI (the URI comes from a credential whose issuer signature was checked).
    // In-flight fetches are shared, so a burst of logins fetches a list once.
    const statusCache = new Map<string, { token: Promise<string>; until: number }>();
    const fetchStatusList = (uri: string): Promise<string> => {
      const hit = statusCache.get(uri);
      if (hit && hit.until > ctx.now()) return hit.token;
      const token = (async () => {
        const res = await ctx.fetch(uri, {
          headers: { accept: 'application/statuslist+jwt' },
          signal: AbortSignal.timeout(STATUS_FETCH_TIMEOUT_MS),
        });
        if (!res.ok) throw new Error(`status list ${res.status}`);
        return res.text();
      })();
      if (statusCache.size > 64) statusCache.clear();
      statusCache.set(uri, { token, until: ctx.now() + o.statusListCacheSeconds * 1000 });
      // A failed fetch is not reused (and never evicts a newer entry).
      token.catch(() => {
        if (statusCache.get(uri)?.token === token) statusCache.delete(uri);
      });
      return token;
    };
    const urls = (id: string) => ({
      requestUrl: `${ctx.baseUrl}/request/${id}`,
      responseUrl: `${ctx.baseUrl}/response/${id}`,
      statusUrl: `${ctx.baseUrl}/status/${id}`,
      finishUrl: `${ctx.baseUrl}/finish/${id}`,
    });
    const readStatus = async (id: string): Promise<Status | undefined> => {
      const s = statusSchema.safeParse(ID.test(id) ? await ctx.store.get(`vp:status:${id}`) : undefined);
      if (!s.success) return undefined;
      if (s.data.state === 'pending' && nowSeconds() > s.data.exp)
        return { ...s.data, state: 'failed', code: 'ERR_EUDI_REQUEST_EXPIRED' };
      return s.data;
    };
    const setStatus = (id: string, s: Status) =>
      ctx.store.set(`vp:status:${id}`, s, o.requestTtlSeconds + 300);
    const sendError = (res: Response, code: EudiErrorCode, status = 400): void => {
      res.status(status).json({ error: 'invalid_request', error_description: EUDI_ERRORS[code] });
    };
    const refuse = async (uid: string, code: EudiErrorCode) => {
      ctx.log.info({ code, interaction: uid }, 'wallet presentation refused');
      await ctx.audit({ type: 'login.refused', source: ctx.instanceId, reason: code, interaction: uid });
    };
    const parseForm = express.urlencoded({ extended: false, limit: MAX_BODY, parameterLimit: 16 });
    const readForm = (req: Request, res: Response) =>
      new Promise<unknown>((resolve) => parseForm(req, res, (err?: unknown) => resolve(err)));

    const router = express.Router();
    router.get('/request/:id', async (req, res) => {
      const id = String(req.params.id);
      const tx = transactionSchema.safeParse(ID.test(id) ? await ctx.sealed.get(TX, id) : undefined);
      res.set('cache-control', 'no-store');
      if (!tx.success) return sendError(res, 'ERR_EUDI_REPLAY');
      if (nowSeconds() > tx.data.exp) return sendError(res, 'ERR_EUDI_REQUEST_EXPIRED');
      // The same-device link asks with ?flow=same-device: the answer then carries a redirect with a response code.
      if (req.query.flow === SAME_DEVICE)
        await ctx.store.set(`vp:flow:${id}`, SAME_DEVICE, o.requestTtlSeconds + 60);
      res.type('application/oauth-authz-req+jwt').send(
        await signRequestObject({
          clientId,
          x5c,
          privateJwk: key.privateJwk,
          responseUri: urls(id).responseUrl,
          state: id,
          tx: tx.data,
          vcts: o.vcts,
          doctypes,
          nowSeconds: nowSeconds(),
        }),
      );
    });

    router.post('/response/:id', async (req, res) => {
      const id = String(req.params.id);
      res.set('cache-control', 'no-store');
      const bodyError = (await readForm(req, res)) as { type?: string } | undefined;
      // Single use: of two concurrent or replayed responses exactly one gets the transaction.
      const taken = transactionSchema.safeParse(ID.test(id) ? await ctx.sealed.take(TX, id) : undefined);
      if (!taken.success) {
        const status = await readStatus(id);
        const code = status?.code === 'ERR_EUDI_REQUEST_EXPIRED' ? status.code : 'ERR_EUDI_REPLAY';
        // Known transaction: a replay (or a late answer) is a security event; unknown ids are just noise.
        if (status) await refuse(status.uid, code);
        return sendError(res, code);
      }
      const tx = taken.data;
      try {
        if (nowSeconds() > tx.exp) throw eudiError('ERR_EUDI_REQUEST_EXPIRED');
        if (bodyError)
          throw eudiError(
            bodyError.type === 'entity.too.large'
              ? 'ERR_EUDI_RESPONSE_TOO_LARGE'
              : 'ERR_EUDI_RESPONSE_INVALID',
          );
        const { queryId, presentation } = await readResponse(req.body, tx, id, queryIds);
        const mdocQuery = mdoc.find((q) => q.id === queryId);
        let verified: VerifiedCredential;
        if (mdocQuery) {
          const { d: _d, ...encPublic } = (tx.encJwk ?? {}) as JWK;
          const m = await verifyMdocPresentation({
            presentation,
            trustList,
            docType: mdocQuery.docType,
            namespace: PID_NAMESPACE,
            elements: mdocElements(tx.attributes as PersonAttribute[]),
            transcript: {
              clientId,
              nonce: tx.nonce,
              responseUri: urls(id).responseUrl,
              // direct_post.jwt: the thumbprint of the key the response was encrypted to (B.2.6.1).
              ...(tx.encJwk && {
                jwkThumbprint: new Uint8Array(
                  Buffer.from(await calculateJwkThumbprint(encPublic, 'sha256'), 'base64url'),
                ),
              }),
            },
            nowSeconds: nowSeconds(),
          });
          verified = {
            format: 'mso_mdoc',
            issuer: m.issuer,
            iss: `mdoc:${m.issuer.name}`,
            vct: m.docType,
            claims: pidClaimsFromMdocElements(m.elements),
            holderJwk: m.deviceJwk,
          };
        } else {
          verified = await verifyPresentation({
            presentation,
            trustList,
            nonce: tx.nonce,
            audience: clientId,
            nowSeconds: nowSeconds(),
            fetchStatusList,
            vcts: o.vcts,
          });
        }
        if (REQUIRED_CLAIMS.some((c) => verified.claims[c] === undefined))
          throw eudiError('ERR_EUDI_MISSING_CLAIMS');
        const identity = await identityFromPresentation(verified, {
          source: ctx.instanceId,
          pseudonymKey,
          nowSeconds: nowSeconds(),
        });
        await ctx.sealed.put(RESULT, id, identity, 300);
        if ((await ctx.store.get(`vp:flow:${id}`)) === SAME_DEVICE) {
          // Only the browser the wallet redirects to can finish: a session fixed by someone else cannot.
          const responseCode = randomBytes(24).toString('base64url');
          await setStatus(id, {
            state: 'done',
            uid: tx.uid,
            exp: tx.exp,
            codeHash: sha256(responseCode).toString('base64url'),
          });
          res.json({ redirect_uri: `${urls(id).finishUrl}?response_code=${responseCode}` });
          return;
        }
        await setStatus(id, { state: 'done', uid: tx.uid, exp: tx.exp });
        res.json({});
      } catch (e) {
        const code = isGatewayError(e) ? codeOf(e.code) : 'ERR_EUDI_INTERNAL';
        // Unexpected errors: the name only (messages of parsers may quote their input).
        if (!isGatewayError(e))
          ctx.log.error(
            { err: e instanceof Error ? e.name : typeof e, interaction: tx.uid },
            'wallet response failed',
          );
        await setStatus(id, { state: 'failed', uid: tx.uid, exp: tx.exp, code });
        await refuse(tx.uid, code);
        sendError(
          res,
          code,
          code === 'ERR_EUDI_RESPONSE_TOO_LARGE' ? 413 : code === 'ERR_EUDI_INTERNAL' ? 500 : 400,
        );
      }
    });

    router.get('/status/:id', async (req, res) => {
      const status = await readStatus(String(req.params.id));
      res.set('cache-control', 'no-store');
      if (!status) return sendError(res, 'ERR_EUDI_REPLAY');
      // Same-device: the wallet sends the browser to /finish with the response code; the page stops polling.
      res.json({ state: status.codeHash && status.state === 'done' ? 'wallet-redirect' : status.state });
    });

    router.get('/finish/:id', async (req, res) => {
      const id = String(req.params.id);
      const interaction = await ctx.interactions.current(req, res);
      const status = await readStatus(id);
      if (!status || status.uid !== interaction.uid)
        return ctx.interactions.fail(req, res, eudiError('ERR_EUDI_REPLAY'));
      if (status.state === 'pending') return res.redirect(303, `${ctx.baseUrl}/wait/${id}`);
      // The status stays until it expires: a late or replayed response to this id is then recognised and audited.
      if (status.state === 'failed') return ctx.interactions.fail(req, res, eudiError(codeOf(status.code)));
      if (status.codeHash) {
        const given =
          typeof req.query.response_code === 'string' ? sha256(req.query.response_code) : undefined;
        const expected = Buffer.from(status.codeHash, 'base64url');
        if (!given || given.length !== expected.length || !timingSafeEqual(given, expected))
          return ctx.interactions.fail(req, res, eudiError('ERR_EUDI_RESPONSE_CODE'));
      }
      const identity = await ctx.sealed.take<CanonicalIdentity>(RESULT, id);
      if (!identity) return ctx.interactions.fail(req, res, eudiError('ERR_EUDI_REPLAY'));
      await ctx.interactions.finish(req, res, parseCanonicalIdentity(identity));
    });

    const page = async (res: Response, id: string, locale: 'ja' | 'en', exp: number) => {
      const u = urls(id);
      res
        .status(200)
        .set('cache-control', 'no-store')
        .type('html')
        .send(
          await renderWalletPage({
            locale,
            requestUri: `openid4vp://?client_id=${encodeURIComponent(clientId)}&request_uri=${encodeURIComponent(u.requestUrl)}`,
            sameDeviceUri: `openid4vp://?client_id=${encodeURIComponent(clientId)}&request_uri=${encodeURIComponent(`${u.requestUrl}?flow=${SAME_DEVICE}`)}`,
            statusUrl: u.statusUrl,
            finishUrl: u.finishUrl,
            expiresAt: exp,
          }),
        );
    };

    router.get('/wait/:id', async (req, res) => {
      const id = String(req.params.id);
      const interaction = await ctx.interactions.current(req, res);
      const status = await readStatus(id);
      if (!status || status.uid !== interaction.uid)
        return ctx.interactions.fail(req, res, eudiError('ERR_EUDI_REPLAY'));
      await page(res, id, interaction.locale, status.exp);
    });

    return {
      label: { ja: 'デジタルIDウォレット（EUDI）', en: 'Digital identity wallet (EUDI)' },
      description: {
        ja: 'ウォレットの本人確認証明書（PID）を提示してログインします。',
        en: 'Present the person identification data (PID) in your wallet.',
      },
      maxLoa,
      router,
      async begin(interaction, _req, res) {
        const id = randomBytes(24).toString('base64url');
        const exp = nowSeconds() + o.requestTtlSeconds;
        const tx: Transaction = {
          uid: interaction.uid,
          nonce: randomBytes(24).toString('base64url'),
          exp,
          attributes: [...interaction.requestedAttributes],
          responseMode: o.responseMode,
          ...(o.responseMode === 'direct_post.jwt' && { encJwk: await ephemeralEncryptionKey() }),
        };
        await ctx.sealed.put(TX, id, tx, o.requestTtlSeconds + 60);
        await setStatus(id, { state: 'pending', uid: interaction.uid, exp });
        await page(res, id, interaction.locale, exp);
      },
    };
  },
});
