/** eIDAS / SAML 2.0 adapters. */

export { samlTarget } from './saml-target.js';
export { eidasSource } from './source.js';
export { eidasTarget } from './target.js';
