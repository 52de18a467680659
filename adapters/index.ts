/**
 * The adapter catalogue: every adapter the gateway can instantiate from config,
 * statically imported (no module strings in config) so the set is auditable.
 */
import type { SourceAdapter, TargetAdapter } from '../src/core/adapter.js';
import { demoSource } from './demo/index.js';
import { eidasSource, eidasTarget, samlTarget } from './eidas/index.js';
import { eudiIssuerTarget, eudiWalletSource } from './eudi/index.js';
import { jpkiSource } from './jpki/index.js';
import { oidcUpstreamSource } from './oidc-upstream/index.js';
import { singpassTarget } from './singpass-target/index.js';

// biome-ignore lint/suspicious/noExplicitAny: options types differ per adapter; each validates its own.
type AnySource = SourceAdapter<any>;
// biome-ignore lint/suspicious/noExplicitAny: as above.
type AnyTarget = TargetAdapter<any>;

export const sourceCatalog: Readonly<Record<string, AnySource>> = {
  demo: demoSource,
  'eidas-node': eidasSource,
  jpki: jpkiSource,
  'oidc-upstream': oidcUpstreamSource,
  'eudi-wallet': eudiWalletSource,
};

export const targetCatalog: Readonly<Record<string, AnyTarget>> = {
  eidas: eidasTarget,
  'eudi-issuer': eudiIssuerTarget,
  saml: samlTarget,
  singpass: singpassTarget,
};
