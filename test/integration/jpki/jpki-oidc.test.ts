/**
 * End to end with a real RP library: openid-client logs in through the gateway
 * with a virtual My Number Card answering the JPKI challenge over HTTP, against
 * a real OCSP responder. Authentication certificate only (pseudonymous), the
 * basic four attributes (claims + verified_claims, acr high), and a revoked card.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IssuedCard, TEST_HOLDERS } from '../../../adapters/jpki/pki/index.js';
import { TestBrowser } from '../../helpers/browser.js';
import { codeFlow } from '../../helpers/code-flow.js';
import { bootGateway, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import {
  answerWithCard,
  finishJpkiLogin,
  type JpkiPeers,
  openJpkiChallenge,
  startJpki,
} from '../../helpers/jpki.js';
import { discover } from '../../helpers/rp.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const HIGH = 'urn:kakehashi:loa:high';
let gw: TestGateway;
let jpki: JpkiPeers;
let card: IssuedCard;
let revokedCard: IssuedCard;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;

beforeAll(async () => {
  jpki = await startJpki([TEST_HOLDERS[0]!, TEST_HOLDERS[1]!]);
  [card, revokedCard] = jpki.cards as [IssuedCard, IssuedCard];
  jpki.revocation.revoke(revokedCard.auth.certificate);
  rp = await privateKeyJwtClient('rp-jpki', REDIRECT);
  gw = await bootGateway({ clients: [rp.config], config: { sources: [jpki.source] } });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await jpki?.revocation.close();
});

/** The user picks the card, the card client answers the challenge, the browser finishes and consents. */
async function cardLogin(params: Record<string, string>, theCard: IssuedCard) {
  const flow = await codeFlow(await discover(gw.issuer, rp), REDIRECT, params, { nonce: true });
  const browser = new TestBrowser();
  const atRp = (u: string) => u.startsWith(REDIRECT);
  const challengeUrl = await openJpkiChallenge(browser, flow.url.href, atRp);
  const { answer, apdus } = await answerWithCard(challengeUrl, theCard);
  const page = await finishJpkiLogin(browser, challengeUrl, atRp);
  expect(page.url.startsWith(REDIRECT)).toBe(true);
  return { flow, callbackUrl: new URL(page.url), answer, apdus };
}

describe('JPKI login through the OIDC hub', () => {
  it('authenticates with the authentication certificate only: pseudonymous, acr high, no personal claims', async () => {
    const r = await cardLogin({ scope: 'openid', acr_values: HIGH }, card);
    expect(r.answer.status).toBe(200);
    const { claims, info } = await r.flow.redeem(r.callbackUrl);
    expect(claims.acr).toBe(HIGH);
    expect(claims.amr).toEqual(['hwk', 'pin', 'sc']);
    expect(Object.keys(info)).toEqual(['sub']);
    // Only the authentication key was used: no signing PIN, no signing certificate read.
    expect(r.apdus.some((a) => a.command.startsWith('00A4020C02001B'))).toBe(false);
    // And never the card-input-helper application that can output the Individual Number.
    expect(r.apdus.some((a) => a.command.toUpperCase().includes('D3921000310001010408'))).toBe(false);
  });

  it('releases the basic four attributes as verified_claims after consent', async () => {
    const r = await cardLogin(
      {
        scope: 'openid profile address',
        acr_values: HIGH,
        claims: JSON.stringify({
          userinfo: {
            verified_claims: {
              verification: { trust_framework: null },
              claims: { family_name: null, given_name: null, birthdate: null, address: null, gender: null },
            },
          },
        }),
      },
      card,
    );
    const { claims, info } = await r.flow.redeem(r.callbackUrl);
    expect(claims.acr).toBe(HIGH);
    const holder = TEST_HOLDERS[0]!;
    expect(info.family_name).toBe(holder.familyName);
    expect(info.given_name).toBe(holder.givenName);
    expect(info.birthdate).toBe(holder.birthDate);
    expect((info.address as { formatted: string }).formatted).toBe(holder.address);
    const vc = info.verified_claims as {
      verification: { trust_framework: string; evidence: { record: { type: string } }[] };
      claims: Record<string, unknown>;
    };
    expect(vc.verification.trust_framework).toBe('jp_jpki');
    expect(vc.verification.evidence[0]!.record.type).toBe('jp_individual_number_card');
    expect(vc.claims.family_name).toBe(holder.familyName);
    // The signing key was used this time, and still never the card-input-helper AP.
    expect(r.apdus.some((a) => a.command.startsWith('00A4020C02001B'))).toBe(true);
    expect(r.apdus.some((a) => a.command.toUpperCase().includes('D3921000310001010408'))).toBe(false);
  });

  it('refuses a revoked card: the RP gets access_denied and the audit log records the reason', async () => {
    const r = await cardLogin({ scope: 'openid', acr_values: HIGH }, revokedCard);
    expect(r.answer.status).toBe(400);
    expect((r.answer.body as { error_description?: string }).error_description).toBeDefined();
    expect(r.callbackUrl.searchParams.get('error')).toBe('access_denied');
    const audit = await gw.gateway.store.readAudit(0);
    const refusals = audit
      .map((a) => JSON.parse(a.body) as { type: string; reason?: string })
      .filter((e) => e.type === 'login.refused');
    expect(refusals.some((e) => e.reason === 'ERR_JPKI_REVOKED')).toBe(true);
  });
});
