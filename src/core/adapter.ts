/**
 * The adapter contract: what a scheme plugs in, and what the core gives it.
 *
 * A *source* authenticates a person inside an OIDC interaction and returns a
 * canonical identity. A *target* exposes the canonical identity to relying
 * parties in another protocol (routes, provider settings, claim mapping).
 * Adapters get every capability injected through `AdapterContext` and never
 * import another adapter. See docs/adapters.md.
 */
import type { Request, Response, Router } from 'express';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AuditEventInput } from './audit-event.js';
import type { GatewayError } from './errors.js';
import type { CanonicalIdentity, PersonAttribute } from './identity.js';
import type { Loa } from './loa.js';

export type Locale = 'ja' | 'en';
export type Localized = Readonly<Record<Locale, string>>;

/** What a source needs to know about the OIDC interaction it serves. */
export interface InteractionRef {
  readonly uid: string;
  readonly clientId: string;
  readonly locale: Locale;
  /** The minimum level the relying party asked for (acr_values or an essential acr claim). */
  readonly requiredLoa?: Loa;
  /** Person attributes the relying party asked for (scopes and claims parameter), before consent. */
  readonly requestedAttributes: readonly PersonAttribute[];
}

/** Encrypted, expiring storage for values that carry personal attributes (AES-GCM under the gateway's seal key). */
export interface SealedStore {
  put(namespace: string, key: string, value: unknown, ttlSeconds: number): Promise<void>;
  get<T = unknown>(namespace: string, key: string): Promise<T | undefined>;
  take<T = unknown>(namespace: string, key: string): Promise<T | undefined>;
  delete(namespace: string, key: string): Promise<void>;
}

/** Plain (unencrypted) expiring storage, scoped to the adapter instance. Never put personal attributes here. */
export interface AdapterStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  setIfAbsent(key: string, value: unknown, ttlSeconds?: number): Promise<boolean>;
  take<T = unknown>(key: string): Promise<T | undefined>;
  delete(key: string): Promise<void>;
}

/** Hand-off back to the core's interaction flow; the request must carry the browser's interaction cookie. */
export interface InteractionControl {
  /** The interaction the browser behind `req` is in. Throws a GatewayError when there is none. */
  current(req: Request, res: Response): Promise<InteractionRef>;
  /** The person is authenticated: continue to consent and back to the relying party. */
  finish(req: Request, res: Response, identity: CanonicalIdentity): Promise<void>;
  /** Authentication failed or was cancelled: the relying party gets an OAuth error. */
  fail(req: Request, res: Response, error: GatewayError): Promise<void>;
}

export interface AdapterKeys {
  /** A long-lived key pair of the adapter's own (e.g. a credential issuer key), created on first use and persisted. */
  keyPair(purpose: string, alg: 'ES256' | 'RS256'): Promise<{ privateJwk: JWK; publicJwk: JWK }>;
}

/**
 * A protected resource of a target that accepts the hub's access tokens (RFC 8707 resource indicator),
 * e.g. an OpenID4VCI credential endpoint. Only clients the target owns may obtain tokens for it.
 */
export interface ResourceServerInfo {
  /** Space-separated scopes the resource accepts. */
  readonly scope: string;
  /** `aud` of its access tokens; default: the resource indicator. */
  readonly audience?: string;
  readonly accessTokenFormat?: 'opaque' | 'jwt';
  /** Access token lifetime in seconds (default: the hub's). */
  readonly accessTokenTTL?: number;
  /** The person attributes a grant of these scopes discloses (shown on the consent page). */
  readonly attributes?: readonly PersonAttribute[];
}

/** A pre-authorized code grant (OpenID4VCI 1.0 §4.1.1) for an account that already logged in at the hub. */
export interface PreAuthorizeInput {
  readonly accountId: string;
  /** The (public) wallet client that will redeem the code; owned by the calling target. */
  readonly clientId: string;
  /** A resource indicator of the calling target's `resourceServers`. */
  readonly resource: string;
  /** Space-separated scopes of that resource. */
  readonly scope: string;
  /** Transaction code the wallet must send with the code. */
  readonly txCode?: string;
  readonly ttlSeconds: number;
}

export interface AdapterGrants {
  /** Mint a single-use pre-authorized code (the consent happened at the offer page). */
  preAuthorize(input: PreAuthorizeInput): Promise<string>;
}

export interface AdapterContext {
  /** Config name of this instance, e.g. `jpki`; also its route prefix `/a/<instanceId>`. */
  readonly instanceId: string;
  /** Absolute URL where the adapter's router is mounted (ends without a slash). */
  readonly baseUrl: string;
  /** The gateway's issuer URL. */
  readonly issuer: string;
  readonly devMode: boolean;
  readonly log: Logger;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly fetch: typeof fetch;
  readonly store: AdapterStore;
  readonly sealed: SealedStore;
  readonly keys: AdapterKeys;
  readonly interactions: InteractionControl;
  /** Record a security event (pseudonymous ids only). */
  readonly audit: (event: AuditEventInput) => Promise<void>;
  /** The sealed canonical identity behind an account id (for targets issuing from a hub login). */
  readonly accounts: { load(accountId: string): Promise<CanonicalIdentity | undefined> };
  /** Hub grants for targets that serve `resourceServers` (absent where the host does not provide them). */
  readonly grants?: AdapterGrants;
}

export interface SourceInstance {
  /** What the login page shows for this source. */
  readonly label: Localized;
  readonly description?: Localized;
  /** The highest level this source can deliver; the login page hides sources below the required level. */
  readonly maxLoa: Loa;
  /** Routes of the source, mounted at `/a/<instanceId>`. */
  readonly router?: Router;
  /** The user picked this source: render a page or redirect. */
  begin(interaction: InteractionRef, req: Request, res: Response): Promise<void>;
  close?(): Promise<void>;
}

export interface SourceAdapter<O = unknown> {
  readonly kind: 'source';
  /** Catalogue key used in config (`adapter: 'jpki'`). */
  readonly id: string;
  /** Refused when NODE_ENV=production (e.g. the demo source). */
  readonly devOnly?: boolean;
  readonly options: z.ZodType<O>;
  create(options: O, ctx: AdapterContext): SourceInstance | Promise<SourceInstance>;
}

/** Claims a target adds to the OIDC provider, with the scope that releases them. */
export interface ClaimContribution {
  readonly scope?: string;
  readonly claims: readonly string[];
}

/**
 * OAuth client metadata a target registers at the hub (same fields as a `clients[]` config entry,
 * see config/schema.ts `clientSchema`); validated by the core when the gateway starts.
 */
export type TargetClient = Readonly<Record<string, unknown>> & { readonly client_id: string };

export interface TargetInstance {
  /** Routes of the target, mounted at `/a/<instanceId>` (e.g. SAML SSO and metadata). */
  readonly router?: Router;
  readonly claims?: readonly ClaimContribution[];
  /**
   * Clients the target registers at the hub: its internal relying party (a SAML IdP or credential issuer
   * logging the user in through the hub), or the relying parties it serves with its own profile.
   * The target then "owns" these client ids: `mapClaims` and `formatSubject` apply to them.
   */
  readonly clients?: readonly TargetClient[];
  /**
   * Reshape the claims released to a client this target owns (after scope, consent and allowed_claims filtering
   * of the standard claims). Receives the canonical identity and the standard claims; returns the claims to release.
   */
  mapClaims?(
    identity: CanonicalIdentity,
    clientId: string,
    standard: Readonly<Record<string, unknown>>,
  ): Record<string, unknown>;
  /** Reformat the pairwise `sub` for a client this target owns (e.g. Singpass `u=<uuid>`). Must stay deterministic. */
  formatSubject?(pairwiseSub: string, clientId: string): string;
  /**
   * The `acr` vocabulary of the clients this target owns, one value per canonical level (e.g. Singpass
   * `urn:singpass:authentication:loa:N`). Their ID tokens carry these values, and their `acr_values`
   * requests are read with it. Published in discovery next to the hub's own values.
   */
  readonly acrValues?: Readonly<Record<Loa, string>>;
  /** Protected resources of this target by resource indicator (absolute URL); see ResourceServerInfo. */
  readonly resourceServers?: Readonly<Record<string, ResourceServerInfo>>;
  /** oidc-provider `features` entries this target needs (e.g. `openid4vci`), merged into the hub's configuration. */
  readonly providerFeatures?: Readonly<Record<string, unknown>>;
  close?(): Promise<void>;
}

export interface TargetAdapter<O = unknown> {
  readonly kind: 'target';
  readonly id: string;
  readonly devOnly?: boolean;
  readonly options: z.ZodType<O>;
  create(options: O, ctx: AdapterContext): TargetInstance | Promise<TargetInstance>;
}

/** Inference helpers. */
export const defineSourceAdapter = <O>(a: SourceAdapter<O>): SourceAdapter<O> => a;
export const defineTargetAdapter = <O>(a: TargetAdapter<O>): TargetAdapter<O> => a;
