/**
 * Decrypting the single EncryptedAssertion of a Response (XML-Enc 1.1: AES-GCM/CBC data, RSA-OAEP-MGF1P key
 * transport) with xml-encryption (@authenio/xml-encryption 2.0.x, the library samlify's own decryptAssertion
 * uses; its RSA-OAEP and AES are node:crypto). It is called directly with the input samlify hands it: the
 * EncryptedAssertion element as a standalone document that declares the namespaces it inherits. samlify
 * serialises it with xmldom; here it comes from the libxml2 parse the caller already made of the (signed,
 * canonical) Response, as exclusive C14N, so the Response is not parsed once more for this. What is skipped of
 * samlify's call is its wrapping: re-parsing the plaintext, splicing it into the Response and serialising the
 * whole Response again, which the caller never reads. The private key is parsed once (KeyObject), not from
 * PEM on every response. */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { NS } from './constants.js';
import { type DocView, withDoc } from './xml.js';

interface XmlEnc {
  decrypt(
    xml: string,
    options: { key: KeyObject },
    callback: (err: Error | null, result?: string) => void,
  ): void;
}
const xmlenc = createRequire(import.meta.url)('@authenio/xml-encryption') as XmlEnc;

const keys = new Map<string, KeyObject>();
function keyOf(keyPem: string): KeyObject {
  let key = keys.get(keyPem);
  if (!key) {
    key = createPrivateKey(keyPem);
    if (keys.size >= 16) keys.clear();
    keys.set(keyPem, key);
  }
  return key;
}

/**
 * The plaintext of `/Response/EncryptedAssertion` (exactly one, else an error). Throws when the key or the
 * ciphertext does not decrypt.
 */
export function decryptResponseAssertion(responseXml: string, keyPem: string): Promise<string> {
  let encrypted: string;
  try {
    encrypted = withDoc(responseXml, (d) => encryptedAssertionOf(d));
  } catch (e) {
    return Promise.reject(e);
  }
  return decryptEncryptedAssertion(encrypted, keyPem);
}

/**
 * The single `/samlp:Response/saml:EncryptedAssertion` of a parsed Response, as a standalone document
 * (exclusive C14N, so it declares the namespaces it inherits, as xmldom's serialisation did). Throws unless
 * there is exactly one.
 */
export function encryptedAssertionOf(d: DocView): string {
  const root = d.root;
  const encrypted =
    root.name === 'Response' && root.namespaceUri === NS.samlp
      ? d.all('/samlp:Response/saml:EncryptedAssertion')
      : [];
  const element = encrypted[0];
  if (encrypted.length !== 1 || !element)
    throw new Error('not exactly one EncryptedAssertion in the Response');
  return d.standalone(element);
}

/** Decrypt one EncryptedAssertion element given as a standalone document (`encryptedAssertionOf`). */
export function decryptEncryptedAssertion(encryptedAssertionXml: string, keyPem: string): Promise<string> {
  let key: KeyObject;
  try {
    key = keyOf(keyPem);
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) =>
    xmlenc.decrypt(encryptedAssertionXml, { key }, (err, result) =>
      err || !result ? reject(err ?? new Error('empty decryption result')) : resolve(result),
    ),
  );
}
