/**
 * End to end with a real RP library: openid-client logs in through the gateway
 * with a virtual My Number Card answering the JPKI challenge over HTTP, against
 * a real OCSP responder. Authentication certificate only (pseudonymous), the
 * basic four attributes (claims + verified_claims, acr high), and a revoked card.
 */
import 'reflect-metadata';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { respondToChallenge, VirtualMyNumberCard } from '../../../adapters/jpki/card/index.js';
import {
  createTestPki,
  type IssuedCard,
  issueCard,
  type RevocationServer,
  startRevocationServer,
  TEST_HOLDERS,
} from '../../../adapters/jpki/pki/index.js';
import { TestBrowser } from '../../helpers/browser.js';
import { bootGateway, privateKeyJwtClient, type TestGateway } from '../../helpers/gateway.js';
import { discover } from '../../helpers/rp.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const HIGH = 'urn:kakehashi:loa:high';
let gw: TestGateway;
let revocation: RevocationServer;
let card: IssuedCard;
let revokedCard: IssuedCard;
let rp: Awaited<ReturnType<typeof privateKeyJwtClient>>;

beforeAll(async () => {
  const pki = await createTestPki();
  revocation = await startRevocationServer(pki);
  const urls = {
    ocspUrl: { auth: revocation.ocspUrl('auth'), sign: revocation.ocspUrl('sign') },
    crlUrl: { auth: revocation.crlUrl('auth'), sign: revocation.crlUrl('sign') },
  };
  card = await issueCard(pki, TEST_HOLDERS[0]!, urls);
  revokedCard = await issueCard(pki, TEST_HOLDERS[1]!, urls);
  for (const c of [card, revokedCard])
    revocation.linkCertificates({ auth: c.auth.certificate, sign: c.sign.certificate });
  revocation.revoke(revokedCard.auth.certificate);
  rp = await privateKeyJwtClient('rp-jpki', REDIRECT);
  gw = await bootGateway({
    clients: [rp.config],
    config: {
      sources: [
        {
          adapter: 'jpki',
          name: 'jpki',
          options: {
            authAnchors: pki.authCaGenerations.map((g) => g.certificate.toString('pem')),
            signAnchors: pki.signCaGenerations.map((g) => g.certificate.toString('pem')),
            policies: { sign: ['1.2.392.200149.8.5.1.0.20'] },
            revocation: { kind: 'ocsp' },
            linkage: { url: revocation.platformStatusUrl },
          },
        },
      ],
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await revocation?.close();
});

/** The user picks the card, the card client answers the challenge, the browser finishes and consents. */
async function cardLogin(params: Record<string, string>, theCard: IssuedCard) {
  const c = await discover(gw.issuer, rp);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(c, {
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  const browser = new TestBrowser();
  const atRp = (u: string) => u.startsWith(REDIRECT);
  const login = await browser.follow(url.href, atRp);
  expect(login.body).toContain('data-source="jpki"');
  const waiting = await browser.submit(login, '/source/jpki', {}, atRp);
  const challengeUrl = /id="jpki-challenge-url">([^<]+)</.exec(waiting.body)?.[1]?.replace(/&amp;/g, '&');
  expect(challengeUrl).toMatch(/\/a\/jpki\/challenge\//);
  const card = new VirtualMyNumberCard(theCard);
  const answer = await respondToChallenge(challengeUrl!, card, {
    authPin: theCard.authPin,
    signPin: theCard.signPin,
  });
  let page = await browser.follow(challengeUrl!.replace('/challenge/', '/finish/'), atRp);
  if (page.body.includes('id="consent"'))
    page = await browser.submit(page, '#consent', { decision: 'approve' }, atRp);
  expect(page.url.startsWith(REDIRECT)).toBe(true);
  return { c, callbackUrl: new URL(page.url), verifier, state, nonce, answer, apdus: card.apduLog };
}

describe('JPKI login through the OIDC hub', () => {
  it('authenticates with the authentication certificate only: pseudonymous, acr high, no personal claims', async () => {
    const r = await cardLogin({ scope: 'openid', acr_values: HIGH }, card);
    expect(r.answer.status).toBe(200);
    const tokens = await oidc.authorizationCodeGrant(r.c, r.callbackUrl, {
      pkceCodeVerifier: r.verifier,
      expectedState: r.state,
      expectedNonce: r.nonce,
    });
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(HIGH);
    expect(claims.amr).toEqual(['hwk', 'pin', 'sc']);
    const info = await oidc.fetchUserInfo(r.c, tokens.access_token, claims.sub);
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
    const tokens = await oidc.authorizationCodeGrant(r.c, r.callbackUrl, {
      pkceCodeVerifier: r.verifier,
      expectedState: r.state,
      expectedNonce: r.nonce,
    });
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(HIGH);
    const info = await oidc.fetchUserInfo(r.c, tokens.access_token, claims.sub);
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
