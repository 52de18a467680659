/**
 * Verifying one enveloped XML signature on one named element, with the trust anchor given by the caller.
 * Two backends, the same checks and the same result (ADR 0004):
 * - `xmlsec`: libxmlsec1 (OpenSSL) through the thin N-API binding `@kakehashi/xmlsec-native`
 *   (native/xmlsec/), used whenever it loads, for the signature methods it supports;
 * - `xml-crypto` 6.3.x (past CVE-2025-29774/29775 and CVE-2024-32962; this is the only module importing it):
 *   the fallback when the binding was not built, for RSA-PSS (not in libxmlsec1 1.2.x), or when
 *   KAKEHASHI_XMLDSIG_BACKEND=xml-crypto.
 *
 * What the backend verifies: the SignedInfo signature and the Reference digest. What this module adds,
 * because a valid signature over *some* element proves nothing about the element we go on to read:
 * - the Signature is a direct child of the element (no signature found elsewhere is considered);
 * - it has exactly one Reference, whose URI is `#<the element's ID>`, and that ID occurs once in the document;
 * - transforms are only enveloped-signature and exclusive c14n (no XPath/XSLT, no comments), SignedInfo is
 *   canonicalised by exclusive c14n, and the digest is SHA-256/384/512;
 * - the KeyInfo in the message is ignored: only the configured certificates are tried;
 * - callers read data only from the returned canonical signed XML, never from the original document.
 * These checks are one function (`referenceChecks`) read through xmldom for xml-crypto and through libxml2
 * (xml.ts, a fifth of the cost of an xmldom parse) for libxmlsec1, which then parses the bytes once more itself.
 * References: XML-DSig core 1.1 §3.2 (core validation), SAML core §5.4 (SAML signature profile).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { DOMParser } from '@xmldom/xmldom';
import type { XmlElement } from 'libxml2-wasm';
import { SignedXml } from 'xml-crypto';
import { NS } from './constants.js';
import { type DocView, withDoc } from './xml.js';

const ALLOWED_TRANSFORMS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
]);
const ALLOWED_SIGNATURE_ALGS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
]);
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ALLOWED_DIGEST_ALGS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const ID_ATTRS = ['ID', 'Id', 'id'] as const;

/** The N-API binding over libxmlsec1 (native/xmlsec/index.d.ts). */
interface NativeXmlsec {
  verifyEnveloped(xml: Buffer, path: readonly (readonly [string, string])[], certPem: string): Buffer | null;
  readonly signatureAlgorithms: readonly string[];
  readonly xmlsecVersion: string;
}
export type XmlSignatureBackend = 'xmlsec' | 'xml-crypto';

/** The binding, or undefined when it was not built (an optional dependency) or does not load. */
export const nativeXmlsec: NativeXmlsec | undefined = (() => {
  try {
    return createRequire(import.meta.url)('@kakehashi/xmlsec-native') as NativeXmlsec;
  } catch {
    return undefined;
  }
})();
let backend: XmlSignatureBackend =
  nativeXmlsec && process.env.KAKEHASHI_XMLDSIG_BACKEND !== 'xml-crypto' ? 'xmlsec' : 'xml-crypto';

/** The backend in use (`xmlsec` when the binding loaded and is not switched off). */
export function xmlSignatureBackend(): XmlSignatureBackend {
  return backend;
}
/** Choose the backend (tests and the bench run both); `xmlsec` throws when the binding is not there. */
export function setXmlSignatureBackend(b: XmlSignatureBackend): void {
  if (b === 'xmlsec' && !nativeXmlsec) throw new Error('the native XML-DSig binding is not built');
  backend = b;
}

/**
 * Public keys of the configured certificates, parsed once (OpenSSL parses a PEM certificate on every
 * verification otherwise). Bounded: the certificates come from configuration and node metadata.
 */
const publicKeys = new Map<string, KeyObject>();
function publicKeyOf(certPem: string): KeyObject | string {
  let key = publicKeys.get(certPem);
  if (!key) {
    try {
      key = createPublicKey(certPem);
    } catch {
      return certPem; // xml-crypto reports the unusable certificate as before
    }
    if (publicKeys.size >= 256) publicKeys.clear();
    publicKeys.set(certPem, key);
  }
  return key;
}

/** Why a signature was not accepted; `code` is stable and tested. */
export class XmlSignatureError extends Error {
  readonly code: 'ERR_SAML_SIGNATURE' | 'ERR_SAML_SIGNATURE_REFERENCE' | 'ERR_SAML_DUPLICATE_ID';
  constructor(code: XmlSignatureError['code'], message: string) {
    super(message);
    this.code = code;
    this.name = 'XmlSignatureError';
  }
}

interface XNode {
  nodeType: number;
  localName?: string | null;
  namespaceURI?: string | null;
  parentNode?: XNode | null;
  childNodes?: ArrayLike<XNode>;
  getAttribute?(name: string): string | null;
}

const children = (n: XNode, ns: string, local: string): XNode[] =>
  Array.from(n.childNodes ?? []).filter(
    (c) => c.nodeType === 1 && c.localName === local && c.namespaceURI === ns,
  );

function countIds(node: XNode, id: string): number {
  let n = 0;
  const walk = (x: XNode) => {
    if (x.nodeType === 1) for (const a of ID_ATTRS) if (x.getAttribute?.(a) === id) n++;
    for (const c of Array.from(x.childNodes ?? [])) walk(c);
  };
  walk(node);
  return n;
}

/** Whether the element identified by `path` (namespace URI, local name from the root down) carries a ds:Signature child. */
export function hasSignatureChild(xml: string, path: readonly [string, string][]): boolean {
  const el = locate(new DOMParser().parseFromString(xml, 'text/xml') as unknown as XNode, path);
  return el ? children(el, NS.ds, 'Signature').length > 0 : false;
}

function locate(doc: XNode, path: readonly [string, string][]): XNode | undefined {
  let cur: XNode | undefined = doc;
  for (const [ns, local] of path) {
    const next: XNode[] = cur ? children(cur, ns, local) : [];
    if (next.length !== 1) return undefined;
    cur = next[0];
  }
  return cur;
}

/** The document as the reference checks read it: xmldom for xml-crypto, libxml2 (xml.ts) for libxmlsec1. */
interface CheckTree<N> {
  /** The element at `path` (exactly one match per step from the root), if any. */
  locate(path: readonly [string, string][]): N | undefined;
  /** The ds:`local` element children of `n`. */
  ds(n: N, local: string): N[];
  /** The attribute without a namespace. */
  attr(n: N, name: string): string | undefined;
  /** How many elements carry `id` in an ID, Id or id attribute. */
  idCount(id: string): number;
}

/**
 * The checks of this module, the same for both backends, in this order and with these codes. Returns the
 * Signature element and its SignatureMethod.
 */
function referenceChecks<N>(t: CheckTree<N>, path: readonly [string, string][]): { sig: N; alg: string } {
  const el = t.locate(path);
  if (!el) throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'signed element not found');
  const sigs = t.ds(el, 'Signature');
  const sig = sigs[0];
  if (sigs.length !== 1 || !sig)
    throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'not exactly one signature');
  const signedInfo = t.ds(sig, 'SignedInfo')[0];
  const refs = signedInfo ? t.ds(signedInfo, 'Reference') : [];
  const id = t.attr(el, 'ID') ?? '';
  const ref = refs[0];
  if (refs.length !== 1 || !ref || !id || t.attr(ref, 'URI') !== `#${id}`)
    throw new XmlSignatureError(
      'ERR_SAML_SIGNATURE_REFERENCE',
      'the signature does not reference the signed element',
    );
  if (t.idCount(id) !== 1)
    throw new XmlSignatureError('ERR_SAML_DUPLICATE_ID', 'the signed element ID is not unique');
  const transforms = t.ds(ref, 'Transforms').flatMap((x) => t.ds(x, 'Transform'));
  if (transforms.some((x) => !ALLOWED_TRANSFORMS.has(t.attr(x, 'Algorithm') ?? '')))
    throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'unsupported signature transform');
  const digests = t.ds(ref, 'DigestMethod');
  if (digests.length !== 1 || !ALLOWED_DIGEST_ALGS.has(attrOf(t, digests[0], 'Algorithm')))
    throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'unsupported digest algorithm');
  const c14n = signedInfo ? t.ds(signedInfo, 'CanonicalizationMethod') : [];
  if (c14n.length !== 1 || attrOf(t, c14n[0], 'Algorithm') !== EXC_C14N)
    throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'unsupported SignedInfo canonicalization');
  const methods = signedInfo ? t.ds(signedInfo, 'SignatureMethod') : [];
  const alg = methods.length === 1 ? attrOf(t, methods[0], 'Algorithm') : '';
  if (!ALLOWED_SIGNATURE_ALGS.has(alg))
    throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'unsupported signature algorithm');
  return { sig, alg };
}
const attrOf = <N>(t: CheckTree<N>, n: N | undefined, name: string) => (n ? (t.attr(n, name) ?? '') : '');

const xmldomTree = (doc: XNode): CheckTree<XNode> => ({
  locate: (path) => locate(doc, path),
  ds: (n, local) => children(n, NS.ds, local),
  attr: (n, name) => n.getAttribute?.(name) || undefined,
  idCount: (id) => countIds(doc, id),
});

/** The same tree read through libxml2 (one parse that libxmlsec1 does not share, but much cheaper than xmldom). */
function libxml2Tree(d: DocView): CheckTree<XmlElement> {
  const step = (ns: string, local: string) => {
    if (/['"]/.test(ns + local)) throw new Error('unexpected quote in a path step');
    return `*[local-name()='${local}' and namespace-uri()='${ns}']`;
  };
  return {
    locate: (path) => {
      const [first, ...rest] = path;
      if (!first || d.root.name !== first[1] || d.root.namespaceUri !== first[0]) return undefined;
      let cur: XmlElement = d.root;
      for (const [ns, local] of rest) {
        const next = d.all(step(ns, local), cur);
        if (next.length !== 1 || !next[0]) return undefined;
        cur = next[0];
      }
      return cur;
    },
    ds: (n, local) => d.all(`ds:${local}`, n),
    attr: (n, name) => d.attr(n, name) || undefined,
    idCount: (id) =>
      d
        .all('//*[@ID or @Id or @id]')
        .reduce((c, e) => c + ID_ATTRS.filter((a) => d.attr(e, a) === id).length, 0),
  };
}

/**
 * Verify the enveloped signature of the element at `path` (e.g. Response, or Response/Assertion) with one of
 * `certsPem`. Returns the canonical XML of exactly that element as signed, and the certificate that verified.
 */
export function verifyElementSignature(
  xml: string,
  path: readonly [string, string][],
  certsPem: readonly string[],
): { xml: string; certPem: string } {
  if (backend === 'xmlsec' && nativeXmlsec) {
    let alg: string;
    try {
      alg = withDoc(xml, (d) => referenceChecks(libxml2Tree(d), path).alg);
    } catch (e) {
      if (e instanceof XmlSignatureError) throw e;
      throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'the document does not parse');
    }
    // libxmlsec1 redoes the location, the ID registration (only this element's ID) and the Reference check
    // itself, and ignores KeyInfo; it returns the Reference's canonical pre-digest bytes (getSignedReferences).
    // A signature method it lacks (RSA-PSS in libxmlsec1 1.2.x) goes to xml-crypto below.
    if (nativeXmlsec.signatureAlgorithms.includes(alg)) {
      const bytes = Buffer.from(xml, 'utf8');
      for (const cert of certsPem) {
        const signed = nativeXmlsec.verifyEnveloped(bytes, path, cert);
        if (signed) return { xml: signed.toString('utf8'), certPem: cert };
      }
      throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'signature invalid or not by a trusted key');
    }
  }

  const doc = new DOMParser().parseFromString(xml, 'text/xml') as unknown as XNode;
  const { sig } = referenceChecks(xmldomTree(doc), path);
  for (const cert of certsPem) {
    const verifier = new SignedXml({ publicCert: publicKeyOf(cert), getCertFromKeyInfo: () => null });
    // SAML's ID attribute is `ID`; the signed element is the one whose unprefixed ID the Reference names,
    // and the uniqueness of that value across ID/Id/id was checked above (countIds), so xml-crypto need not
    // search the document for Id and id as well (each search is a full-document XPath).
    verifier.idAttributes = ['ID'];
    verifier.loadSignature(sig as unknown as Node);
    let ok = false;
    try {
      ok = verifier.checkSignature(xml);
    } catch {
      ok = false;
    }
    const signed = ok ? verifier.getSignedReferences() : [];
    if (signed.length === 1 && signed[0]) return { xml: signed[0], certPem: cert };
  }
  throw new XmlSignatureError('ERR_SAML_SIGNATURE', 'signature invalid or not by a trusted key');
}
