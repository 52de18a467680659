/**
 * Routes of the JPKI source (mounted at `/a/<instanceId>`):
 * - `GET  /challenge/:id`  the challenge document for the card client;
 * - `POST /response/:id`   certificates + signatures; consumes the challenge;
 * - `GET  /status/:id`     `{ state }` for the waiting browser;
 * - `GET  /wait/:id`       the waiting page again (browser);
 * - `GET  /finish/:id`     hands the verified identity to the interaction (browser);
 * - `POST /demo/play/:id`  dev only: play a virtual card.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { AdapterContext } from '../../../src/core/adapter.js';
import { type CanonicalIdentity, parseCanonicalIdentity } from '../../../src/core/identity.js';
import { isJpkiError, JPKI_ERROR_MESSAGES, JpkiError, type JpkiErrorCode, jpkiError } from '../errors.js';
import { decodeBase64Url, MAX_CERTIFICATE_BYTES, RSA_2048_SIGNATURE_BYTES } from '../verify/der.js';
import { type JpkiVerifyDeps, verifyJpkiLogin } from '../verify/login.js';
import {
  type ChallengeRecord,
  challengeDocument,
  challengeKey,
  challengeRecordSchema,
  type LoginStatus,
  loginStatusSchema,
  statusKey,
} from './challenge.js';
import { renderWaitingPage } from './page.js';

export const RESULT_NAMESPACE = 'jpki-result';
const RESULT_TTL_SECONDS = 300;
const MAX_BODY = '64kb';

const responseBodySchema = z
  .object({
    auth_certificate: z.string().max(65_536),
    auth_signature: z.string().max(65_536),
    sign_certificate: z.string().max(65_536).optional(),
    sign_signature: z.string().max(65_536).optional(),
  })
  .strict();

export interface JpkiRouterOptions {
  ctx: AdapterContext;
  verify: JpkiVerifyDeps;
  /** Present when the demo card button is enabled (dev mode with `demo.cardsDir`). */
  playDemo?: (challengeUrl: string) => Promise<void>;
}

const ID = /^[A-Za-z0-9_-]{16,64}$/;

export function createJpkiRouter({ ctx, verify, playDemo }: JpkiRouterOptions): Router {
  const router = express.Router();
  const urls = (id: string) => ({
    challengeUrl: `${ctx.baseUrl}/challenge/${id}`,
    responseUrl: `${ctx.baseUrl}/response/${id}`,
    statusUrl: `${ctx.baseUrl}/status/${id}`,
    finishUrl: `${ctx.baseUrl}/finish/${id}`,
    demoPlayUrl: playDemo ? `${ctx.baseUrl}/demo/play/${id}` : undefined,
  });
  const nowSeconds = () => Math.floor(ctx.now() / 1000);

  async function readStatus(id: string): Promise<LoginStatus | undefined> {
    const parsed = loginStatusSchema.safeParse(await ctx.store.get(statusKey(id)));
    if (!parsed.success) return undefined;
    // A challenge nobody answered in time fails by itself.
    if (parsed.data.state === 'pending' && nowSeconds() > parsed.data.exp) {
      return { ...parsed.data, state: 'failed', code: 'ERR_JPKI_CHALLENGE_EXPIRED' };
    }
    return parsed.data;
  }

  async function setStatus(id: string, status: LoginStatus): Promise<void> {
    await ctx.store.set(statusKey(id), status, Math.max(60, status.exp - nowSeconds() + 300));
  }

  const sendError = (res: Response, e: JpkiError): void => {
    res.status(e.status).json({ error: e.oauth, error_description: e.message });
  };

  router.get('/challenge/:id', async (req, res) => {
    const id = String(req.params.id);
    const record = ID.test(id)
      ? challengeRecordSchema.safeParse(await ctx.store.get(challengeKey(id)))
      : undefined;
    res.set('cache-control', 'no-store');
    if (!record?.success) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    if (nowSeconds() > record.data.exp) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_EXPIRED'));
    res.json(challengeDocument(record.data, urls(id).responseUrl));
  });

  router.post('/response/:id', express.json({ limit: MAX_BODY }), async (req, res) => {
    const id = String(req.params.id);
    res.set('cache-control', 'no-store');
    const body = responseBodySchema.safeParse(req.body);
    if (!body.success) return sendError(res, jpkiError('ERR_JPKI_MALFORMED'));
    // Atomic: of two concurrent or replayed responses exactly one gets the record.
    const taken = ID.test(id)
      ? challengeRecordSchema.safeParse(await ctx.store.take(challengeKey(id)))
      : undefined;
    if (!taken?.success) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    const record = taken.data;
    try {
      if (nowSeconds() > record.exp) throw jpkiError('ERR_JPKI_CHALLENGE_EXPIRED');
      const identity = await verifyResponse(record, body.data, verify);
      await ctx.sealed.put(RESULT_NAMESPACE, id, identity, RESULT_TTL_SECONDS);
      await setStatus(id, { state: 'done', uid: record.uid, signing: record.signing, exp: record.exp });
      res.json({ status: 'ok' });
    } catch (e) {
      const error = isJpkiError(e) ? e : jpkiError('ERR_JPKI_CHALLENGE_FAILED', e);
      ctx.log.info({ code: error.code, interaction: record.uid }, 'jpki login refused');
      await setStatus(id, {
        state: 'failed',
        uid: record.uid,
        signing: record.signing,
        exp: record.exp,
        code: error.code,
      });
      await ctx.audit({
        type: 'login.refused',
        source: ctx.instanceId,
        reason: error.code,
        interaction: record.uid,
      });
      sendError(res, error);
    }
  });

  router.get('/status/:id', async (req, res) => {
    const status = await readStatus(String(req.params.id));
    res.set('cache-control', 'no-store');
    if (!status) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    res.json({ state: status.state });
  });

  router.get('/wait/:id', async (req, res) => {
    const id = String(req.params.id);
    const interaction = await ctx.interactions.current(req, res);
    const status = await readStatus(id);
    if (!status || status.uid !== interaction.uid) {
      return ctx.interactions.fail(req, res, jpkiError('ERR_JPKI_CHALLENGE_MISMATCH'));
    }
    res.type('html').send(
      await renderWaitingPage({
        locale: interaction.locale,
        ...urls(id),
        expiresAt: status.exp,
        signing: status.signing,
      }),
    );
  });

  router.get('/finish/:id', async (req, res) => {
    const id = String(req.params.id);
    const interaction = await ctx.interactions.current(req, res);
    const status = await readStatus(id);
    if (!status || status.uid !== interaction.uid) {
      return ctx.interactions.fail(req, res, jpkiError('ERR_JPKI_CHALLENGE_MISMATCH'));
    }
    if (status.state === 'pending') return res.redirect(303, `${ctx.baseUrl}/wait/${id}`);
    await ctx.store.delete(statusKey(id));
    if (status.state === 'failed') {
      return ctx.interactions.fail(req, res, new JpkiError(knownCode(status.code)));
    }
    const identity = await ctx.sealed.take<CanonicalIdentity>(RESULT_NAMESPACE, id);
    if (!identity) return ctx.interactions.fail(req, res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    await ctx.interactions.finish(req, res, parseCanonicalIdentity(identity));
  });

  router.post('/demo/play/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!ctx.devMode || !playDemo)
      return sendError(res, new JpkiError('ERR_JPKI_DEMO_DISABLED', { status: 403 }));
    const interaction = await ctx.interactions.current(req, res);
    const status = await readStatus(id);
    if (!status || status.uid !== interaction.uid)
      return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_MISMATCH'));
    await playDemo(urls(id).challengeUrl);
    res.json({ status: 'ok' });
  });

  // Body-parser errors (oversized or invalid JSON) answer the card client in JSON, not as an HTML page.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string };
    if (e?.type === 'entity.too.large')
      return sendError(res, new JpkiError('ERR_JPKI_TOO_LARGE', { status: 413 }));
    if (e?.type === 'entity.parse.failed') return sendError(res, jpkiError('ERR_JPKI_MALFORMED'));
    next(err);
  });

  return router;
}

function knownCode(code: string | undefined): JpkiErrorCode {
  return code !== undefined && Object.hasOwn(JPKI_ERROR_MESSAGES, code)
    ? (code as JpkiErrorCode)
    : 'ERR_JPKI_CHALLENGE_FAILED';
}

/** Decode the wire body (size limits first) and run the verification pipeline on the stored challenge bytes. */
async function verifyResponse(
  record: ChallengeRecord,
  body: z.infer<typeof responseBodySchema>,
  deps: JpkiVerifyDeps,
): Promise<CanonicalIdentity> {
  // A signing certificate nobody asked for is not processed (data minimisation). Without one when asked
  // (e.g. a card holder under 15 has none), the login proceeds and the identity simply lacks the attributes.
  const withSign =
    record.signing && (body.sign_certificate !== undefined || body.sign_signature !== undefined);
  return verifyJpkiLogin(
    {
      challenge: new Uint8Array(Buffer.from(record.challenge, 'base64url')),
      authCertificate: decodeBase64Url(body.auth_certificate, MAX_CERTIFICATE_BYTES),
      authSignature: decodeBase64Url(body.auth_signature, RSA_2048_SIGNATURE_BYTES),
      ...(withSign
        ? {
            signCertificate: decodeBase64Url(need(body.sign_certificate), MAX_CERTIFICATE_BYTES),
            signSignature: decodeBase64Url(need(body.sign_signature), RSA_2048_SIGNATURE_BYTES),
          }
        : {}),
    },
    deps,
  );
}

function need(value: string | undefined): string {
  if (value === undefined) throw jpkiError('ERR_JPKI_MALFORMED');
  return value;
}
