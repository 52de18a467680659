/**
 * Workload catalogue: what the load generator can drive. A spec is plain data
 * (it crosses into the load worker thread); its factory builds one-iteration
 * functions. Later benches (JPKI verification, SAML) add a kind here.
 */
import { type OidcLoginSpec, oidcLoginWorkload } from './oidc-login.js';

export type WorkloadSpec = OidcLoginSpec;

export async function createWorkload(spec: WorkloadSpec): Promise<() => Promise<void>> {
  switch (spec.kind) {
    case 'oidc-login':
      return oidcLoginWorkload(spec);
  }
}
