/**
 * The connector-side Response tests (sp-response.test.ts, every forgery included) once more with the xml-crypto
 * backend of xml-signature.ts, the fallback used when the native libxmlsec1 binding is not built (ADR 0004).
 * sp-response.test.ts itself runs with the backend in use (libxmlsec1 whenever it is built; required in CI).
 */
import { setXmlSignatureBackend, xmlSignatureBackend } from '../../../adapters/eidas/xml-signature.js';

setXmlSignatureBackend('xml-crypto');
if (xmlSignatureBackend() !== 'xml-crypto') throw new Error('the xml-crypto backend was not selected');
await import('./sp-response.test.js');
