/**
 * XML Schema validation of SAML messages and metadata with libxml2 (WASM build, `libxml2-wasm`).
 *
 * The driver schema `schemas/kakehashi-saml.xsd` (SAML 2.0 protocol/assertion/metadata, XML-DSig, XML-Enc,
 * metadata extensions and the eIDAS extension and natural-person schemas) is compiled once per process
 * and reused for every document. Schemas are served from memory by a resolver that knows only the
 * bundled files, so a message can never make the validator read the file system or the network.
 * See docs/decisions/0002-saml-schema-validation.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlBufferInputProvider, XmlDocument, XsdValidator, xmlRegisterInputProvider } from 'libxml2-wasm';
import { parseXml } from './xml.js';

const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'schemas');
/** Virtual location of the bundled schemas (never a real path: only the provider below answers it). */
const VIRTUAL_BASE = 'file:///kakehashi/saml-schemas/';
const DRIVER = 'kakehashi-saml.xsd';

let validator: XsdValidator | undefined;

function compile(): XsdValidator {
  const files: Record<string, Uint8Array> = {};
  for (const name of readdirSync(SCHEMA_DIR)) {
    if (name.endsWith('.xsd')) files[`${VIRTUAL_BASE}${name}`] = readFileSync(join(SCHEMA_DIR, name));
  }
  xmlRegisterInputProvider(new XmlBufferInputProvider(files));
  const driver = files[`${VIRTUAL_BASE}${DRIVER}`];
  if (!driver) throw new Error(`missing ${DRIVER}`);
  const doc = XmlDocument.fromBuffer(driver, { url: `${VIRTUAL_BASE}${DRIVER}` });
  try {
    return XsdValidator.fromDoc(doc);
  } finally {
    doc.dispose();
  }
}

/** Thrown when a document is not well-formed or not valid against the SAML/eIDAS schemas. */
export class SchemaValidationError extends Error {
  readonly detail: string;
  constructor(detail: string) {
    super('XML document is not valid against the SAML schemas');
    this.detail = detail;
    this.name = 'SchemaValidationError';
  }
}

/**
 * Validate one XML document (a SAML message, an assertion, or metadata) against the bundled schemas.
 * Documents with a DOCTYPE are refused outright (SAML forbids DTDs; SAML core §1.3).
 */
export function validateSamlSchema(xml: string): void {
  if (/<!DOCTYPE/i.test(xml)) throw new SchemaValidationError('DOCTYPE is not allowed');
  let doc: XmlDocument;
  try {
    doc = parseXml(xml);
  } catch (e) {
    throw new SchemaValidationError(e instanceof Error ? e.message : 'not well-formed');
  }
  try {
    validateSamlSchemaDocument(doc);
  } finally {
    doc.dispose();
  }
}

/**
 * Validate a document already parsed by libxml2 (`withDoc`'s `onParsed`), so that the checks which follow
 * read the very tree that was validated, without parsing the string a second time. The caller has refused
 * a DOCTYPE before parsing (`withDoc` does).
 */
export function validateSamlSchemaDocument(doc: XmlDocument): void {
  validator ??= compile();
  try {
    validator.validate(doc);
  } catch (e) {
    throw new SchemaValidationError(e instanceof Error ? e.message.trim() : 'invalid');
  }
}
