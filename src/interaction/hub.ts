/**
 * The interaction hub: oidc-provider hands the browser to `/interaction/:uid`;
 * the user picks a source, the source authenticates and calls `finish`, the
 * user consents, and oidc-provider resumes the authorization request.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { InteractionResults, default as Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import type { ClientConfig } from '../../config/schema.js';
import { accountIdFor, type IdentityVault } from '../core/account.js';
import type {
  InteractionControl,
  InteractionRef,
  Locale,
  SourceInstance,
  TargetInstance,
} from '../core/adapter.js';
import type { AuditEventInput } from '../core/audit-event.js';
import { GatewayError, isGatewayError, toGatewayError } from '../core/errors.js';
import type { CanonicalIdentity } from '../core/identity.js';
import { acrForLoa, loaSatisfies } from '../core/loa.js';
import { checkCsrf, csrfToken } from './csrf.js';
import { negotiateLocale } from './i18n.js';
import { LoginTimer } from './login-timer.js';
import { requestedAttributes, requestedClaimNames, requiredLoa } from './requested.js';
import { renderConsentPage } from './views/consent-page.js';
import { renderErrorPage } from './views/error-page.js';
import { renderLoginPage } from './views/login-page.js';

export interface LoginOutcome {
  source: string;
  outcome: 'success' | 'refused';
  durationSeconds?: number;
}

export interface InteractionHubDeps {
  provider: Provider;
  sources: ReadonlyMap<string, SourceInstance>;
  clients: ReadonlyMap<string, ClientConfig>;
  /** Targets owning some clients (their acr vocabulary). */
  clientOwner?: ReadonlyMap<string, TargetInstance>;
  vault: IdentityVault;
  pepper: Uint8Array;
  /** CSRF keys (see csrf.ts): the first signs, all verify. */
  csrfKeys: readonly Uint8Array[];
  defaultLocale: Locale;
  /** Skip the source picker when exactly one source can meet the request. */
  autoSelectSingleSource?: boolean;
  bodyLimit: number;
  log: Logger;
  audit: (e: AuditEventInput) => Promise<void>;
  onLogin?: (o: LoginOutcome) => void;
  now: () => number;
  /**
   * Hands a request for `/auth/<uid>` to oidc-provider's resume endpoint (a GET route) after the consent
   * decision is stored in the interaction.
   */
  resume: (req: Request, res: Response) => void;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export function createInteractionHub(deps: InteractionHubDeps): {
  router: Router;
  control: InteractionControl;
} {
  const { provider } = deps;
  const timer = new LoginTimer(deps.now);

  const localeOf = (req: Request, details: Details): Locale => {
    const q = typeof req.query.lang === 'string' ? req.query.lang : undefined;
    const uiLocales = typeof details.params.ui_locales === 'string' ? details.params.ui_locales : undefined;
    return negotiateLocale(q ?? uiLocales, req.get('accept-language'), deps.defaultLocale);
  };

  // The reference of an interaction as one request sees it; a login asks for it several times per request.
  const refs = new WeakMap<Details, InteractionRef>();
  const refOf = (req: Request, details: Details): InteractionRef => {
    let ref = refs.get(details);
    if (!ref) {
      ref = buildRef(req, details);
      refs.set(details, ref);
    }
    return ref;
  };
  const buildRef = (req: Request, details: Details): InteractionRef => {
    const clientId = String(details.params.client_id ?? '');
    const allowed = deps.clients.get(clientId)?.allowed_claims;
    const loa = requiredLoa(details.params, deps.clientOwner?.get(clientId)?.acrValues);
    return {
      uid: details.uid,
      clientId,
      locale: localeOf(req, details),
      ...(loa && { requiredLoa: loa }),
      requestedAttributes: requestedAttributes(requestedClaimNames(details.params), allowed),
    };
  };

  const clientName = (clientId: string) => deps.clients.get(clientId)?.client_name ?? clientId;

  // One interaction lookup per request: a source's handler often asks for `current` and then `finish`.
  const detailsCache = new WeakMap<Request, Promise<Details>>();
  const detailsOf = (req: Request, res: Response): Promise<Details> => {
    let d = detailsCache.get(req);
    if (!d) {
      d = provider.interactionDetails(req, res);
      detailsCache.set(req, d);
      d.catch(() => detailsCache.delete(req));
    }
    return d;
  };

  /**
   * What oidc-provider's interactionResult/interactionFinished do (v9: store the result in the interaction,
   * merged with the last submission unless told otherwise or an error, keep its expiry, answer 303 to
   * `returnTo`), on the interaction this request already loaded. They would read the cookie and load the
   * interaction (and its session) once more per call; the request already checked both through `detailsOf`.
   */
  const saveResult = async (
    req: Request,
    res: Response,
    result: InteractionResults,
    { mergeWithLastSubmission }: { mergeWithLastSubmission: boolean },
  ): Promise<string> => {
    const details = await detailsOf(req, res);
    details.result =
      mergeWithLastSubmission && !('error' in result) ? { ...details.lastSubmission, ...result } : result;
    await details.persist();
    return details.returnTo;
  };
  const finishInteraction = async (
    req: Request,
    res: Response,
    result: InteractionResults,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void> => {
    const returnTo = await saveResult(req, res, result, options);
    res.statusCode = 303;
    res.setHeader('Location', returnTo);
    res.setHeader('Content-Length', '0');
    res.end();
  };

  const control: InteractionControl = {
    async current(req, res) {
      try {
        return refOf(req, await detailsOf(req, res));
      } catch (e) {
        throw new GatewayError('ERR_NO_INTERACTION', 'no interaction in progress for this browser', {
          oauth: 'invalid_request',
          redirectable: false,
          cause: e,
        });
      }
    },
    async finish(req, res, identity: CanonicalIdentity) {
      const details = await detailsOf(req, res);
      const ref = refOf(req, details);
      const source = identity.authentication.source;
      if (ref.requiredLoa && !loaSatisfies(identity.authentication.loa, ref.requiredLoa)) {
        await control.fail(
          req,
          res,
          new GatewayError(
            'ERR_LOA_NOT_MET',
            `the identity's level of assurance is below ${ref.requiredLoa}`,
            {
              oauth: 'unmet_authentication_requirements',
            },
          ),
        );
        return;
      }
      const accountId = accountIdFor(identity, deps.pepper);
      // Both before the login result is stored (the login cannot complete without its audit record); side by
      // side, so the audit write does not wait for the seal and its commit.
      await Promise.all([
        deps.vault.save(accountId, identity),
        deps.audit({
          type: 'login.success',
          account: accountId,
          client: ref.clientId,
          source,
          interaction: ref.uid,
        }),
      ]);
      deps.onLogin?.({ source, outcome: 'success', durationSeconds: timer.finish(ref.uid) });
      const login = {
        accountId,
        acr:
          deps.clientOwner?.get(ref.clientId)?.acrValues?.[identity.authentication.loa] ??
          acrForLoa(identity.authentication.loa),
        amr: [...identity.authentication.amr],
        ts: identity.authentication.authTime,
        remember: true,
      };
      // A first login for this client needs consent anyway: keep the login result in the interaction and show
      // the consent page now, saving the round trip through the authorization endpoint. With an existing grant
      // oidc-provider decides (it may need no consent at all).
      if (details.grantId) {
        await finishInteraction(req, res, { login }, { mergeWithLastSubmission: false });
        return;
      }
      await saveResult(req, res, { login }, { mergeWithLastSubmission: false });
      sendConsentPage(res, details, ref, identity);
    },
    async fail(req, res, error) {
      const details = await detailsOf(req, res).catch(() => undefined);
      await deps.audit({
        type: 'login.refused',
        reason: error.code,
        ...(details && { interaction: details.uid, client: String(details.params.client_id ?? '') }),
      });
      const source = (req.params as Record<string, string | undefined>).source ?? 'unknown';
      deps.onLogin?.({ source, outcome: 'refused' });
      if (!details) {
        res
          .status(error.status)
          .type('html')
          .send(renderErrorPage(deps.defaultLocale, { error: error.oauth, description: error.message }));
        return;
      }
      await finishInteraction(
        req,
        res,
        { error: error.oauth, error_description: error.message },
        { mergeWithLastSubmission: false },
      );
    },
  };

  function pendingLoginAccount(details: Details): string | undefined {
    const login = (details.result as { login?: { accountId?: unknown } } | undefined)?.login;
    return typeof login?.accountId === 'string' ? login.accountId : undefined;
  }

  /**
   * Scopes of a target's resource servers (e.g. a credential endpoint) this request asks for, by resource
   * indicator; only for clients the target owns. Shown on the consent page through the resource's attributes.
   */
  function resourceScopes(details: Details): Record<string, string> {
    const servers = deps.clientOwner?.get(String(details.params.client_id ?? ''))?.resourceServers ?? {};
    const requested = typeof details.params.scope === 'string' ? details.params.scope.split(' ') : [];
    const raw = details.params.resource;
    const out: Record<string, string> = {};
    for (const r of Array.isArray(raw) ? raw : [raw]) {
      const offered = typeof r === 'string' ? servers[r]?.scope.split(' ') : undefined;
      const scopes = requested.filter((s) => offered?.includes(s));
      if (typeof r === 'string' && scopes.length) out[r] = scopes.join(' ');
    }
    return out;
  }

  function sendConsentPage(
    res: Response,
    details: Details,
    ref: InteractionRef,
    identity: CanonicalIdentity,
  ): void {
    const names = requestedClaimNames(details.params);
    const have = (a: string) => identity.person[a as keyof typeof identity.person] !== undefined;
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(
        renderConsentPage(ref.locale, {
          uid: details.uid,
          action: new URL(details.returnTo).pathname,
          clientName: clientName(ref.clientId),
          csrf: csrfToken(deps.csrfKeys, details.uid),
          attributes: [
            ...new Set([
              ...ref.requestedAttributes,
              ...Object.keys(resourceScopes(details)).flatMap(
                (r) => deps.clientOwner?.get(ref.clientId)?.resourceServers?.[r]?.attributes ?? [],
              ),
            ]),
          ].filter(have),
          verifiedClaims: names.includes('verified_claims') && identity.verified.some(have),
          loa: identity.authentication.loa,
        }),
      );
  }

  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: deps.bodyLimit });

  router.get('/interaction/:uid', async (req, res) => {
    const details = await detailsOf(req, res);
    const ref = refOf(req, details);
    res.set('cache-control', 'no-store');
    if (details.prompt.name === 'login' && !pendingLoginAccount(details)) {
      timer.start(details.uid);
      const eligible = [...deps.sources].filter(
        ([, s]) => !ref.requiredLoa || loaSatisfies(s.maxLoa, ref.requiredLoa),
      );
      const only = eligible.length === 1 ? eligible[0] : undefined;
      if (deps.autoSelectSingleSource && only) {
        (req.params as Record<string, string>).source = only[0];
        await only[1].begin(ref, req, res);
        return;
      }
      const sources = eligible.map(([name, s]) => ({ name, label: s.label, description: s.description }));
      const csrf = csrfToken(deps.csrfKeys, details.uid);
      res.type('html').send(
        renderLoginPage(ref.locale, {
          uid: details.uid,
          clientName: clientName(ref.clientId),
          csrf,
          sources,
        }),
      );
      return;
    }
    const pending = details.prompt.name === 'login' ? pendingLoginAccount(details) : undefined;
    if (details.prompt.name === 'consent' || pending) {
      const accountId = pending ?? details.session?.accountId;
      const identity = accountId ? await deps.vault.load(accountId) : undefined;
      if (!identity) {
        throw new GatewayError('ERR_SESSION_EXPIRED', 'the authenticated identity has expired', {
          oauth: 'login_required',
        });
      }
      sendConsentPage(res, details, ref, identity);
      return;
    }
    throw new GatewayError('ERR_PROMPT_UNSUPPORTED', 'unsupported interaction prompt', {
      oauth: 'invalid_request',
    });
  });

  router.post('/interaction/:uid/source/:source', form, async (req, res) => {
    const details = await detailsOf(req, res);
    assertForm(req, details.uid);
    const source = deps.sources.get(req.params.source);
    if (!source)
      throw new GatewayError('ERR_UNKNOWN_SOURCE', 'unknown identity source', { oauth: 'invalid_request' });
    const ref = refOf(req, details);
    if (ref.requiredLoa && !loaSatisfies(source.maxLoa, ref.requiredLoa)) {
      throw new GatewayError('ERR_LOA_NOT_MET', 'this source cannot meet the requested level of assurance', {
        oauth: 'unmet_authentication_requirements',
      });
    }
    await source.begin(ref, req, res);
  });

  // The consent form posts to the resume URL (`returnTo`, `/auth/<uid>`), the path oidc-provider scoped its resume
  // cookie to, so the browser sends that cookie with its decision. The decision is stored in the interaction and the
  // same request goes on to oidc-provider's resume endpoint, which makes all of its own checks (resume cookie,
  // interaction, session) and answers with the redirect to the relying party: one request fewer than a 303 from
  // here to the resume URL, and no cookie the browser did not send.
  router.post('/auth/:uid', form, async (req, res) => {
    const details = await detailsOf(req, res);
    if (details.uid !== req.params.uid) {
      // The interaction cookie names another login (a second tab started one): do not consent to either.
      throw new GatewayError('ERR_INTERACTION_MISMATCH', 'this page belongs to another login; start again', {
        oauth: 'invalid_request',
        status: 400,
        redirectable: false,
      });
    }
    assertForm(req, details.uid);
    // oidc-provider checks the resume cookie again at the resume; this check keeps a decision without it (cookies
    // blocked or expired) from writing a grant and an audit record for a login that cannot finish.
    const resumeId = provider
      .createContext(req, res)
      .cookies.get(provider.cookieName('resume'), { signed: true });
    if (resumeId !== details.uid) {
      throw new GatewayError('ERR_INTERACTION_EXPIRED', 'the login session has expired or does not exist', {
        oauth: 'invalid_request',
        status: 400,
        redirectable: false,
      });
    }
    const clientId = String(details.params.client_id ?? '');
    // Either oidc-provider asked for consent, or the login just finished here and its result waits in the interaction.
    const pendingLogin = details.prompt.name === 'login' ? pendingLoginAccount(details) : undefined;
    const accountId =
      pendingLogin ?? (details.prompt.name === 'consent' ? details.session?.accountId : undefined);
    if (!accountId) {
      throw new GatewayError('ERR_PROMPT_MISMATCH', 'no consent is pending for this interaction', {
        oauth: 'invalid_request',
      });
    }
    if (req.body?.decision !== 'approve') {
      await deps.audit({
        type: 'consent.denied',
        account: accountId,
        client: clientId,
        interaction: details.uid,
      });
      await saveResult(
        req,
        res,
        { error: 'access_denied', error_description: 'the user did not consent' },
        { mergeWithLastSubmission: true },
      );
      deps.resume(req, res);
      return;
    }
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
      : new provider.Grant({ accountId, clientId });
    if (pendingLogin) {
      // What the consent prompt would have listed: the requested scopes and the claims-parameter claims.
      if (typeof details.params.scope === 'string') grant.addOIDCScope(details.params.scope);
      const claimsParamNames = requestedClaimNames({ claims: details.params.claims });
      if (claimsParamNames.length) grant.addOIDCClaims(claimsParamNames);
    } else {
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    }
    for (const [indicator, scope] of Object.entries(resourceScopes(details)))
      grant.addResourceScope(indicator, scope);
    const attributes = refOf(req, details).requestedAttributes;
    // The grant and the audit record are written in the same event-loop turn (one group commit), both before
    // the interaction names the grant: consent never completes without its audit record.
    const [grantId] = await Promise.all([
      grant.save(),
      deps.audit({
        type: 'consent.granted',
        account: accountId,
        client: clientId,
        interaction: details.uid,
        attributes: [...attributes],
      }),
    ]);
    // A pending login sits in `result` (not `lastSubmission`, which is what oidc-provider merges with).
    const result = pendingLogin
      ? { ...details.lastSubmission, ...details.result, consent: { grantId } }
      : { consent: { grantId } };
    await saveResult(req, res, result, { mergeWithLastSubmission: !pendingLogin });
    deps.resume(req, res);
  });

  router.post('/interaction/:uid/abort', form, async (req, res) => {
    const details = await detailsOf(req, res);
    assertForm(req, details.uid);
    await deps.audit({
      type: 'login.refused',
      reason: 'ERR_USER_CANCELLED',
      interaction: details.uid,
      client: String(details.params.client_id ?? ''),
    });
    await finishInteraction(
      req,
      res,
      { error: 'access_denied', error_description: 'the user cancelled' },
      { mergeWithLastSubmission: false },
    );
  });

  function assertForm(req: Request, uid: string) {
    if (!checkCsrf(deps.csrfKeys, uid, req.body?.csrf)) {
      throw new GatewayError('ERR_CSRF', 'the form has expired or was not sent from this page', {
        oauth: 'invalid_request',
        status: 403,
        redirectable: false,
      });
    }
  }

  // Errors on interaction routes: an interaction that no longer exists, a bad form, a source failure.
  router.use(
    ['/interaction', '/auth'],
    (err: unknown, req: Request, res: Response, next: express.NextFunction) => {
      const notFound = (err as { name?: string })?.name === 'SessionNotFound';
      // Body-parser and URI errors (413, 415, 400) keep their status: the app's error handler maps them.
      if (!notFound && !isGatewayError(err)) return next(err);
      const e = toGatewayError(err, 'ERR_INTERACTION');
      if (e.status >= 500 && !notFound)
        deps.log.error(
          { err: { code: e.code, cause: String((e.cause as Error)?.name ?? '') } },
          'interaction error',
        );
      const locale = negotiateLocale(undefined, req.get('accept-language'), deps.defaultLocale);
      res
        .status(notFound ? 400 : e.status)
        .type('html')
        .send(
          renderErrorPage(
            locale,
            notFound
              ? { error: 'invalid_request', description: 'the login session has expired or does not exist' }
              : { error: e.oauth, description: e.message },
          ),
        );
    },
  );

  return { router, control };
}
