/**
 * Plain SAML 2.0 IdP target (docs/schemes/saml.md). SPs send AuthnRequests to `/sso`; the person logs in at
 * the hub (any source, consent) through one internal OAuth client per SP (so the hub's pairwise `sub` is per
 * SP), and the SP gets a Response signed/encrypted as its policy says, with attributes in its profile.
 * Single Logout: SP-initiated (`/slo` LogoutRequest) and IdP-initiated (`/logout`), propagated front-channel to
 * every SP of the browser's session, then the hub session ends (RP-initiated logout at the hub).
 * Routes under /a/<name>: GET /metadata, GET|POST /sso, GET /callback, GET|POST /slo, GET /slo/done,
 * GET|POST /logout.
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { defineTargetAdapter } from '../../src/core/adapter.js';
import { GatewayError } from '../../src/core/errors.js';
import { BINDING, NAMEID_FORMAT, STATUS } from './constants.js';
import { createHubClient, HubError, type HubLogin, internalClientMetadata } from './hub-client.js';
import { inlineOrFile, loadKeyPair } from './material.js';
import { renderPostForm } from './post-form.js';
import { SamlStatusError } from './request.js';
import { newSamlId, successResponseXml } from './response.js';
import {
  hubClaimsFor,
  hubScopeFor,
  type SamlAttributeKey,
  samlAttributeStatementXml,
} from './saml-attributes.js';
import {
  type AuthnRequestFields,
  decodeMessage,
  type EncodedMessage,
  type LogoutRequestFields,
  type LogoutResponseFields,
  peekIssuer,
  readMessage,
  requesterError,
  verifyMessage,
} from './saml-inbound.js';
import { type Comparison, loaRequirement, samlLoaUri } from './saml-loa.js';
import { buildSamlIdpMetadata } from './saml-metadata.js';
import { type SamlSpOptions, type SamlTargetOptions, samlTargetOptionsSchema } from './saml-options.js';
import {
  deliver,
  LOGOUT_SUCCESS,
  logoutRequestXml,
  logoutResponseXml,
  PARTIAL_LOGOUT,
  protectResponse,
  type Signer,
} from './saml-outbound.js';
import { createSessions, type Participant } from './saml-sessions.js';
import { defaultAcs, parseSpMetadata, type SpMetadata } from './saml-sp-metadata.js';
import { errorSender, hubFailureStatus } from './saml-status.js';
import { createIdp, createSpFromMetadata, type SamlSp } from './samlify.js';
import { escapeXml } from './xml.js';

interface ServiceProvider {
  readonly meta: SpMetadata;
  readonly policy: SamlSpOptions;
  readonly clientId: string;
  /** samlify entity for encryption (only when the policy encrypts). */
  readonly samlify?: SamlSp;
}

/** What survives the hub round trip (no personal attributes). */
interface Pending {
  readonly sp: string;
  readonly requestId: string;
  readonly acsUrl: string;
  readonly relayState?: string;
  readonly nameIdFormat: 'persistent' | 'transient';
  readonly loa: { readonly classRefs?: readonly string[]; readonly comparison: Comparison };
  readonly passive: boolean;
  readonly login: HubLogin;
}

/** A Single Logout in progress (sealed: it carries NameIDs). */
interface Chain {
  readonly origin?: { readonly sp: string; readonly requestId: string; readonly relayState?: string };
  readonly pending: readonly Participant[];
  readonly current?: { readonly sp: string; readonly requestId: string };
  readonly partial: boolean;
  readonly hubClientId?: string;
  readonly idToken?: string;
}

const COMPARISONS: readonly string[] = ['exact', 'minimum', 'maximum', 'better'];
const NS_CHAIN = 'saml-slo';
const CHAIN_TTL = 600;
const FORMAT_URI = { persistent: NAMEID_FORMAT.persistent, transient: NAMEID_FORMAT.transient } as const;

const configError = (message: string) =>
  new GatewayError('ERR_SAML_CONFIG', message, { oauth: 'server_error', status: 500 });

const page = (res: Response, status: number, title: string, body: string): void => {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`,
    );
};

export const samlTarget = defineTargetAdapter<SamlTargetOptions>({
  kind: 'target',
  id: 'saml',
  options: samlTargetOptionsSchema,
  async create(o, ctx) {
    const entityId = o.entityId ?? `${ctx.baseUrl}/metadata`;
    const ssoUrl = `${ctx.baseUrl}/sso`;
    const sloUrl = `${ctx.baseUrl}/slo`;
    const sloDoneUrl = `${ctx.baseUrl}/slo/done`;
    const callbackUrl = `${ctx.baseUrl}/callback`;
    const cookiePath = new URL(ctx.baseUrl).pathname;
    const secure = ctx.baseUrl.startsWith('https:');
    const STATE_COOKIE = 'kk_saml_state';
    const SESSION_COOKIE = 'kk_saml_session';
    const signing = loadKeyPair(o.signing, 'signing');
    const signer: Signer = { key: signing, algorithm: o.signatureAlgorithm };
    const scope = o.scope ?? new URL(ctx.issuer).hostname;
    const idp = createIdp({
      entityId,
      ssoUrl,
      signing,
      signatureAlgorithm: o.signatureAlgorithm,
      dataEncryptionAlgorithm: o.dataEncryptionAlgorithm,
      keyEncryptionAlgorithm: o.keyEncryptionAlgorithm,
    });

    const sps = new Map<string, ServiceProvider>();
    for (const [i, policy] of o.sps.entries()) {
      const xml = inlineOrFile(policy.metadata, `sps[${i}].metadata`);
      const meta = parseSpMetadata(xml, `sps[${i}].metadata`);
      if (sps.has(meta.entityId)) throw configError(`sps[${i}]: duplicate entityID`);
      if (policy.encryptAssertion && !meta.hasEncryptionCert)
        throw configError(`sps[${i}]: encryptAssertion needs an encryption key in the metadata`);
      if (meta.signingCerts.length === 0 && policy.requireSignedRequests)
        throw configError(`sps[${i}]: requireSignedRequests needs a signing key in the metadata`);
      const hash = createHash('sha256').update(meta.entityId).digest('hex').slice(0, 16);
      sps.set(meta.entityId, {
        meta,
        policy,
        clientId: `${ctx.instanceId}-saml-${hash}`,
        ...(policy.encryptAssertion && { samlify: createSpFromMetadata(xml, o.signatureAlgorithm) }),
      });
    }
    const key = await ctx.keys.keyPair('hub-client', 'ES256');
    const hub = createHubClient(ctx.issuer, callbackUrl, key.privateJwk);
    const sessions = createSessions(ctx.sealed, o.sessionLifetimeSeconds);
    const allAttributes = [...new Set([...sps.values()].flatMap((s) => s.policy.attributes))];
    const cookieOf = (req: Request, name: string) =>
      new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(req.get('cookie') ?? '')?.[1];
    const setCookie = (res: Response, name: string, value: string, maxAgeSeconds: number) =>
      res.cookie(name, value, {
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: cookiePath,
        maxAge: maxAgeSeconds * 1000,
      });
    const check = (issuer: string, destination: string) => ({
      issuer,
      destination,
      now: ctx.now(),
      clockSkewSeconds: o.clockSkewSeconds,
      maxAgeSeconds: o.requestMaxAgeSeconds,
    });
    /** One use per (SP, message ID) within the acceptance window. */
    const fresh = (sp: string, id: string) =>
      ctx.store.setIfAbsent(
        `msg:${createHash('sha256').update(`${sp}\0${id}`).digest('base64url')}`,
        1,
        o.requestMaxAgeSeconds + 2 * o.clockSkewSeconds,
      );
    const sendError = errorSender({
      entityId,
      signing,
      signatureAlgorithm: o.signatureAlgorithm,
      now: ctx.now,
    });
    const refuse = (res: Response, code: string, message: string): void =>
      page(res, 400, 'SAML request refused', `<p>${escapeXml(code)}: ${escapeXml(message)}</p>`);

    // ---- Single sign-on ----
    async function sso(req: Request, res: Response, binding: 'redirect' | 'post'): Promise<void> {
      const m = decodeMessage(req, binding);
      if (!m) return refuse(res, 'ERR_SAML_BAD_REQUEST', 'missing, oversized or undecodable SAMLRequest');
      const sp = sps.get(peekIssuer(m.xml) ?? '');
      if (!sp) {
        await ctx.audit({
          type: 'login.refused',
          reason: 'ERR_SAML_UNKNOWN_SP',
          detail: { protocol: 'saml' },
        });
        return refuse(
          res,
          'ERR_SAML_UNKNOWN_SP',
          'the request does not come from a configured service provider',
        );
      }
      const acsDefault = defaultAcs(sp.meta);
      let verifiedId: string | undefined;
      try {
        const { xml } = verifyMessage(
          m,
          'AuthnRequest',
          sp.meta.signingCerts,
          sp.policy.requireSignedRequests,
        );
        const f = readMessage(xml, 'AuthnRequest', check(sp.meta.entityId, ssoUrl)) as AuthnRequestFields;
        verifiedId = f.id;
        if (!(await fresh(sp.meta.entityId, f.id)))
          throw requesterError('ERR_SAML_REPLAY', 'request ID already used', STATUS.requestDenied);
        const acsUrl = chooseAcs(sp.meta, f);
        const nameIdFormat = chooseNameIdFormat(sp, f);
        const comparison = f.authnContext?.comparison ?? 'exact';
        const loa = COMPARISONS.includes(comparison)
          ? loaRequirement(f.authnContext?.classRefs, comparison as Comparison, sp.policy.minimumLoa)
          : undefined;
        if (!loa)
          throw requesterError(
            'ERR_SAML_LOA',
            'the requested authentication context is not supported',
            STATUS.noAuthnContext,
          );
        const login = await hub.begin(sp.clientId, loa.ask, {
          scope: hubScopeFor(sp.policy.attributes),
          prompt: f.isPassive ? 'none' : f.forceAuthn ? 'login consent' : 'consent',
        });
        const pending: Pending = {
          sp: sp.meta.entityId,
          requestId: f.id,
          acsUrl,
          ...(m.relayState !== undefined && { relayState: m.relayState }),
          nameIdFormat,
          loa: {
            ...(f.authnContext && { classRefs: f.authnContext.classRefs }),
            comparison: comparison as Comparison,
          },
          passive: f.isPassive,
          login,
        };
        await ctx.store.set(`pending:${login.state}`, pending, 900);
        setCookie(res, STATE_COOKIE, login.state, 900);
        res.redirect(303, login.url);
      } catch (e) {
        const err = e instanceof SamlStatusError ? e : internal(e, 'SAML SSO failed');
        await ctx.audit({
          type: 'login.refused',
          client: sp.clientId,
          reason: err.code,
          detail: { protocol: 'saml' },
        });
        // The ACS is always one from metadata; an unverified request gets no InResponseTo.
        sendError(res, acsDefault, err, verifiedId, m.relayState);
      }
    }

    function chooseAcs(meta: SpMetadata, f: AuthnRequestFields): string {
      if (f.protocolBinding !== undefined && f.protocolBinding !== BINDING.post)
        throw requesterError(
          'ERR_SAML_BINDING',
          'only the HTTP-POST response binding is supported',
          'urn:oasis:names:tc:SAML:2.0:status:UnsupportedBinding',
        );
      if (f.acsUrl !== undefined && f.acsIndex !== undefined)
        throw requesterError('ERR_SAML_ACS', 'both ACS URL and index given');
      const hit =
        f.acsUrl !== undefined
          ? meta.acs.find((a) => a.location === f.acsUrl)
          : f.acsIndex !== undefined
            ? meta.acs.find((a) => a.index === f.acsIndex)
            : { location: defaultAcs(meta) };
      if (!hit)
        throw requesterError('ERR_SAML_ACS', 'the AssertionConsumerService is not in the SP metadata');
      return hit.location;
    }

    function chooseNameIdFormat(sp: ServiceProvider, f: AuthnRequestFields): 'persistent' | 'transient' {
      const asked = f.nameIdPolicy?.format;
      const spnq = f.nameIdPolicy?.spNameQualifier;
      const allowed = sp.policy.nameIdFormats;
      const invalid = (msg: string) =>
        requesterError('ERR_SAML_NAMEID_POLICY', msg, STATUS.invalidNameIdPolicy);
      if (spnq !== undefined && spnq !== sp.meta.entityId)
        throw invalid('SPNameQualifier other than the SP is not supported');
      if (asked === undefined || asked === NAMEID_FORMAT.unspecified) return allowed[0] ?? 'persistent';
      const format =
        asked === NAMEID_FORMAT.persistent
          ? 'persistent'
          : asked === NAMEID_FORMAT.transient
            ? 'transient'
            : undefined;
      if (!format || !allowed.includes(format))
        throw invalid('the requested NameID format is not available to this SP');
      return format;
    }

    function internal(e: unknown, what: string): SamlStatusError {
      ctx.log.error({ err: { name: (e as Error)?.name } }, what);
      return new SamlStatusError('ERR_SAML_INTERNAL', STATUS.responder, undefined, 'internal error');
    }

    async function callback(req: Request, res: Response): Promise<void> {
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      const pending =
        state && cookieOf(req, STATE_COOKIE) === state
          ? await ctx.store.take<Pending>(`pending:${state}`)
          : undefined;
      res.clearCookie(STATE_COOKIE, { path: cookiePath });
      const sp = pending ? sps.get(pending.sp) : undefined;
      if (!pending || !sp) return refuse(res, 'ERR_SAML_STATE', 'no pending SAML request for this browser');
      const fail = (e: SamlStatusError) =>
        sendError(res, pending.acsUrl, e, pending.requestId, pending.relayState);
      try {
        const result = await hub.complete(sp.clientId, new URL(req.originalUrl, ctx.issuer), pending.login);
        const loa = loaRequirement(pending.loa.classRefs, pending.loa.comparison, sp.policy.minimumLoa);
        // Never a lower level than requested: an error status instead.
        if (!loa?.accepts(result.loa))
          throw new SamlStatusError(
            'ERR_SAML_LOA_NOT_MET',
            STATUS.responder,
            STATUS.noAuthnContext,
            'level of assurance not met',
          );
        const nameId = pending.nameIdFormat === 'persistent' ? result.sub : newSamlId();
        const sessionIndex = newSamlId();
        const unsigned = successResponseXml({
          idpEntityId: entityId,
          spEntityId: sp.meta.entityId,
          acsUrl: pending.acsUrl,
          inResponseTo: pending.requestId,
          nameId,
          nameIdFormat: FORMAT_URI[pending.nameIdFormat],
          loaUri: samlLoaUri(result.loa),
          now: ctx.now(),
          authTime: result.authTime,
          lifetimeSeconds: o.assertionLifetimeSeconds,
          sessionIndex,
          attributeStatement: samlAttributeStatementXml(sp.policy.attributes, sp.policy.profile, {
            claims: result.claims,
            pairwise: result.sub,
            idpEntityId: entityId,
            spEntityId: sp.meta.entityId,
            scope,
          }),
        });
        const xml = await protectResponse(unsigned, sp.policy, signer, idp, sp.samlify);
        const sid = await sessions.join(
          cookieOf(req, SESSION_COOKIE),
          { sp: sp.meta.entityId, nameId, nameIdFormat: FORMAT_URI[pending.nameIdFormat], sessionIndex },
          { clientId: sp.clientId, ...(result.idToken && { idToken: result.idToken }) },
        );
        setCookie(res, SESSION_COOKIE, sid, o.sessionLifetimeSeconds);
        await ctx.audit({
          type: 'token.issued',
          client: sp.clientId,
          detail: { protocol: 'saml', kind: 'saml-assertion' },
        });
        res.type('html').send(renderPostForm(pending.acsUrl, xml, pending.relayState));
      } catch (e) {
        if (e instanceof SamlStatusError) return fail(e);
        if (e instanceof HubError)
          return fail(hubFailureStatus('ERR_SAML_HUB_', e.oauthError, pending.passive));
        return fail(internal(e, 'SAML response failed'));
      }
    }

    // ---- Single Logout ----
    async function advance(res: Response, chainId: string, chain: Chain): Promise<void> {
      const pending = [...chain.pending];
      let partial = chain.partial;
      for (let p = pending.shift(); p; p = pending.shift()) {
        const endpoint = sps.get(p.sp)?.meta.slo[0];
        if (!endpoint) {
          partial = true; // an SP without SingleLogoutService cannot be told
          continue;
        }
        const requestId = newSamlId();
        const xml = logoutRequestXml(
          {
            idpEntityId: entityId,
            spEntityId: p.sp,
            destination: endpoint.location,
            nameId: p.nameId,
            nameIdFormat: p.nameIdFormat,
            sessionIndex: p.sessionIndex,
            now: ctx.now(),
            lifetimeSeconds: o.requestMaxAgeSeconds,
          },
          requestId,
        );
        await ctx.store.set(`logout-request:${requestId}`, chainId, CHAIN_TTL);
        await ctx.sealed.put(
          NS_CHAIN,
          chainId,
          { ...chain, pending, partial, current: { sp: p.sp, requestId } },
          CHAIN_TTL,
        );
        return deliver(res, endpoint, 'SAMLRequest', xml, signer);
      }
      await ctx.sealed.put(
        NS_CHAIN,
        chainId,
        { ...chain, pending: [], partial, current: undefined },
        CHAIN_TTL,
      );
      // End the hub session (OIDC RP-Initiated Logout); the hub returns to /slo/done with our state.
      const end = new URL(`${ctx.issuer}/session/end`);
      if (chain.idToken) end.searchParams.set('id_token_hint', chain.idToken);
      const clientId = chain.hubClientId ?? (chain.origin ? sps.get(chain.origin.sp)?.clientId : undefined);
      if (clientId) end.searchParams.set('client_id', clientId);
      end.searchParams.set('post_logout_redirect_uri', sloDoneUrl);
      end.searchParams.set('state', chainId);
      res.redirect(303, end.href);
    }

    const newChainId = () => newSamlId().slice(1);

    async function slo(req: Request, res: Response, binding: 'redirect' | 'post'): Promise<void> {
      const m = decodeMessage(req, binding);
      if (!m) return refuse(res, 'ERR_SAML_BAD_REQUEST', 'missing, oversized or undecodable SAML message');
      const sp = sps.get(peekIssuer(m.xml) ?? '');
      if (!sp)
        return refuse(
          res,
          'ERR_SAML_UNKNOWN_SP',
          'the message does not come from a configured service provider',
        );
      if (m.field === 'SAMLResponse') return logoutResponse(res, sp, m);
      const endpoint = sp.meta.slo[0];
      if (!endpoint) return refuse(res, 'ERR_SAML_NO_SLO', 'the service provider has no SingleLogoutService');
      let f: LogoutRequestFields | undefined;
      try {
        // Logout messages are always signed (SAML profiles §4.4.4.1: they must be authenticated).
        const { xml } = verifyMessage(m, 'LogoutRequest', sp.meta.signingCerts, true);
        f = readMessage(xml, 'LogoutRequest', check(sp.meta.entityId, sloUrl)) as LogoutRequestFields;
        if (!(await fresh(sp.meta.entityId, f.id)))
          throw requesterError('ERR_SAML_REPLAY', 'request ID already used', STATUS.requestDenied);
        const found = await sessions.find(cookieOf(req, SESSION_COOKIE), sp.meta.entityId, f.nameId);
        const me = found?.record.participants.find(
          (x) => x.sp === sp.meta.entityId && x.nameId === f?.nameId,
        );
        if (!found || !me || (f.sessionIndexes.length > 0 && !f.sessionIndexes.includes(me.sessionIndex)))
          throw requesterError(
            'ERR_SAML_UNKNOWN_PRINCIPAL',
            'no session for this NameID',
            'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal',
          );
        await sessions.end(found.sid, found.record);
        res.clearCookie(SESSION_COOKIE, { path: cookiePath });
        ctx.log.info(
          { sp: sp.clientId, participants: found.record.participants.length },
          'SAML logout (SP-initiated)',
        );
        await advance(res, newChainId(), {
          origin: {
            sp: sp.meta.entityId,
            requestId: f.id,
            ...(m.relayState !== undefined && { relayState: m.relayState }),
          },
          pending: found.record.participants.filter((x) => x !== me),
          partial: false,
          hubClientId: found.record.hubClientId,
          ...(found.record.idToken && { idToken: found.record.idToken }),
        });
      } catch (e) {
        const err = e instanceof SamlStatusError ? e : internal(e, 'SAML logout failed');
        const xml = logoutResponseXml({
          idpEntityId: entityId,
          destination: endpoint.responseLocation ?? endpoint.location,
          ...(f && { inResponseTo: f.id }),
          status: err.status,
          ...(err.subStatus && { subStatus: err.subStatus }),
          message: err.message,
          now: ctx.now(),
        });
        deliver(res, endpoint, 'SAMLResponse', xml, signer, m.relayState);
      }
    }

    async function logoutResponse(res: Response, sp: ServiceProvider, m: EncodedMessage): Promise<void> {
      let f: LogoutResponseFields;
      try {
        const { xml } = verifyMessage(m, 'LogoutResponse', sp.meta.signingCerts, true);
        f = readMessage(xml, 'LogoutResponse', check(sp.meta.entityId, sloUrl)) as LogoutResponseFields;
      } catch (e) {
        const err = e instanceof SamlStatusError ? e : internal(e, 'SAML logout response failed');
        return refuse(res, err.code, err.message);
      }
      const chainId = f.inResponseTo
        ? await ctx.store.take<string>(`logout-request:${f.inResponseTo}`)
        : undefined;
      const chain = chainId ? await ctx.sealed.get<Chain>(NS_CHAIN, chainId) : undefined;
      if (
        !chainId ||
        !chain ||
        chain.current?.sp !== sp.meta.entityId ||
        chain.current.requestId !== f.inResponseTo
      )
        return refuse(res, 'ERR_SAML_LOGOUT_STATE', 'the logout response answers no logout in progress');
      const ok = f.statusCodes[0] === LOGOUT_SUCCESS;
      await advance(res, chainId, { ...chain, partial: chain.partial || !ok, current: undefined });
    }

    async function sloDone(req: Request, res: Response): Promise<void> {
      const chainId = typeof req.query.state === 'string' ? req.query.state : '';
      const chain = chainId ? await ctx.sealed.take<Chain>(NS_CHAIN, chainId) : undefined;
      if (!chain || chain.pending.length > 0 || chain.current)
        return refuse(res, 'ERR_SAML_LOGOUT_STATE', 'no logout in progress');
      const origin = chain.origin ? sps.get(chain.origin.sp) : undefined;
      const endpoint = origin?.meta.slo[0];
      if (!chain.origin || !endpoint)
        return page(
          res,
          200,
          'Logged out',
          `<h1 id="logged-out">Logged out</h1>${chain.partial ? '<p id="partial">Some services could not be logged out; close the browser to end them.</p>' : ''}`,
        );
      const xml = logoutResponseXml({
        idpEntityId: entityId,
        destination: endpoint.responseLocation ?? endpoint.location,
        inResponseTo: chain.origin.requestId,
        status: LOGOUT_SUCCESS,
        ...(chain.partial && { subStatus: PARTIAL_LOGOUT }),
        now: ctx.now(),
      });
      deliver(res, endpoint, 'SAMLResponse', xml, signer, chain.origin.relayState);
    }

    async function logoutPage(req: Request, res: Response): Promise<void> {
      const sid = cookieOf(req, SESSION_COOKIE);
      const record = await sessions.get(sid);
      if (!record) return page(res, 200, 'Logout', '<p id="no-session">No SAML session in this browser.</p>');
      page(
        res,
        200,
        'Logout',
        `<h1>Log out</h1><p id="session-count">${record.participants.length}</p><form method="post" action="${escapeXml(`${ctx.baseUrl}/logout`)}"><input type="hidden" name="csrf" value="${escapeXml(record.csrf)}"><button type="submit">Log out of every service</button></form>`,
      );
    }

    async function logoutStart(req: Request, res: Response): Promise<void> {
      const sid = cookieOf(req, SESSION_COOKIE);
      const record = await sessions.get(sid);
      const csrf = (req.body as Record<string, unknown>)?.csrf;
      if (!sid || !record || typeof csrf !== 'string' || csrf !== record.csrf)
        return refuse(res, 'ERR_SAML_LOGOUT_CSRF', 'no SAML session or the form is stale');
      await sessions.end(sid, record);
      res.clearCookie(SESSION_COOKIE, { path: cookiePath });
      ctx.log.info({ participants: record.participants.length }, 'SAML logout (IdP-initiated)');
      await advance(res, newChainId(), {
        pending: record.participants,
        partial: false,
        hubClientId: record.hubClientId,
        ...(record.idToken && { idToken: record.idToken }),
      });
    }

    const form = express.urlencoded({ extended: false, limit: 512 * 1024 });
    const guard =
      (fn: (req: Request, res: Response) => Promise<unknown> | unknown) =>
      async (req: Request, res: Response) => {
        try {
          await fn(req, res);
        } catch (e) {
          internal(e, 'SAML route failed');
          if (!res.headersSent) refuse(res, 'ERR_SAML_INTERNAL', 'internal error');
        }
      };
    const router = express.Router();
    router.get('/metadata', (_req, res) => {
      res.type('application/samlmetadata+xml').send(
        buildSamlIdpMetadata({
          entityId,
          ssoUrl,
          sloUrl,
          signing,
          signatureAlgorithm: o.signatureAlgorithm,
          wantAuthnRequestsSigned: [...sps.values()].every((s) => s.policy.requireSignedRequests),
          attributes: allAttributes as SamlAttributeKey[],
          now: ctx.now(),
          validitySeconds: o.metadataValiditySeconds,
        }),
      );
    });
    router.get(
      '/sso',
      guard((req, res) => sso(req, res, 'redirect')),
    );
    router.post(
      '/sso',
      form,
      guard((req, res) => sso(req, res, 'post')),
    );
    router.get('/callback', guard(callback));
    router.get('/slo/done', guard(sloDone));
    router.get(
      '/slo',
      guard((req, res) => slo(req, res, 'redirect')),
    );
    router.post(
      '/slo',
      form,
      guard((req, res) => slo(req, res, 'post')),
    );
    router.get('/logout', guard(logoutPage));
    router.post('/logout', form, guard(logoutStart));

    return {
      router,
      clients: [...sps.values()].map((sp) =>
        internalClientMetadata({
          clientId: sp.clientId,
          name: `SAML: ${sp.meta.entityId}`,
          callbackUrl,
          postLogoutRedirectUris: [sloDoneUrl],
          publicJwk: key.publicJwk,
          sector: `urn:kakehashi:saml:${ctx.instanceId}:${createHash('sha256').update(sp.meta.entityId).digest('hex').slice(0, 32)}`,
          allowedClaims: hubClaimsFor(sp.policy.attributes),
        }),
      ),
    };
  },
});
