/** EUDI adapters: the OpenID4VCI credential issuer (target) and the OpenID4VP verifier (source). */
export { eudiIssuerTarget } from './issuer/target.js';
export { eudiWalletSource } from './verifier/source.js';
