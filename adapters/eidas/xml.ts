/**
 * Namespace-aware reading of SAML documents (libxml2) for the checks samlify leaves to the caller,
 * and escaping for the XML we write.
 */
import { XmlDocument, XmlElement, type XmlNode, XmlXPath } from 'libxml2-wasm';
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
    c = XmlXPath.compile(xpath, XPATH_NS);
    compiled.set(xpath, c);
  }
  return node.eval(c);
}

/** A parsed document; use with `withDoc` so the WASM memory is released. */
export interface DocView {
  root: XmlElement;
  /** Elements matching an XPath (prefixes samlp, saml, md, ds, xenc, eidas, xsi). */
  all(xpath: string, context?: XmlNode): XmlElement[];
  one(xpath: string, context?: XmlNode): XmlElement | undefined;
  /** The string value of an XPath (text of all descendant text nodes; comments excluded). */
  text(xpath: string, context?: XmlNode): string;
  /** The number value of `count(<xpath>)`. */
  count(xpath: string, context?: XmlNode): number;
  attr(el: XmlElement | undefined, name: string): string | undefined;
}

export function withDoc<T>(xml: string, fn: (d: DocView) => T): T {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('DOCTYPE not allowed');
  const doc = XmlDocument.fromString(xml);
  try {
    const root = doc.root;
    const view: DocView = {
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
    };
    return fn(view);
  } finally {
    doc.dispose();
  }
}
