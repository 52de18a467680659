/**
 * A per-scheme profile of the generic upstream OIDC source: protocol defaults
 * (scope, PAR, DPoP, encryption), the acr vocabulary, and how the scheme's
 * subject and claims become a canonical identity.
 */
import type { Localized } from '../../../src/core/adapter.js';
import type { Amr, CanonicalIdentityInput } from '../../../src/core/identity.js';
import type { Loa } from '../../../src/core/loa.js';

/** Protocol settings a profile supplies; every one can be overridden in the source's options. */
export interface ProfileDefaults {
  readonly scope: string;
  readonly par: boolean;
  readonly dpop: boolean;
  readonly userinfo: boolean;
  /** Refuse plain (unencrypted) ID tokens. */
  readonly requireEncryptedIdToken: boolean;
  readonly idTokenSigningAlg?: string;
  /** `typ` header of the client assertion, for schemes that insist on one. */
  readonly clientAssertionTyp?: string;
  readonly maxLoa: Loa;
  readonly label: Localized;
  /** Extra authorization request parameters the scheme wants (e.g. Singpass `authentication_context_type`). */
  readonly authorizationParams?: Readonly<Record<string, string>>;
}

/** What the source hands a profile after every protocol check passed. */
export interface VerifiedLogin {
  /** Claims of the verified (and decrypted) ID token. */
  readonly idToken: Readonly<Record<string, unknown>>;
  /** Verified userinfo claims, when the profile or options fetch userinfo. */
  readonly userinfo?: Readonly<Record<string, unknown>>;
  /** The canonical level the source accepted for this login (already checked against what was asked). */
  readonly loa: Loa;
  readonly amr: readonly Amr[];
  readonly authTime: number;
  readonly now: number;
  readonly instanceId: string;
  readonly issuer: string;
}

export interface UpstreamProfile {
  readonly id: string;
  readonly defaults: ProfileDefaults;
  /**
   * Upstream `acr` value -> canonical level. The source sends the lowest `acr` that meets the level the
   * relying party needs, and refuses an `acr` it cannot find here (it never guesses upward).
   */
  readonly acrMap: Readonly<Record<string, Loa>>;
  /** The level of a login whose ID token carries no `acr` (undefined: refuse such logins). */
  loaWithoutAcr?(amr: readonly string[]): Loa | undefined;
  /** Upstream `amr` values mapped to RFC 8176 values (unknown ones dropped). */
  mapAmr(amr: readonly string[]): Amr[];
  /**
   * The canonical identity (without validation; the source runs parseCanonicalIdentity).
   * Throws a GatewayError (ERR_UPSTREAM_CLAIMS) when the subject or claims are malformed.
   */
  toIdentity(login: VerifiedLogin): CanonicalIdentityInput;
}
