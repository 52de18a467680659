/**
 * The JPKI peers of the card-login tests and how a user logs in with a card: a fresh test PKI with its
 * revocation server (OCSP, CRLs, the platform operator's status API), cards issued to test holders, the
 * `jpki` source config trusting that PKI, and the steps of a login — the browser opens the waiting page,
 * the card client (the user's phone or PC app) answers the challenge with a virtual My Number Card, the
 * browser finishes.
 */
import { expect } from 'vitest';
import { respondToChallenge, VirtualMyNumberCard } from '../../adapters/jpki/card/index.js';
import {
  type CardHolder,
  createTestPki,
  type IssuedCard,
  issueCard,
  type RevocationServer,
  startRevocationServer,
  type TestPki,
} from '../../adapters/jpki/pki/index.js';
import type { Page, TestBrowser } from './browser.js';
import { jpkiSource, revocationUrls } from './jpki-source.js';

export { revocationUrls };

export interface JpkiPeers {
  readonly pki: TestPki;
  readonly revocation: RevocationServer;
  /** One card per holder, in order, linked at the platform operator; none revoked. */
  readonly cards: IssuedCard[];
  /** The `jpki` source (OCSP revocation checks, the platform's linkage API) trusting this PKI. */
  readonly source: object;
}

/** A fresh PKI and its revocation server, and a card for each holder. */
export async function startJpki(holders: readonly CardHolder[]): Promise<JpkiPeers> {
  const pki = await createTestPki();
  const revocation = await startRevocationServer(pki);
  const cards: IssuedCard[] = [];
  try {
    for (const holder of holders) {
      const card = await issueCard(pki, holder, revocationUrls(revocation));
      revocation.linkCertificates({ auth: card.auth.certificate, sign: card.sign.certificate });
      cards.push(card);
    }
  } catch (e) {
    await revocation.close();
    throw e;
  }
  return { pki, revocation, cards, source: jpkiSource(pki, revocation) };
}

/**
 * The browser opens the authorization URL and picks the card at the login page; returns the URL of the
 * challenge the waiting page shows the card client.
 */
export async function openJpkiChallenge(
  browser: TestBrowser,
  authUrl: string,
  atRp: (url: string) => boolean,
): Promise<string> {
  const login = await browser.follow(authUrl, atRp);
  expect(login.body).toContain('data-source="jpki"');
  const waiting = await browser.submit(login, '/source/jpki', {}, atRp);
  const challengeUrl = /id="jpki-challenge-url">([^<]+)</.exec(waiting.body)?.[1]?.replace(/&amp;/g, '&');
  expect(challengeUrl).toMatch(/\/a\/jpki\/challenge\//);
  return challengeUrl!;
}

/** The card client answers the challenge with a virtual card and the holder's PINs; with the card's APDUs. */
export async function answerWithCard(challengeUrl: string, issued: IssuedCard) {
  const card = new VirtualMyNumberCard(issued);
  const answer = await respondToChallenge(challengeUrl, card, {
    authPin: issued.authPin,
    signPin: issued.signPin,
  });
  return { answer, apdus: card.apduLog };
}

/** The browser leaves the waiting page for the login's end, approving consent if asked. */
export async function finishJpkiLogin(
  browser: TestBrowser,
  challengeUrl: string,
  atRp: (url: string) => boolean,
): Promise<Page> {
  const page = await browser.follow(challengeUrl.replace('/challenge/', '/finish/'), atRp);
  return page.body.includes('id="consent"')
    ? browser.submit(page, '#consent', { decision: 'approve' }, atRp)
    : page;
}
