/** The profiles the upstream source knows, by option name. */
import type { Loa } from '../../../src/core/loa.js';
import { digitalAgencyProfile } from './digital-agency.js';
import { genericProfile } from './generic.js';
import { singpassProfile } from './singpass.js';
import type { UpstreamProfile } from './types.js';

export function profileFor(
  name: 'generic' | 'singpass' | 'digital-agency',
  acrMap: Readonly<Record<string, Loa>>,
): UpstreamProfile {
  if (name === 'singpass') return singpassProfile;
  if (name === 'digital-agency') return digitalAgencyProfile;
  return genericProfile(acrMap);
}
