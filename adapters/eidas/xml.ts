/**
 * Namespace-aware reading of SAML documents (libxml2) for the checks samlify leaves to the caller,
 * and escaping for the XML we write.
 */
import { XmlDocument, XmlElement, type XmlNode } from 'libxml2-wasm';
import { XPATH_NS } from './constants.js';

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A parsed document; use with `withDoc` so the WASM memory is released. */
export interface DocView {
  root: XmlElement;
  /** Elements matching an XPath (prefixes samlp, saml, md, ds, xenc, eidas, xsi). */
  all(xpath: string, context?: XmlNode): XmlElement[];
  one(xpath: string, context?: XmlNode): XmlElement | undefined;
  /** The string value of an XPath (text of all descendant text nodes; comments excluded). */
  text(xpath: string, context?: XmlNode): string;
  attr(el: XmlElement | undefined, name: string): string | undefined;
}

export function withDoc<T>(xml: string, fn: (d: DocView) => T): T {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('DOCTYPE not allowed');
  const doc = XmlDocument.fromString(xml);
  try {
    const root = doc.root;
    const view: DocView = {
      root,
      all: (xpath, context) =>
        (context ?? root).find(xpath, XPATH_NS).filter((n): n is XmlElement => n instanceof XmlElement),
      one: (xpath, context) => view.all(xpath, context)[0],
      text: (xpath, context) => {
        const v = (context ?? root).eval(`string(${xpath})`, XPATH_NS);
        return typeof v === 'string' ? v : '';
      },
      attr: (el, name) => {
        const a = el?.attrs.find((x) => x.name === name && !x.namespaceUri);
        return a?.value;
      },
    };
    return fn(view);
  } finally {
    doc.dispose();
  }
}
