/**
 * eIDAS connector-side SAML SP source: an EU citizen authenticates at their eIDAS node and reaches a Japanese
 * relying party through the hub. Routes under /a/<name>: GET /metadata (our signed SP metadata),
 * POST /acs (the node's Response, HTTP-POST binding), GET /finish/:id (hands the identity to the hub).
 *
 * Why /finish: the browser POSTs the Response to /acs from the node's site, and a cross-site POST does not
 * carry our SameSite=Lax interaction cookie. /acs therefore verifies the Response without the cookie, seals the
 * outcome under a random one-time id, and answers 303 to /finish/<id>: a top-level GET navigation, which
 * carries Lax cookies, so /finish runs in the browser's interaction and calls finish (or fail). /finish also
 * checks that the Response answered a request made for *this* interaction (login CSRF / session swapping).
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { defineSourceAdapter } from '../../src/core/adapter.js';
import { GatewayError, type OauthErrorCode, toGatewayError } from '../../src/core/errors.js';
import { type CanonicalIdentity, parseCanonicalIdentity } from '../../src/core/identity.js';
import { type Loa, loaRank } from '../../src/core/loa.js';
import { eidasLoaSatisfies, eidasLoaUri, parseEidasLoa } from './eidas-loa.js';
import { inlineOrFile, loadKeyPair } from './material.js';
import { type NodeMetadata, parseNodeMetadata } from './node-metadata.js';
import { renderPostForm } from './post-form.js';
import { newSamlId } from './response.js';
import { type EidasSourceOptions, eidasSourceOptionsSchema } from './source-options.js';
import { consumeSamlResponse, type PendingAuthn, pendingKey } from './sp-consume.js';
import { identityFromAssertion } from './sp-identity.js';
import { buildSpMetadata } from './sp-metadata.js';
import { authnRequestXml, redirectUrl, requestedFor, signedPostRequest } from './sp-request.js';
import { MAX_RESPONSE_BYTES, samlError } from './sp-response.js';

export { type EidasSourceOptions, eidasSourceOptionsSchema } from './source-options.js';

const FINISH_NS = 'eidas-finish';
const FINISH_TTL = 120;
const METADATA_REFRESH_MS = 3_600_000;

/** Sealed outcome of /acs, picked up once by /finish. */
interface Outcome {
  readonly uid?: string;
  readonly identity?: CanonicalIdentity;
  readonly error?: { code: string; message: string; oauth: OauthErrorCode };
}

export const eidasSource = defineSourceAdapter<EidasSourceOptions>({
  kind: 'source',
  id: 'eidas-node',
  options: eidasSourceOptionsSchema,
  async create(o, ctx) {
    const entityId = o.entityId ?? `${ctx.baseUrl}/metadata`;
    const acsUrl = `${ctx.baseUrl}/acs`;
    const signing = loadKeyPair(o.signing, 'signing');
    const encryption = o.encryption ? loadKeyPair(o.encryption, 'encryption') : signing;
    const metadataCert = o.node.metadataSigningCert
      ? inlineOrFile(o.node.metadataSigningCert, 'node.metadataSigningCert')
      : undefined;
    if (o.node.metadataUrl && !metadataCert && !ctx.devMode)
      throw new GatewayError(
        'ERR_EIDAS_CONFIG',
        'node.metadataUrl needs node.metadataSigningCert outside dev mode',
        { oauth: 'server_error', status: 500 },
      );
    const inlineMetadata = o.node.metadata ? inlineOrFile(o.node.metadata, 'node.metadata') : undefined;
    // Pseudonym key for PersonIdentifier: derived from a persisted adapter key, so stable across restarts.
    const pseudonymKey = Buffer.from(
      String((await ctx.keys.keyPair('eidas-pseudonym', 'ES256')).privateJwk.d),
      'base64url',
    );

    let cached: { meta: NodeMetadata; at: number } | undefined;
    async function node(): Promise<NodeMetadata> {
      const now = ctx.now();
      if (cached && now - cached.at < METADATA_REFRESH_MS && (cached.meta.validUntil ?? Infinity) > now)
        return cached.meta;
      let xml = inlineMetadata;
      if (!xml && o.node.metadataUrl) {
        const res = await ctx
          .fetch(o.node.metadataUrl, { signal: AbortSignal.timeout(10_000) })
          .catch((e: unknown) => {
            throw new GatewayError('ERR_EIDAS_NODE_METADATA', 'node metadata cannot be fetched', {
              oauth: 'temporarily_unavailable',
              status: 502,
              cause: e,
            });
          });
        if (!res.ok)
          throw new GatewayError('ERR_EIDAS_NODE_METADATA', `node metadata fetch: HTTP ${res.status}`, {
            oauth: 'temporarily_unavailable',
            status: 502,
          });
        xml = await res.text();
      }
      const meta = parseNodeMetadata(xml ?? '', {
        ...(metadataCert && { signingCertPem: metadataCert }),
        ...(o.node.entityId && { expectedEntityId: o.node.entityId }),
        now,
      });
      cached = { meta, at: now };
      return meta;
    }

    const metadataXml = () =>
      buildSpMetadata({
        entityId,
        acsUrl,
        spType: o.spType,
        signing,
        encryptionCertPem: encryption.certPem,
        signatureAlgorithm: o.signatureAlgorithm,
        now: ctx.now(),
        validitySeconds: 86_400,
      });

    async function acs(req: Request, res: Response) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      let outcome: Outcome;
      try {
        const encoded = typeof body.SAMLResponse === 'string' ? body.SAMLResponse : '';
        if (!encoded || encoded.length > (MAX_RESPONSE_BYTES * 4) / 3 + 4)
          throw samlError('ERR_SAML_BAD_REQUEST', 'missing or oversized SAMLResponse');
        const xml = Buffer.from(encoded, 'base64').toString('utf8');
        const meta = await node();
        const { pending, assertion } = await consumeSamlResponse(
          xml,
          {
            spEntityId: entityId,
            acsUrl,
            node: meta,
            decryptionKeyPem: encryption.keyPem,
            wantEncrypted: o.wantEncryptedAssertions,
            now: ctx.now(),
            clockSkewSeconds: o.clockSkewSeconds,
            maxAgeSeconds: o.requestTtlSeconds,
          },
          ctx.store,
        );
        const asserted = parseEidasLoa(assertion.loaUri);
        const requested = parseEidasLoa(pending.loaUri);
        if (!asserted || !requested) throw samlError('ERR_EIDAS_LOA_UNKNOWN', 'unknown LoA in the assertion');
        if (!asserted.notified && o.notNotifiedLoa === 'refuse')
          throw samlError('ERR_EIDAS_LOA_NOT_NOTIFIED', 'a NotNotified LoA is not accepted');
        if (!eidasLoaSatisfies(asserted, requested))
          throw samlError(
            'ERR_EIDAS_LOA_NOT_MET',
            'the asserted LoA is below the request',
            'unmet_authentication_requirements',
          );
        const identity = parseCanonicalIdentity(
          identityFromAssertion(assertion, {
            instanceId: ctx.instanceId,
            nodeEntityId: meta.entityId,
            pseudonymKey,
            loa: asserted.level,
            now: Math.floor(ctx.now() / 1000),
          }),
        );
        outcome = { uid: pending.uid, identity };
      } catch (e) {
        const err = toGatewayError(e, 'ERR_EIDAS_INTERNAL');
        ctx.log.warn({ code: err.code }, 'eIDAS response refused');
        outcome = { error: { code: err.code, message: err.message, oauth: err.oauth } };
      }
      const id = Buffer.from(randomBytes(32)).toString('base64url');
      await ctx.sealed.put(FINISH_NS, `${ctx.instanceId}:${id}`, outcome, FINISH_TTL);
      res.set('cache-control', 'no-store').redirect(303, `${ctx.baseUrl}/finish/${id}`);
    }

    async function finish(req: Request, res: Response) {
      const id = String(req.params.id ?? '');
      const outcome = /^[A-Za-z0-9_-]{43}$/.test(id)
        ? await ctx.sealed.take<Outcome>(FINISH_NS, `${ctx.instanceId}:${id}`)
        : undefined;
      try {
        const current = await ctx.interactions.current(req, res);
        if (!outcome) throw samlError('ERR_EIDAS_STATE', 'unknown or used eIDAS result');
        if (outcome.error)
          throw new GatewayError(outcome.error.code, outcome.error.message, { oauth: outcome.error.oauth });
        if (!outcome.identity || outcome.uid !== current.uid)
          throw samlError('ERR_EIDAS_SESSION_MISMATCH', 'the eIDAS response belongs to another login');
        await ctx.interactions.finish(req, res, outcome.identity);
      } catch (e) {
        const err = toGatewayError(e, 'ERR_EIDAS_INTERNAL');
        await ctx.interactions.fail(req, res, err);
      }
    }

    const router = express.Router();
    router.get('/metadata', (_req, res) => {
      res.type('application/samlmetadata+xml').send(metadataXml());
    });
    router.post(
      '/acs',
      express.urlencoded({ extended: false, limit: Math.ceil((MAX_RESPONSE_BYTES * 4) / 3) + 4096 }),
      (req, res) => acs(req, res),
    );
    router.get('/finish/:id', (req, res) => finish(req, res));

    return {
      label: o.label ?? { ja: 'EU の eID（eIDAS）', en: 'EU eID (eIDAS)' },
      maxLoa: 'high',
      router,
      async begin(interaction, req, res) {
        try {
          const meta = await node();
          const wanted: Loa =
            interaction.requiredLoa && loaRank(interaction.requiredLoa) > loaRank(o.minimumLoa)
              ? interaction.requiredLoa
              : o.minimumLoa;
          const loaUri = eidasLoaUri({ level: wanted, notified: o.notNotifiedLoa === 'refuse' });
          const destination = o.binding === 'redirect' ? meta.ssoRedirect : meta.ssoPost;
          if (!destination)
            throw new GatewayError('ERR_EIDAS_NODE_METADATA', `the node has no ${o.binding} SSO endpoint`, {
              oauth: 'server_error',
              status: 502,
            });
          const id = newSamlId();
          const xml = authnRequestXml({
            id,
            spEntityId: entityId,
            acsUrl,
            destination,
            spType: o.spType,
            loaUri,
            requested: requestedFor(interaction.requestedAttributes),
            now: ctx.now(),
          });
          const pending: PendingAuthn = { uid: interaction.uid, loaUri, sentAt: ctx.now() };
          await ctx.store.set(pendingKey(id), pending, o.requestTtlSeconds);
          res.set('cache-control', 'no-store');
          if (o.binding === 'redirect')
            res.redirect(303, redirectUrl(xml, destination, signing, o.signatureAlgorithm));
          else
            res
              .type('html')
              .send(
                renderPostForm(
                  destination,
                  signedPostRequest(xml, signing, o.signatureAlgorithm),
                  undefined,
                  'SAMLRequest',
                ),
              );
        } catch (e) {
          const err = toGatewayError(e, 'ERR_EIDAS_INTERNAL');
          ctx.log.warn({ code: err.code }, 'eIDAS request failed');
          await ctx.interactions.fail(req, res, err);
        }
      },
    };
  },
});
