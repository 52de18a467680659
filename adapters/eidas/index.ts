/** eIDAS / SAML 2.0 adapters. */
export { eidasSource } from './source.js';
export { eidasTarget } from './target.js';
