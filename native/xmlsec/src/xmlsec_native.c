/*
 * A thin N-API binding over libxmlsec1 (OpenSSL backend): verify ONE enveloped XML-DSig signature on ONE
 * named element with ONE configured certificate, and hand back the canonical bytes that were signed.
 *
 * All XML-DSig work (reference resolution, transforms, C14N, digest, signature) is libxmlsec1's. This file
 * only parses, locates the element, restricts what libxmlsec1 may do, and reads its result:
 * - the document is parsed with XML_PARSE_NONET and without entity substitution or DTD loading, and a
 *   document with a DOCTYPE is refused;
 * - the element is found by an explicit path from the root (exactly one match per step), and its single
 *   direct-child ds:Signature is the only signature considered;
 * - only that element's unprefixed `ID` attribute is registered as an XML ID, and the ID must not already be
 *   known to libxml2 (xml:id), so `#ID` resolves to that element and nothing else;
 * - the key is the configured certificate's; the KeyInfo of the message is never read (signKey is preset and
 *   there is no keys manager);
 * - same-document references only; the reference transforms are enveloped-signature and exclusive C14N
 *   (without comments) and the digests SHA-256/384/512; SignedInfo may use exclusive C14N and rsa-sha256,
 *   rsa-sha512 or ecdsa-sha256 (RSA-PSS is not in libxmlsec1 1.2.x: see signatureAlgorithms);
 * - the result is accepted only if libxmlsec1 reports success, there is exactly one Reference, it succeeded
 *   and its URI is exactly "#" + ID; the returned bytes are that Reference's pre-digest buffer.
 * libxml2/libxmlsec1 are initialised once per process; everything else is allocated and freed per call.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <libxml/xmlerror.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include <openssl/err.h>

#define MAX_PATH_STEPS 8
#define MAX_NAME_BYTES 512
#define MAX_ID_BYTES 256

/* ---- one-time initialisation ---------------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_ok = 0;

/* libxmlsec1 and libxml2 print their errors to stderr by default; the caller only needs "not verified". */
static void silent_xmlsec(const char *file, int line, const char *func, const char *obj, const char *subj,
                          int reason, const char *msg) {
  (void)file; (void)line; (void)func; (void)obj; (void)subj; (void)reason; (void)msg;
}
static void silent_generic(void *ctx, const char *msg, ...) { (void)ctx; (void)msg; }
static void silent_structured(void *ctx, xmlErrorPtr err) { (void)ctx; (void)err; }

static void init_libs(void) {
  xmlInitParser();
  if (xmlSecInit() < 0) return;
  if (xmlSecCheckVersion() != 1) return;
  if (xmlSecCryptoAppInit(NULL) < 0) return;
  if (xmlSecCryptoInit() < 0) return;
  xmlSecErrorsSetCallback(silent_xmlsec);
  init_ok = 1;
}

/* ---- helpers ---------------------------------------------------------------------------------------- */

/* The single element child of `first`'s sibling list named {ns}local; NULL if none or more than one. */
static xmlNodePtr only_child(xmlNodePtr first, const char *ns, const char *local) {
  xmlNodePtr found = NULL;
  for (xmlNodePtr c = first; c != NULL; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, BAD_CAST local)) continue;
    const xmlChar *href = c->ns != NULL ? c->ns->href : NULL;
    if (ns[0] == '\0' ? href != NULL : (href == NULL || !xmlStrEqual(href, BAD_CAST ns))) continue;
    if (found != NULL) return NULL;
    found = c;
  }
  return found;
}

/* An ID usable as a bare-name fragment: NCName-like, so "#ID" can never be read as an XPointer. */
static int plain_id(const xmlChar *id) {
  size_t n = strlen((const char *)id);
  if (n == 0 || n > MAX_ID_BYTES) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = id[i];
    int letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
    int other = (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!(letter || (i > 0 && other))) return 0;
  }
  return 1;
}

/* Allow one transform (the list holds const klass pointers; libxmlsec1's own apps cast the same way). */
static int enable(xmlSecPtrListPtr list, xmlSecTransformId id) { return xmlSecPtrListAdd(list, (xmlSecPtr)id); }

/* Copy a JS string into buf (NUL-terminated); 0 if it is not a string or does not fit. */
static int get_string(napi_env env, napi_value v, char *buf, size_t size, size_t *len) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok || n >= size) return 0;
  if (napi_get_value_string_utf8(env, v, buf, size, &n) != napi_ok) return 0;
  if (len) *len = n;
  return 1;
}

/* ---- the verification ------------------------------------------------------------------------------- */

typedef struct {
  char ns[MAX_NAME_BYTES];
  char local[MAX_NAME_BYTES];
} step_t;

/*
 * Verify; returns a malloc'd copy of the pre-digest bytes (length in *out_len), or NULL if anything fails.
 */
static unsigned char *verify(const char *xml, size_t xml_len, const step_t *path, size_t steps,
                             const char *cert, size_t cert_len, size_t *out_len) {
  unsigned char *result = NULL;
  xmlDocPtr doc = NULL;
  xmlChar *id = NULL;
  xmlSecKeyPtr key = NULL;
  xmlSecDSigCtxPtr ctx = NULL;
  xmlSecPtrListPtr ref_transforms = NULL;

  if (xml_len > INT_MAX || cert_len > 1024 * 1024 || steps == 0) return NULL;
  xmlSetGenericErrorFunc(NULL, silent_generic);       /* thread-local in libxml2: set on every call */
  xmlSetStructuredErrorFunc(NULL, silent_structured);

  /* Parse the UTF-8 bytes (the encoding argument overrides any declaration): no network, no entity
   * substitution, no DTD loading; a DOCTYPE at all is refused. */
  doc = xmlReadMemory(xml, (int)xml_len, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL || doc->intSubset != NULL || doc->extSubset != NULL) goto done;

  /* Locate the element: exactly one match per step from the root. */
  xmlNodePtr el = NULL;
  xmlNodePtr level = doc->children;
  for (size_t i = 0; i < steps; i++) {
    el = only_child(level, path[i].ns, path[i].local);
    if (el == NULL) goto done;
    level = el->children;
  }

  /* Its single direct-child ds:Signature. */
  xmlNodePtr sig = only_child(el->children, (const char *)xmlSecDSigNs, (const char *)xmlSecNodeSignature);
  if (sig == NULL) goto done;

  /* Register only this element's unprefixed ID attribute, and only if no other node holds that ID. */
  xmlAttrPtr attr = xmlHasNsProp(el, BAD_CAST "ID", NULL);
  if (attr == NULL || attr->type != XML_ATTRIBUTE_NODE) goto done;
  id = xmlNodeListGetString(doc, attr->children, 1);
  if (id == NULL || !plain_id(id) || xmlGetID(doc, id) != NULL) goto done;
  if (xmlAddID(NULL, doc, id, attr) == NULL) goto done;

  /* Before libxmlsec1 resolves anything: SignedInfo has a single Reference and its URI is exactly "#" + ID
   * (checked again on libxmlsec1's result below). */
  xmlNodePtr si = only_child(sig->children, (const char *)xmlSecDSigNs, (const char *)xmlSecNodeSignedInfo);
  xmlNodePtr ref_node = si ? only_child(si->children, (const char *)xmlSecDSigNs, (const char *)xmlSecNodeReference) : NULL;
  if (ref_node == NULL) goto done;
  xmlChar *uri = xmlGetNoNsProp(ref_node, BAD_CAST "URI");
  int uri_ok = uri != NULL && uri[0] == '#' && xmlStrEqual(uri + 1, id);
  if (uri != NULL) xmlFree(uri);
  if (!uri_ok) goto done;

  /* The configured certificate's public key; the message's KeyInfo is never consulted. */
  key = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)cert, (xmlSecSize)cert_len, xmlSecKeyDataFormatCertPem,
                                     NULL, NULL, NULL);
  if (key == NULL) goto done;

  ctx = xmlSecDSigCtxCreate(NULL); /* no keys manager: nothing can be looked up from KeyInfo */
  if (ctx == NULL) goto done;
  ctx->signKey = key; /* owned by ctx from here on */
  key = NULL;
  ctx->flags = XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES | XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;

  /* What a Reference may use (a NULL list would mean "every transform": it is created here, owned here). */
  ref_transforms = xmlSecPtrListCreate(xmlSecTransformIdListId);
  if (ref_transforms == NULL) goto done;
  ctx->enabledReferenceTransforms = ref_transforms;
  if (enable(ref_transforms, xmlSecTransformEnvelopedId) < 0 ||
      enable(ref_transforms, xmlSecTransformExclC14NId) < 0 ||
      enable(ref_transforms, xmlSecTransformSha256Id) < 0 ||
      enable(ref_transforms, xmlSecTransformSha384Id) < 0 ||
      enable(ref_transforms, xmlSecTransformSha512Id) < 0)
    goto done;
  /* What SignedInfo may use (its canonicalization and signature method). */
  if (enable(&ctx->transformCtx.enabledTransforms, xmlSecTransformExclC14NId) < 0 ||
      enable(&ctx->transformCtx.enabledTransforms, xmlSecTransformRsaSha256Id) < 0 ||
      enable(&ctx->transformCtx.enabledTransforms, xmlSecTransformRsaSha512Id) < 0 ||
      enable(&ctx->transformCtx.enabledTransforms, xmlSecTransformEcdsaSha256Id) < 0)
    goto done;

  if (xmlSecDSigCtxVerify(ctx, sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded) goto done;

  /* Exactly one Reference, verified, whose URI is "#" + ID. */
  if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) goto done;
  xmlSecDSigReferenceCtxPtr ref = (xmlSecDSigReferenceCtxPtr)xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
  if (ref == NULL || ref->status != xmlSecDSigStatusSucceeded || ref->uri == NULL || ref->uri[0] != '#' ||
      !xmlStrEqual(ref->uri + 1, id))
    goto done;
  xmlSecBufferPtr pre = xmlSecDSigReferenceCtxGetPreDigestBuffer(ref);
  if (pre == NULL) goto done;
  size_t n = xmlSecBufferGetSize(pre);
  result = malloc(n > 0 ? n : 1);
  if (result == NULL) goto done;
  if (n > 0) memcpy(result, xmlSecBufferGetData(pre), n);
  *out_len = n;

done:
  if (ctx != NULL) {
    ctx->enabledReferenceTransforms = NULL; /* ours, destroyed below */
    xmlSecDSigCtxDestroy(ctx);
  }
  if (ref_transforms != NULL) xmlSecPtrListDestroy(ref_transforms);
  if (key != NULL) xmlSecKeyDestroy(key);
  if (id != NULL) xmlFree(id);
  if (doc != NULL) xmlFreeDoc(doc);
  /* OpenSSL's per-thread error queue may be Node's own (the symbols can resolve to Node's OpenSSL): leave
   * nothing on it for a later node:crypto call to trip over. */
  ERR_clear_error();
  return result;
}

/* ---- N-API glue ------------------------------------------------------------------------------------- */

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* verifyEnveloped(xml: Buffer, path: [nsUri, localName][], certPem: string): Buffer | null */
static napi_value VerifyEnveloped(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3)
    return throw_type(env, "verifyEnveloped(xml, path, certPem)");
  if (!init_ok) {
    napi_throw_error(env, NULL, "libxmlsec1 did not initialise");
    return NULL;
  }

  bool is_buf = false;
  void *xml = NULL;
  size_t xml_len = 0;
  if (napi_is_buffer(env, argv[0], &is_buf) != napi_ok || !is_buf ||
      napi_get_buffer_info(env, argv[0], &xml, &xml_len) != napi_ok)
    return throw_type(env, "xml must be a Buffer");

  bool is_arr = false;
  uint32_t steps = 0;
  if (napi_is_array(env, argv[1], &is_arr) != napi_ok || !is_arr ||
      napi_get_array_length(env, argv[1], &steps) != napi_ok || steps == 0 || steps > MAX_PATH_STEPS)
    return throw_type(env, "path must be an array of 1-8 [nsUri, localName] pairs");
  step_t *path = calloc(steps, sizeof(step_t));
  if (path == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < steps; i++) {
    napi_value pair, ns, local;
    uint32_t plen = 0;
    if (napi_get_element(env, argv[1], i, &pair) != napi_ok ||
        napi_is_array(env, pair, &is_arr) != napi_ok || !is_arr ||
        napi_get_array_length(env, pair, &plen) != napi_ok || plen != 2 ||
        napi_get_element(env, pair, 0, &ns) != napi_ok || napi_get_element(env, pair, 1, &local) != napi_ok ||
        !get_string(env, ns, path[i].ns, MAX_NAME_BYTES, NULL) ||
        !get_string(env, local, path[i].local, MAX_NAME_BYTES, NULL) || path[i].local[0] == '\0') {
      free(path);
      return throw_type(env, "path must be an array of 1-8 [nsUri, localName] pairs");
    }
  }

  size_t cert_len = 0;
  if (napi_get_value_string_utf8(env, argv[2], NULL, 0, &cert_len) != napi_ok) {
    free(path);
    return throw_type(env, "certPem must be a string");
  }
  char *cert = malloc(cert_len + 1);
  if (cert == NULL || napi_get_value_string_utf8(env, argv[2], cert, cert_len + 1, &cert_len) != napi_ok) {
    free(path);
    free(cert);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }

  size_t n = 0;
  unsigned char *signed_bytes = verify(xml, xml_len, path, steps, cert, cert_len, &n);
  free(path);
  free(cert);
  if (signed_bytes == NULL) {
    napi_get_null(env, &out);
    return out;
  }
  napi_status st = napi_create_buffer_copy(env, n, signed_bytes, NULL, &out);
  free(signed_bytes);
  if (st != napi_ok) {
    napi_throw_error(env, NULL, "could not create the result buffer");
    return NULL;
  }
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  pthread_once(&init_once, init_libs);
  napi_value fn, algs, s, ver;
  static const char *ALGS[] = {
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
      "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
  };
  if (napi_create_function(env, "verifyEnveloped", NAPI_AUTO_LENGTH, VerifyEnveloped, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "verifyEnveloped", fn) != napi_ok ||
      napi_create_array_with_length(env, 3, &algs) != napi_ok)
    return NULL;
  for (uint32_t i = 0; i < 3; i++) {
    if (napi_create_string_utf8(env, ALGS[i], NAPI_AUTO_LENGTH, &s) != napi_ok ||
        napi_set_element(env, algs, i, s) != napi_ok)
      return NULL;
  }
  if (napi_set_named_property(env, exports, "signatureAlgorithms", algs) != napi_ok ||
      napi_create_string_utf8(env, XMLSEC_VERSION, NAPI_AUTO_LENGTH, &ver) != napi_ok ||
      napi_set_named_property(env, exports, "xmlsecVersion", ver) != napi_ok)
    return NULL;
  if (!init_ok) {
    napi_throw_error(env, NULL, "libxmlsec1 did not initialise");
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
