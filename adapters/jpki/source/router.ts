/**
 * Routes of the JPKI source (mounted at `/a/<instanceId>`):
 * - `GET  /challenge/:id`  the challenge document for the card client;
 * - `POST /response/:id`   certificates + signatures; consumes the challenge;
 * - `GET  /status/:id`     `{ state }` for the waiting browser; with `?wait=1` held while pending (long poll);
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
  type LoginOutcome,
  type LoginStatus,
  loginOutcomeSchema,
  OUTCOME_NAMESPACE,
  OUTCOME_TTL_SECONDS,
} from './challenge.js';
import { renderWaitingPage } from './page.js';

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
  /** Long poll: how long `/status/:id?wait=1` holds a pending answer (default 25 s). */
  statusHoldMs?: number;
  /** Long poll: how often a held request re-reads the store, for outcomes settled on another node (default 2 s). */
  statusRecheckMs?: number;
}

/** Held long polls at most, over all logins; beyond, `/status` answers at once as without `wait`. */
const MAX_HELD_POLLS = 10_000;

const ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * A small JSON answer, never cached. Written directly: express's res.json would also hash the body for an
 * ETag, which a no-store answer never uses.
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function createJpkiRouter({
  ctx,
  verify,
  playDemo,
  statusHoldMs = 25_000,
  statusRecheckMs = 2_000,
}: JpkiRouterOptions): Router {
  const router = express.Router();
  /** Held long polls by challenge id: woken at once when this node settles the login. */
  const held = new Map<string, Set<() => void>>();
  let heldCount = 0;
  const wake = (id: string): void => {
    for (const w of held.get(id) ?? []) w();
  };
  const urls = (id: string) => ({
    challengeUrl: `${ctx.baseUrl}/challenge/${id}`,
    responseUrl: `${ctx.baseUrl}/response/${id}`,
    statusUrl: `${ctx.baseUrl}/status/${id}`,
    finishUrl: `${ctx.baseUrl}/finish/${id}`,
    demoPlayUrl: playDemo ? `${ctx.baseUrl}/demo/play/${id}` : undefined,
  });
  const nowSeconds = () => Math.floor(ctx.now() / 1000);

  async function readChallenge(id: string): Promise<ChallengeRecord | undefined> {
    if (!ID.test(id)) return undefined;
    const parsed = challengeRecordSchema.safeParse(await ctx.store.get(challengeKey(id)));
    return parsed.success ? parsed.data : undefined;
  }

  async function readOutcome(id: string): Promise<LoginOutcome | undefined> {
    if (!ID.test(id)) return undefined;
    const parsed = loginOutcomeSchema.safeParse(await ctx.sealed.get(OUTCOME_NAMESPACE, id));
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * The login's state: pending while the challenge record is there (failed once its `exp` passed), else
   * the sealed outcome. `expect` only orders the two reads: the state the caller usually finds comes first.
   */
  async function readStatus(id: string, expect: 'pending' | 'outcome'): Promise<LoginStatus | undefined> {
    const fromChallenge = (r: ChallengeRecord): LoginStatus =>
      nowSeconds() > r.exp
        ? { state: 'failed', uid: r.uid, signing: r.signing, exp: r.exp, code: 'ERR_JPKI_CHALLENGE_EXPIRED' }
        : { state: 'pending', uid: r.uid, signing: r.signing, exp: r.exp };
    const fromOutcome = ({ identity: _identity, ...status }: LoginOutcome): LoginStatus => status;
    if (expect === 'outcome') {
      const outcome = await readOutcome(id);
      if (outcome) return fromOutcome(outcome);
      const record = await readChallenge(id);
      return record && fromChallenge(record);
    }
    const record = await readChallenge(id);
    if (record) return fromChallenge(record);
    const outcome = await readOutcome(id);
    return outcome && fromOutcome(outcome);
  }

  /** Atomic: of two concurrent or replayed responses exactly one consumes the record. */
  async function consume(id: string, record: ChallengeRecord): Promise<boolean> {
    const taken = challengeRecordSchema.safeParse(await ctx.store.take(challengeKey(id)));
    return taken.success && taken.data.challenge === record.challenge && taken.data.uid === record.uid;
  }

  const sendError = (res: Response, e: JpkiError): void => {
    sendJson(res, e.status, { error: e.oauth, error_description: e.message });
  };

  router.get('/challenge/:id', async (req, res) => {
    const record = await readChallenge(String(req.params.id));
    if (!record) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    if (nowSeconds() > record.exp) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_EXPIRED'));
    sendJson(res, 200, challengeDocument(record, urls(String(req.params.id)).responseUrl));
  });

  router.post('/response/:id', express.json({ limit: MAX_BODY }), async (req, res) => {
    const id = String(req.params.id);
    const body = responseBodySchema.safeParse(req.body);
    if (!body.success) return sendError(res, jpkiError('ERR_JPKI_MALFORMED'));
    const record = await readChallenge(id);
    if (!record) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    // Verify against the stored challenge first, then consume it: the challenge is used once all the same
    // (whoever takes the record settles the login, every other response is refused as unknown), and the
    // waiting browser never sees a gap between "pending" and the outcome.
    let identity: CanonicalIdentity | undefined;
    let error: JpkiError | undefined;
    try {
      if (nowSeconds() > record.exp) throw jpkiError('ERR_JPKI_CHALLENGE_EXPIRED');
      identity = await verifyResponse(record, body.data, verify);
    } catch (e) {
      error = isJpkiError(e) ? e : jpkiError('ERR_JPKI_CHALLENGE_FAILED', e);
    }
    if (!(await consume(id, record))) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    const settled = { uid: record.uid, signing: record.signing, exp: record.exp };
    if (identity && !error) {
      await ctx.sealed.put(
        OUTCOME_NAMESPACE,
        id,
        { state: 'done', ...settled, identity },
        OUTCOME_TTL_SECONDS,
      );
      wake(id);
      return sendJson(res, 200, { status: 'ok' });
    }
    const refused = error ?? jpkiError('ERR_JPKI_CHALLENGE_FAILED');
    ctx.log.info({ code: refused.code, interaction: record.uid }, 'jpki login refused');
    const failed: LoginOutcome = { state: 'failed', ...settled, code: refused.code };
    await ctx.sealed.put(OUTCOME_NAMESPACE, id, failed, OUTCOME_TTL_SECONDS);
    wake(id);
    await ctx.audit({
      type: 'login.refused',
      source: ctx.instanceId,
      reason: refused.code,
      interaction: record.uid,
    });
    sendError(res, refused);
  });

  /**
   * Long poll: resolves with the state once it is no longer pending, or `pending` after `statusHoldMs`.
   * Woken at once by this node's POST /response; an outcome settled on another node (or the expiry) is
   * seen by re-reading the store every `statusRecheckMs`, which costs a store read, not an HTTP request.
   */
  function waitForChange(id: string, res: Response): Promise<LoginStatus | undefined | 'gone'> {
    return new Promise((resolve) => {
      let recheck: NodeJS.Timeout | undefined;
      let reading = false;
      let again = false;
      const settle = (status: LoginStatus | undefined | 'gone') => {
        clearTimeout(hold);
        clearTimeout(recheck);
        res.off('close', gone);
        const set = held.get(id);
        if (set?.delete(check)) heldCount--;
        if (set?.size === 0) held.delete(id);
        resolve(status);
      };
      const check = () => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        clearTimeout(recheck);
        readStatus(id, 'pending').then(
          (status) => {
            reading = false;
            if (status?.state !== 'pending') settle(status);
            else if (again) {
              again = false;
              check();
            } else recheck = setTimeout(check, statusRecheckMs);
          },
          () => settle(undefined),
        );
      };
      const gone = () => settle('gone');
      const hold = setTimeout(
        () => readStatus(id, 'pending').then(settle, () => settle(undefined)),
        statusHoldMs,
      );
      res.once('close', gone);
      let set = held.get(id);
      if (!set) {
        set = new Set();
        held.set(id, set);
      }
      set.add(check);
      heldCount++;
      recheck = setTimeout(check, statusRecheckMs);
    });
  }

  router.get('/status/:id', async (req, res) => {
    const id = String(req.params.id);
    let status = await readStatus(id, 'pending');
    const hold = req.query.wait !== undefined && statusHoldMs > 0 && heldCount < MAX_HELD_POLLS;
    if (status?.state === 'pending' && hold) {
      const changed = await waitForChange(id, res);
      if (changed === 'gone') return;
      status = changed;
    }
    if (!status) return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    sendJson(res, 200, { state: status.state });
  });

  router.get('/wait/:id', async (req, res) => {
    const id = String(req.params.id);
    const interaction = await ctx.interactions.current(req, res);
    const status = await readStatus(id, 'pending');
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
    // Read before taking: only the interaction that began the login may consume its outcome.
    const status = await readStatus(id, 'outcome');
    if (!status || status.uid !== interaction.uid) {
      return ctx.interactions.fail(req, res, jpkiError('ERR_JPKI_CHALLENGE_MISMATCH'));
    }
    if (status.state === 'pending') return res.redirect(303, `${ctx.baseUrl}/wait/${id}`);
    const taken = loginOutcomeSchema.safeParse(await ctx.sealed.take(OUTCOME_NAMESPACE, id));
    if (!taken.success || taken.data.uid !== interaction.uid) {
      // An expired challenge nobody answered has no outcome: its record still says why.
      if (status.state === 'failed') {
        await ctx.store.delete(challengeKey(id));
        return ctx.interactions.fail(req, res, new JpkiError(knownCode(status.code)));
      }
      return ctx.interactions.fail(req, res, jpkiError('ERR_JPKI_CHALLENGE_UNKNOWN'));
    }
    const outcome = taken.data;
    if (outcome.state === 'failed' || outcome.identity === undefined) {
      return ctx.interactions.fail(req, res, new JpkiError(knownCode(outcome.code)));
    }
    await ctx.interactions.finish(req, res, parseCanonicalIdentity(outcome.identity));
  });

  router.post('/demo/play/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!ctx.devMode || !playDemo)
      return sendError(res, new JpkiError('ERR_JPKI_DEMO_DISABLED', { status: 403 }));
    const interaction = await ctx.interactions.current(req, res);
    const status = await readStatus(id, 'pending');
    if (!status || status.uid !== interaction.uid)
      return sendError(res, jpkiError('ERR_JPKI_CHALLENGE_MISMATCH'));
    await playDemo(urls(id).challengeUrl);
    sendJson(res, 200, { status: 'ok' });
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
