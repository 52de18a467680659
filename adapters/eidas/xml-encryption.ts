/**
 * Decrypting the single EncryptedAssertion of a Response (XML-Enc 1.1: AES-GCM/CBC data, RSA-OAEP-MGF1P key
 * transport) with xml-encryption (@authenio/xml-encryption 2.0.x, the library samlify's own decryptAssertion
 * uses). Called directly with the same input samlify hands it (the EncryptedAssertion element serialised by
 * xmldom, which declares the namespaces it inherits), so the result is the same plaintext; what is skipped is
 * samlify's wrapping around it: re-parsing the plaintext, splicing it into the Response and serialising the
 * whole Response again, which the caller never reads. The private key is parsed once (KeyObject), not from
 * PEM on every response.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { DOMParser } from '@xmldom/xmldom';
import { NS } from './constants.js';

interface XmlEnc {
  decrypt(
    xml: string,
    options: { key: KeyObject },
    callback: (err: Error | null, result?: string) => void,
  ): void;
}
const xmlenc = createRequire(import.meta.url)('@authenio/xml-encryption') as XmlEnc;

interface XNode {
  nodeType: number;
  localName?: string | null;
  namespaceURI?: string | null;
  childNodes?: ArrayLike<XNode>;
  documentElement?: XNode | null;
  toString(): string;
}

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
  const key = keyOf(keyPem);
  const doc = new DOMParser().parseFromString(responseXml, 'text/xml') as unknown as XNode;
  const root = doc.documentElement;
  const encrypted =
    root?.localName === 'Response' && root.namespaceURI === NS.samlp
      ? Array.from(root.childNodes ?? []).filter(
          (c) => c.nodeType === 1 && c.localName === 'EncryptedAssertion' && c.namespaceURI === NS.saml,
        )
      : [];
  const element = encrypted[0];
  if (encrypted.length !== 1 || !element)
    return Promise.reject(new Error('not exactly one EncryptedAssertion in the Response'));
  return new Promise((resolve, reject) =>
    xmlenc.decrypt(element.toString(), { key }, (err, result) =>
      err || !result ? reject(err ?? new Error('empty decryption result')) : resolve(result),
    ),
  );
}
