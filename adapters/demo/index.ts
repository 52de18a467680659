/**
 * The demo source: accepts one fixed test identity, only in dev mode.
 * It exists to prove the adapter contract end to end without a card; it is
 * refused when NODE_ENV=production (`devOnly`) and never asserts more than
 * the level it is configured with.
 */
import express from 'express';
import { z } from 'zod';
import { defineSourceAdapter } from '../../src/core/adapter.js';
import { GatewayError } from '../../src/core/errors.js';
import { type CanonicalIdentity, parseCanonicalIdentity } from '../../src/core/identity.js';
import { loaSchema } from '../../src/core/loa.js';
import { renderDemoPage } from './page.js';

export const demoOptionsSchema = z
  .object({
    loa: loaSchema.default('low').describe('Level of assurance the demo identity claims.'),
    confirm: z
      .boolean()
      .default(true)
      .describe('Show a "sign in as the test user" page; false signs in as soon as the source is picked.'),
  })
  .strict()
  .prefault({});
export type DemoOptions = z.infer<typeof demoOptionsSchema>;

/** The fixed test identity (fictional). */
export const DEMO_PERSON = {
  familyName: [
    { value: '架橋', script: 'Jpan' },
    { value: 'カケハシ', script: 'Kana' },
    { value: 'Kakehashi', script: 'Latn' },
  ],
  givenName: [
    { value: '花子', script: 'Jpan' },
    { value: 'ハナコ', script: 'Kana' },
    { value: 'Hanako', script: 'Latn' },
  ],
  birthDate: '1990-04-01',
  gender: 'female',
  address: { formatted: '東京都千代田区霞が関一丁目1番1号', country: 'JP', script: 'Jpan' },
  nationality: ['JP'],
} as const;

export const demoSource = defineSourceAdapter<DemoOptions>({
  kind: 'source',
  id: 'demo',
  devOnly: true,
  options: demoOptionsSchema,
  create(options, ctx) {
    if (!ctx.devMode) {
      throw new GatewayError('ERR_DEV_ONLY', 'the demo source is available only in dev mode', {
        status: 500,
      });
    }
    const build = (now: number) =>
      parseCanonicalIdentity({
        subject: { id: 'demo-user-0001', issuer: ctx.instanceId },
        authentication: {
          source: ctx.instanceId,
          loa: options.loa,
          amr: ['pwd'],
          authTime: now,
          evidence: [{ type: 'demo', trustFramework: 'demo', verifiedAt: now }],
        },
        person: DEMO_PERSON,
        verified: ['familyName', 'givenName', 'birthDate', 'gender', 'address'],
        extensions: { 'demo:fixture': true },
      });
    // The identity is fixed but for its two timestamps: it is checked once here, and each login gets a copy with
    // the login's time (a non-negative whole number of seconds, which is all the schema asks of both fields).
    const template = JSON.stringify(build(0));
    const identity = () => {
      const now = Math.floor(ctx.now() / 1000);
      if (!Number.isSafeInteger(now) || now < 0) return build(now); // refused by the schema, with its message
      const copy = JSON.parse(template) as CanonicalIdentity;
      copy.authentication.authTime = now;
      for (const e of copy.authentication.evidence ?? []) e.verifiedAt = now;
      return copy;
    };
    const router = express.Router();
    router.post('/login', express.urlencoded({ extended: false, limit: 1024 }), async (req, res) => {
      const current = await ctx.interactions.current(req, res);
      if (req.body?.uid !== current.uid) {
        await ctx.interactions.fail(req, res, new GatewayError('ERR_DEMO_MISMATCH', 'stale demo form'));
        return;
      }
      await ctx.interactions.finish(req, res, identity());
    });
    return {
      label: { ja: 'テスト用の利用者（デモ）', en: 'Test user (demo)' },
      description: {
        ja: '開発用。固定のテスト用本人情報でログインします。',
        en: 'Development only: signs in as a fixed test identity.',
      },
      maxLoa: options.loa,
      router,
      async begin(interaction, req, res) {
        if (!options.confirm) return ctx.interactions.finish(req, res, identity());
        res.type('html').send(renderDemoPage(interaction, `${ctx.baseUrl}/login`));
      },
    };
  },
});
