/**
 * Workload catalogue: what the load generator can drive. A spec is plain data
 * (it crosses into the load worker thread); its factory builds one-iteration
 * functions.
 */
import { type JpkiLoginSpec, jpkiLoginWorkload } from './jpki-login.js';
import { type OidcLoginSpec, oidcLoginWorkload } from './oidc-login.js';

export type WorkloadSpec = OidcLoginSpec | JpkiLoginSpec;

export async function createWorkload(spec: WorkloadSpec): Promise<() => Promise<void>> {
  switch (spec.kind) {
    case 'oidc-login':
      return oidcLoginWorkload(spec);
    case 'jpki-login':
      return jpkiLoginWorkload(spec);
  }
}
