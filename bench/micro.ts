/**
 * `npm run bench:micro`: single-core micro benchmarks (no HTTP), printed as ops/s.
 *   npm run bench:micro -- [--seconds 5] [--only <substring of a run name>]
 */
import { parseArgs } from 'node:util';
import { benchJpkiVerify, closeJpkiBench, type JpkiBenchOptions } from './micro/jpki-verify.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, only: { type: 'string' } },
});
const seconds = Number(values.seconds);
const runs: JpkiBenchOptions[] = [
  { withSigning: false, cards: 1, cache: 'returning' },
  { withSigning: true, cards: 1, cache: 'returning' },
  { withSigning: false, cards: 32, cache: 'returning' },
  { withSigning: false, cards: 32, cache: 'first-seen' },
  { withSigning: true, cards: 32, cache: 'returning' },
  { withSigning: true, cards: 32, cache: 'first-seen' },
];
try {
  for (const options of runs) {
    const label = `${options.withSigning ? 'auth+sign' : 'auth'}-${options.cards}card${options.cards === 1 ? '' : 's'}-${options.cache}`;
    if (values.only && !label.includes(values.only)) continue;
    const r = await benchJpkiVerify(seconds, options);
    const goal = r.goal ? ` (goal >= ${r.goal.min}/s: ${r.goal.met ? 'met' : 'MISSED'})` : '';
    console.log(`${r.name}: ${r.opsPerSecond.toFixed(0)} verifications/s over ${r.operations} runs${goal}`);
  }
} finally {
  await closeJpkiBench();
}
