/**
 * Namespace-aware reading of SAML documents (libxml2) for the checks samlify leaves to the caller,
 * and escaping for the XML we write.
 */
import { XmlC14NMode, XmlDocument, XmlElement, type XmlNode, XmlXPath } from 'libxml2-wasm';
import { XPATH_NS } from './constants.js';

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * XPath expressions compiled once (with XPATH_NS) and reused for every document: the checks run the same
 * few dozen expressions on every message. Bounded; past the bound an expression is compiled per use.
 */
const compiled = new Map<string, XmlXPath>();
function evalOn(node: XmlNode, xpath: string) {
  let c = compiled.get(xpath);
  if (!c) {
    if (compiled.size >= 512) return node.eval(xpath, XPATH_NS);
    c = XmlXPath.compile(xpath, namespacesOf(xpath));
    compiled.set(xpath, c);
  }
  return node.eval(c);
}

/**
 * The XPATH_NS prefixes that `xpath` mentions. libxml2-wasm registers every namespace of a compiled
 * expression on each evaluation (two string copies into WASM memory per prefix), and most expressions use one
 * or two of the seven. A prefix inside a string literal may be included needlessly, which is harmless; a
 * prefix left out would make the evaluation fail loudly (undefined namespace prefix), never match silently.
 */
function namespacesOf(xpath: string): Record<string, string> {
  const used: Record<string, string> = {};
  for (const m of xpath.matchAll(/(?<![\w.-])([A-Za-z_][\w.-]*):(?!:)/g)) {
    const prefix = m[1] ?? '';
    const uri = XPATH_NS[prefix];
    if (uri !== undefined) used[prefix] = uri;
  }
  return used;
}

/**
 * Parse with libxml2. The string is encoded to UTF-8 by Node (`Buffer.from`) and handed over as bytes: the
 * same bytes, options and encoding detection as `XmlDocument.fromString`, whose UTF-8 encoder is a JS loop
 * that took longer than the parse itself on a 12 KB Response. A string with a lone surrogate (which
 * `Buffer.from` would silently turn into U+FFFD) still goes through `fromString`, so it is refused as before.
 */
export function parseXml(xml: string): XmlDocument {
  // With the u flag a surrogate pair is one code point, so only a lone surrogate matches \p{Cs}.
  return LONE_SURROGATE.test(xml)
    ? XmlDocument.fromString(xml)
    : XmlDocument.fromBuffer(Buffer.from(xml, 'utf8'));
}
const LONE_SURROGATE = /\p{Cs}/u;

/** A parsed document; use with `withDoc` so the WASM memory is released. */
export interface DocView {
  /** The libxml2 document (e.g. for schema validation of the very tree the checks read). */
  document: XmlDocument;
  root: XmlElement;
  /** Elements matching an XPath (prefixes samlp, saml, md, ds, xenc, eidas, xsi). */
  all(xpath: string, context?: XmlNode): XmlElement[];
  one(xpath: string, context?: XmlNode): XmlElement | undefined;
  /** The string value of an XPath (text of all descendant text nodes; comments excluded). */
  text(xpath: string, context?: XmlNode): string;
  /** The number value of `count(<xpath>)`. */
  count(xpath: string, context?: XmlNode): number;
  attr(el: XmlElement | undefined, name: string): string | undefined;
  /**
   * `el` serialised as a standalone document: exclusive C14N 1.0 without comments, so it declares every
   * namespace it uses, including those declared on its ancestors.
   */
  standalone(el: XmlElement): string;
}

/**
 * Parse `xml` (DOCTYPE refused), call `fn` on it, release the WASM memory. `onParsed` runs first on the
 * parsed document, so a caller can validate it (schema) before any check reads it, without a second parse.
 */
export function withDoc<T>(xml: string, fn: (d: DocView) => T, onParsed?: (doc: XmlDocument) => void): T {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('DOCTYPE not allowed');
  const doc = parseXml(xml);
  try {
    onParsed?.(doc);
    const root = doc.root;
    const view: DocView = {
      document: doc,
      root,
      all: (xpath, context) => {
        const v = evalOn(context ?? root, xpath);
        if (!Array.isArray(v)) throw new Error('XPath selector must return a node set');
        return v.filter((n): n is XmlElement => n instanceof XmlElement);
      },
      one: (xpath, context) => view.all(xpath, context)[0],
      text: (xpath, context) => {
        const v = evalOn(context ?? root, `string(${xpath})`);
        return typeof v === 'string' ? v : '';
      },
      count: (xpath, context) => {
        const v = evalOn(context ?? root, `count(${xpath})`);
        return typeof v === 'number' ? v : Number.NaN;
      },
      // The attribute without a namespace (xmlHasNsProp), without materialising every attribute of `el`.
      attr: (el, name) => el?.attr(name)?.value,
      standalone: (el) => el.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 }),
    };
    return fn(view);
  } finally {
    doc.dispose();
  }
}
