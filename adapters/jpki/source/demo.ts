/**
 * Dev-only demo: virtual My Number Cards from a directory (written by the PKI
 * tooling's `saveCard`), played server-side against a challenge URL, and the
 * linkage data a platform operator would know about them. The card and PKI
 * modules are imported lazily so production never loads them.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { IssuedCard } from '../pki/index.js';
import { SimulatedLinkageService } from '../verify/subject.js';

/** Cards in `cardsDir/<id>/card.json`, sorted by directory name. */
export async function loadDemoCards(cardsDir: string): Promise<IssuedCard[]> {
  const { loadCard } = await import('../pki/index.js');
  const entries = await readdir(cardsDir, { withFileTypes: true });
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const cards: IssuedCard[] = [];
  for (const dir of dirs) cards.push(await loadCard(join(cardsDir, dir)));
  return cards;
}

export function demoLinkage(cards: readonly IssuedCard[]): SimulatedLinkageService {
  const linkage = new SimulatedLinkageService();
  for (const card of cards) linkage.link({ auth: card.auth.certificate, sign: card.sign.certificate });
  return linkage;
}

/** Answer `challengeUrl` with the first demo card and its PINs, as the card client would. */
export function demoPlayer(
  cards: readonly IssuedCard[],
  fetchImpl: typeof fetch,
): (challengeUrl: string) => Promise<void> {
  return async (challengeUrl) => {
    const card = cards[0];
    if (!card) throw new Error('no demo card');
    const { VirtualMyNumberCard, respondToChallenge } = await import('../card/index.js');
    await respondToChallenge(
      challengeUrl,
      new VirtualMyNumberCard(card),
      { authPin: card.authPin, signPin: card.signPin },
      { fetch: fetchImpl },
    );
  };
}
