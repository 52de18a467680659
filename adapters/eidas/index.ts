/** eIDAS / SAML 2.0 adapters. */
export { eidasTarget } from './target.js';
