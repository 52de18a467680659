/**
 * Verify the enveloped signature of the element at `path` (namespace URI, local name from the root down) with
 * the public key of `certPem` only. Returns the canonical bytes of the single Reference as signed (its
 * pre-digest data), or null when anything does not verify. Throws only on wrong argument types.
 */
export function verifyEnveloped(
  xml: Buffer,
  path: readonly (readonly [string, string])[],
  certPem: string,
): Buffer | null;
/** Signature method URIs this build verifies (others are left to the caller). */
export const signatureAlgorithms: readonly string[];
/** The libxmlsec1 version compiled against. */
export const xmlsecVersion: string;
