/**
 * eIDAS proxy-service-style SAML IdP target. EU connectors send signed AuthnRequests to `/sso`; the person
 * logs in at the hub (any source, consent), and the connector gets a signed Response with a signed assertion
 * encrypted to its key. Routes under /a/<name>: GET /metadata, GET|POST /sso, GET /callback.
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { defineTargetAdapter } from '../../src/core/adapter.js';
import { GatewayError } from '../../src/core/errors.js';
import { attributeStatementXml, attributeValues, missingRequired } from './attributes.js';
import { NAMEID_FORMAT, STATUS } from './constants.js';
import { canonicalLoaFor, eidasLoaSatisfies, eidasLoaUri } from './eidas-loa.js';
import { createHubClient, HubError, type HubLogin, internalClientMetadata } from './hub-client.js';
import { inlineOrFile, loadKeyPair } from './material.js';
import { buildIdpMetadata } from './metadata.js';
import { type EidasTargetOptions, eidasTargetOptionsSchema } from './options.js';
import { renderPostForm } from './post-form.js';
import { type CheckedAuthnRequest, checkAuthnRequest, SamlStatusError } from './request.js';
import { buildSuccessResponse } from './response.js';
import { decodeMessage, peekIssuer } from './saml-inbound.js';
import { errorSender, hubFailureStatus } from './saml-status.js';
import {
  createIdp,
  createSpFromMetadata,
  type SamlSp,
  spMetadataFacts,
  verifyAuthnRequest,
} from './samlify.js';

interface Connector {
  readonly sp: SamlSp;
  readonly entityId: string;
  readonly acsUrls: readonly string[];
  readonly country: string;
  readonly clientId: string;
  readonly notifiedLoa: boolean;
  readonly defaultSpType: 'public' | 'private' | undefined;
}

/** What survives the hub round trip (no personal attributes). */
interface Pending {
  readonly connector: string;
  readonly request: CheckedAuthnRequest;
  readonly acsUrl: string;
  readonly relayState?: string;
  readonly login: HubLogin;
}

const STATE_COOKIE = 'kk_eidas_state';

export const eidasTarget = defineTargetAdapter<EidasTargetOptions>({
  kind: 'target',
  id: 'eidas',
  options: eidasTargetOptionsSchema,
  async create(o, ctx) {
    const entityId = o.entityId ?? `${ctx.baseUrl}/metadata`;
    const ssoUrl = `${ctx.baseUrl}/sso`;
    const callbackUrl = `${ctx.baseUrl}/callback`;
    const signing = loadKeyPair(o.signing, 'signing');
    const encryption = o.encryption ? loadKeyPair(o.encryption, 'encryption') : signing;
    const idp = createIdp({
      entityId,
      ssoUrl,
      signing,
      signatureAlgorithm: o.signatureAlgorithm,
      dataEncryptionAlgorithm: o.dataEncryptionAlgorithm,
      keyEncryptionAlgorithm: o.keyEncryptionAlgorithm,
    });

    const connectors = new Map<string, Connector>();
    for (const [i, c] of o.connectors.entries()) {
      const sp = createSpFromMetadata(
        inlineOrFile(c.metadata, `connectors[${i}].metadata`),
        o.signatureAlgorithm,
      );
      const f = spMetadataFacts(sp);
      if (
        !f.authnRequestsSigned ||
        !f.wantAssertionsSigned ||
        !f.hasEncryptionCert ||
        !f.hasSigningCert ||
        !f.acsPost
      )
        throw new GatewayError(
          'ERR_EIDAS_CONFIG',
          `connectors[${i}]: metadata must sign requests, want signed assertions and publish signing and encryption keys and an HTTP-POST ACS`,
          { oauth: 'server_error', status: 500 },
        );
      connectors.set(f.entityId, {
        sp,
        entityId: f.entityId,
        acsUrls: Array.isArray(f.acsPost) ? f.acsPost : [f.acsPost],
        country: c.country,
        clientId: `${ctx.instanceId}-eidas-${c.country.toLowerCase()}`,
        notifiedLoa: c.notifiedLoa,
        defaultSpType: c.spType,
      });
    }
    const countries = [...new Set([...connectors.values()].map((c) => c.country))];
    const clientCountry = new Map<string, string>(
      countries.map((cc) => [`${ctx.instanceId}-eidas-${cc.toLowerCase()}`, cc] as const),
    );

    const key = await ctx.keys.keyPair('hub-client', 'ES256');
    const hub = createHubClient(ctx.issuer, callbackUrl, key.privateJwk);
    const metadataXml = () =>
      buildIdpMetadata({
        entityId,
        ssoUrl,
        country: o.country,
        signing,
        encryptionCertPem: encryption.certPem,
        signatureAlgorithm: o.signatureAlgorithm,
        dataEncryptionAlgorithm: o.dataEncryptionAlgorithm,
        keyEncryptionAlgorithm: o.keyEncryptionAlgorithm,
        notifiedLoa: [...connectors.values()].some((c) => c.notifiedLoa),
        now: ctx.now(),
        validitySeconds: o.metadataValiditySeconds,
      });

    const sendError = errorSender({
      entityId,
      signing,
      signatureAlgorithm: o.signatureAlgorithm,
      now: ctx.now,
    });
    const refusePage = (res: Response, code: string, message: string) => {
      res
        .status(400)
        .type('html')
        .send(`<!doctype html><title>SAML request refused</title><p>${code}: ${message}</p>`);
    };

    async function sso(req: Request, res: Response, binding: 'redirect' | 'post') {
      const params = (binding === 'redirect' ? req.query : req.body) as Record<string, unknown>;
      const message = decodeMessage(req, binding);
      if (message?.field !== 'SAMLRequest') {
        refusePage(res, 'ERR_EIDAS_BAD_REQUEST', 'missing, oversized or undecodable SAMLRequest/RelayState');
        return;
      }
      const { xml, relayState } = message;
      const connector = connectors.get(peekIssuer(xml) ?? '');
      if (!connector) {
        await ctx.audit({
          type: 'login.refused',
          reason: 'ERR_EIDAS_UNKNOWN_CONNECTOR',
          detail: { protocol: 'saml' },
        });
        refusePage(
          res,
          'ERR_EIDAS_UNKNOWN_CONNECTOR',
          'the request does not come from a configured connector',
        );
        return;
      }
      const acsDefault = connector.acsUrls[0] ?? '';
      let checked: CheckedAuthnRequest;
      try {
        const raw = req.originalUrl.split('?')[1] ?? '';
        const octetString = raw
          .split('&')
          .filter((p) => /^(SAMLRequest|RelayState|SigAlg)=/.test(p))
          .join('&');
        const samlReq =
          binding === 'redirect'
            ? { query: params as Record<string, string>, octetString }
            : { body: params as Record<string, string> };
        try {
          await verifyAuthnRequest(idp, connector.sp, binding, samlReq);
        } catch (e) {
          const code =
            e instanceof Error && /XML|SCHEMA/i.test(e.message) ? 'ERR_EIDAS_SCHEMA' : 'ERR_EIDAS_SIGNATURE';
          throw new SamlStatusError(
            code,
            STATUS.requester,
            STATUS.requestDenied,
            'request signature or schema invalid',
          );
        }
        checked = checkAuthnRequest(xml, {
          expectedIssuer: connector.entityId,
          destination: ssoUrl,
          acsUrls: connector.acsUrls,
          defaultSpType: connector.defaultSpType,
          now: ctx.now(),
          clockSkewSeconds: o.clockSkewSeconds,
          maxAgeSeconds: o.requestMaxAgeSeconds,
          embeddedSignature: binding === 'post',
        });
        const fresh = await ctx.store.setIfAbsent(
          `req:${createHash('sha256').update(`${checked.issuer}\0${checked.id}`).digest('base64url')}`,
          1,
          o.requestMaxAgeSeconds + 2 * o.clockSkewSeconds,
        );
        if (!fresh)
          throw new SamlStatusError(
            'ERR_EIDAS_REPLAY',
            STATUS.requester,
            STATUS.requestDenied,
            'request ID already used',
          );
        const minimum = canonicalLoaFor(checked.minimumLoa, connector.notifiedLoa);
        const exactOk =
          checked.comparison === 'minimum' || checked.minimumLoa.notified === connector.notifiedLoa;
        if (!minimum || !exactOk)
          throw new SamlStatusError(
            'ERR_EIDAS_LOA_UNAVAILABLE',
            STATUS.responder,
            STATUS.noAuthnContext,
            'the requested level of assurance cannot be asserted',
          );
        const login = await hub.begin(connector.clientId, minimum);
        const pending: Pending = {
          connector: connector.entityId,
          request: checked,
          acsUrl: acsDefault,
          ...(relayState !== undefined && { relayState }),
          login,
        };
        await ctx.store.set(`pending:${login.state}`, pending, 900);
        res.cookie(STATE_COOKIE, login.state, {
          httpOnly: true,
          sameSite: 'lax',
          secure: ctx.baseUrl.startsWith('https:'),
          path: new URL(ctx.baseUrl).pathname,
          maxAge: 900_000,
        });
        res.redirect(303, login.url);
      } catch (e) {
        const err =
          e instanceof SamlStatusError
            ? e
            : new SamlStatusError('ERR_EIDAS_INTERNAL', STATUS.responder, undefined, 'internal error');
        if (!(e instanceof SamlStatusError))
          ctx.log.error({ err: { name: (e as Error)?.name } }, 'eIDAS SSO failed');
        await ctx.audit({
          type: 'login.refused',
          client: connector.clientId,
          reason: err.code,
          detail: { protocol: 'saml' },
        });
        // An unverified request gets no InResponseTo; the ACS is always the one from metadata.
        const verified = err.code !== 'ERR_EIDAS_SIGNATURE' && err.code !== 'ERR_EIDAS_SCHEMA';
        const id = verified ? /\bID="([A-Za-z_][\w.-]*)"/.exec(xml)?.[1] : undefined;
        sendError(res, acsDefault, err, id, relayState);
      }
    }

    const router = express.Router();
    router.get('/metadata', (_req, res) => {
      res.type('application/samlmetadata+xml').send(metadataXml());
    });
    router.get('/sso', (req, res) => sso(req, res, 'redirect'));
    router.post('/sso', express.urlencoded({ extended: false, limit: 256 * 1024 }), (req, res) =>
      sso(req, res, 'post'),
    );
    router.get('/callback', async (req, res) => {
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      const cookieState = /(?:^|;\s*)kk_eidas_state=([^;]+)/.exec(req.get('cookie') ?? '')?.[1];
      const pending =
        state && cookieState === state ? await ctx.store.take<Pending>(`pending:${state}`) : undefined;
      res.clearCookie(STATE_COOKIE, { path: new URL(ctx.baseUrl).pathname });
      const connector = pending ? connectors.get(pending.connector) : undefined;
      if (!pending || !connector) {
        refusePage(res, 'ERR_EIDAS_STATE', 'no pending eIDAS request for this browser');
        return;
      }
      const fail = (e: SamlStatusError) =>
        sendError(res, pending.acsUrl, e, pending.request.id, pending.relayState);
      try {
        const result = await hub.complete(
          connector.clientId,
          new URL(req.originalUrl, ctx.issuer),
          pending.login,
        );
        const asserted = { level: result.loa, notified: connector.notifiedLoa };
        // Never a downgrade: a level below the request is a refusal.
        if (!eidasLoaSatisfies(asserted, pending.request.minimumLoa))
          throw new SamlStatusError(
            'ERR_EIDAS_LOA_NOT_MET',
            STATUS.responder,
            STATUS.noAuthnContext,
            'level of assurance not met',
          );
        const personIdentifier = /^[A-Z]{2}\/[A-Z]{2}\//.test(result.sub)
          ? result.sub
          : `${o.country}/${connector.country}/${result.sub}`;
        const values = attributeValues(personIdentifier, result.claims);
        const missing = missingRequired(pending.request.requested, values);
        if (missing.length)
          throw new SamlStatusError(
            'ERR_EIDAS_ATTRIBUTE_MISSING',
            STATUS.responder,
            STATUS.requestDenied,
            'a mandatory attribute is not available',
          );
        const xml = await buildSuccessResponse(idp, connector.sp, {
          idpEntityId: entityId,
          spEntityId: connector.entityId,
          acsUrl: pending.acsUrl,
          inResponseTo: pending.request.id,
          nameId: personIdentifier,
          nameIdFormat: pending.request.nameIdFormat ?? NAMEID_FORMAT.unspecified,
          loaUri: eidasLoaUri(asserted),
          now: ctx.now(),
          authTime: result.authTime,
          lifetimeSeconds: o.assertionLifetimeSeconds,
          attributeStatement: attributeStatementXml(pending.request.requested, values),
        });
        await ctx.audit({
          type: 'token.issued',
          client: connector.clientId,
          detail: { protocol: 'saml', kind: 'eidas-assertion' },
        });
        res.type('html').send(renderPostForm(pending.acsUrl, xml, pending.relayState));
      } catch (e) {
        if (e instanceof SamlStatusError) return fail(e);
        if (e instanceof HubError) return fail(hubFailureStatus('ERR_EIDAS_HUB_', e.oauthError));
        ctx.log.error({ err: { name: (e as Error)?.name } }, 'eIDAS response failed');
        return fail(new SamlStatusError('ERR_EIDAS_INTERNAL', STATUS.responder, undefined, 'internal error'));
      }
    });

    return {
      router,
      clients: [...clientCountry.entries()].map(([clientId, cc]) =>
        internalClientMetadata({
          clientId,
          name: `eIDAS (${cc})`,
          callbackUrl,
          publicJwk: key.publicJwk,
          sector: `urn:kakehashi:eidas:${ctx.instanceId}:${cc}`,
          allowedClaims: [
            'family_name',
            'given_name',
            'family_name#ja-Latn-JP',
            'given_name#ja-Latn-JP',
            'birthdate',
            'gender',
            'address',
          ],
        }),
      ),
      // PersonIdentifier JP/<CC>/<pairwise>: the hub's pairwise sub for the per-country client, never the source id.
      formatSubject(pairwiseSub, clientId) {
        const cc = clientCountry.get(clientId);
        return cc ? `${o.country}/${cc}/${pairwiseSub}` : pairwiseSub;
      },
    };
  },
});
