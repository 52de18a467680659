/**
 * The JPKI source adapter: login with the My Number Card's user-authentication
 * certificate (and, when the relying party asks for the basic 4 attributes,
 * the signature certificate) through a challenge-response with a card client.
 * See docs/schemes/jpki.md and schemes.md §1.
 */
import { defineSourceAdapter, type SourceInstance } from '../../src/core/adapter.js';
import {
  type JpkiOptions,
  jpkiOptionsSchema,
  loadAnchors,
  loadCertificates,
  parseDistributionPointName,
} from './options.js';
import { createChallenge } from './source/challenge.js';
import { demoLinkage, demoPlayer, loadDemoCards } from './source/demo.js';
import { renderWaitingPage } from './source/page.js';
import { createJpkiRouter } from './source/router.js';
import { CrlChecker } from './verify/crl.js';
import type { JpkiVerifyDeps } from './verify/login.js';
import { OcspChecker } from './verify/ocsp.js';
import { PlatformLinkageService, PlatformStatusChecker, PlatformStatusClient } from './verify/platform.js';
import type { RevocationChecker } from './verify/revocation.js';
import { type LinkageService, noLinkage } from './verify/subject.js';

export * from './errors.js';
export { type JpkiOptions, type JpkiOptionsInput, jpkiOptionsSchema } from './options.js';
export * from './verify/index.js';

export const jpkiSource = defineSourceAdapter<JpkiOptions>({
  kind: 'source',
  id: 'jpki',
  options: jpkiOptionsSchema,
  async create(options, ctx): Promise<SourceInstance> {
    const authAnchors = await loadAnchors(options.authAnchors);
    const signAnchors = await loadAnchors(options.signAnchors);
    const http = { fetch: ctx.fetch, now: ctx.now, cacheMaxSeconds: options.cacheMaxSeconds };

    let revocation: RevocationChecker;
    let linkage: LinkageService = noLinkage;
    const rev = options.revocation;
    if (rev.kind === 'platform') {
      const client = new PlatformStatusClient({ ...http, url: rev.url });
      revocation = new PlatformStatusChecker(client);
      linkage = new PlatformLinkageService(client);
    } else if (rev.kind === 'ocsp') {
      revocation = new OcspChecker({
        ...http,
        url: rev.url,
        randomBytes: ctx.randomBytes,
        ...(rev.responderCertificates && {
          responderCertificates: await loadCertificates(
            rev.responderCertificates,
            'JPKI OCSP responder certificate',
          ),
        }),
      });
    } else {
      revocation = new CrlChecker({
        ...http,
        url: rev.url,
        ...(rev.partitions && {
          partitions: rev.partitions.map((p) => ({
            distributionPoint: parseDistributionPointName(p.distributionPoint),
            url: p.url,
          })),
        }),
      });
    }
    if (options.linkage)
      linkage = new PlatformLinkageService(new PlatformStatusClient({ ...http, url: options.linkage.url }));

    let playDemo: ((challengeUrl: string) => Promise<void>) | undefined;
    if (options.demo && ctx.devMode) {
      const cards = await loadDemoCards(options.demo.cardsDir);
      if (linkage === noLinkage) linkage = demoLinkage(cards);
      playDemo = demoPlayer(cards, ctx.fetch);
    } else if (options.demo) {
      ctx.log.warn('jpki demo cards ignored: not in dev mode');
    }

    const verify: JpkiVerifyDeps = {
      now: ctx.now,
      authAnchors,
      signAnchors,
      policies: options.policies,
      revocation,
      onUnreachable: options.onUnreachable,
      linkage,
      requireHolderLinkage: options.requireHolderLinkage,
      store: ctx.store,
      instanceId: ctx.instanceId,
    };
    const router = createJpkiRouter({
      ctx,
      verify,
      statusHoldMs: options.statusPoll.holdMs,
      statusRecheckMs: options.statusPoll.recheckMs,
      ...(playDemo ? { playDemo } : {}),
    });

    return {
      label: { ja: 'マイナンバーカード', en: 'My Number Card' },
      description: {
        ja: '公的個人認証サービス（JPKI）の電子証明書でログインします。',
        en: 'Sign in with the JPKI certificates on your My Number Card.',
      },
      maxLoa: 'high',
      router,
      async begin(interaction, _req, res) {
        const { id, record } = await createChallenge(ctx, interaction, options.challengeTtlSeconds);
        res
          .status(200)
          .set('cache-control', 'no-store')
          .type('html')
          .send(
            await renderWaitingPage({
              locale: interaction.locale,
              challengeUrl: `${ctx.baseUrl}/challenge/${id}`,
              statusUrl: `${ctx.baseUrl}/status/${id}`,
              finishUrl: `${ctx.baseUrl}/finish/${id}`,
              expiresAt: record.exp,
              signing: record.signing,
              ...(playDemo ? { demoPlayUrl: `${ctx.baseUrl}/demo/play/${id}` } : {}),
            }),
          );
      },
    };
  },
});
