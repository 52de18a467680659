/**
 * `npm run bench:micro`: single-core micro benchmarks (no HTTP), printed as ops/s.
 *   npm run bench:micro -- [--seconds 5] [--only <substring of a run name>]
 * Each group (one module under bench/micro/) runs its named cases and prints one line per case.
 */
import { parseArgs } from 'node:util';
import { eudiGroup } from './micro/eudi.js';
import { jpkiGroup } from './micro/jpki-verify.js';
import { samlGroup } from './micro/saml.js';

/** A group of micro benchmarks: runs the cases whose name passes `select`, prints one line each. */
export interface MicroGroup {
  name: string;
  run(seconds: number, select: (caseName: string) => boolean): Promise<void>;
}

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, only: { type: 'string' } },
});
const seconds = Number(values.seconds);
const select = (name: string) => !values.only || name.includes(values.only);

const groups: MicroGroup[] = [jpkiGroup, samlGroup, eudiGroup];
for (const group of groups) await group.run(seconds, select);
