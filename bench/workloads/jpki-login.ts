/**
 * One full OpenID Connect login with a virtual My Number Card: the RP's code flow
 * (oidc-login.ts) where the user, instead of submitting forms, lets a card
 * client answer the JPKI challenge shown on the waiting page (GET challenge,
 * VERIFY PIN, COMPUTE DIGITAL SIGNATURE over the challenge on the virtual card,
 * POST certificates and signatures), then the browser goes on to /finish and
 * the consent page. The card's RSA signatures run in the load worker, not in
 * the server under test.
 */
import 'reflect-metadata';
import { respondToChallenge, VirtualMyNumberCard } from '../../adapters/jpki/card/index.js';
import { type IssuedCard, loadCard } from '../../adapters/jpki/pki/index.js';
import type { UserAgent } from '../http-client.js';
import { type OidcLoginSpec, oidcLoginWorkload } from './oidc-login.js';

export interface JpkiLoginSpec extends Omit<OidcLoginSpec, 'kind'> {
  kind: 'jpki-login';
  /** Directories of saved virtual cards (saveCard), used round robin. */
  cardDirs: string[];
}

const CHALLENGE_URL = /id="jpki-challenge-url">([^<]+)</;

/** Follow redirects from `url` to the first page, which must be the JPKI waiting page. */
async function challengeUrlFrom(ua: UserAgent, url: string): Promise<string> {
  let res = await ua.request(url);
  for (let i = 0; i < 10 && res.location; i++) res = await ua.request(res.location);
  const found = CHALLENGE_URL.exec(res.body)?.[1]?.replace(/&amp;/g, '&');
  if (!found) throw new Error(`no JPKI challenge on ${res.url} (HTTP ${res.status})`);
  return found;
}

export async function jpkiLoginWorkload(spec: JpkiLoginSpec): Promise<() => Promise<void>> {
  const cards: IssuedCard[] = await Promise.all(spec.cardDirs.map((d) => loadCard(d)));
  let next = 0;
  return oidcLoginWorkload(spec, async (ua, authorizationUrl, redirectUri) => {
    const card = cards[next++ % cards.length] as IssuedCard;
    const challengeUrl = await challengeUrlFrom(ua, authorizationUrl);
    const answer = await respondToChallenge(challengeUrl, new VirtualMyNumberCard(card), {
      authPin: card.authPin,
      signPin: card.signPin,
    });
    if (answer.status !== 200) throw new Error(`card response refused: HTTP ${answer.status}`);
    return ua.browseTo(challengeUrl.replace('/challenge/', '/finish/'), redirectUri);
  });
}
