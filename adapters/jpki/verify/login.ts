/**
 * The JPKI login verification pipeline, as a table of named steps run in order.
 * The authentication certificate's steps come first, so a signing certificate
 * is never looked at unless the authentication key proved possession of a valid,
 * unrevoked card. The signing key must sign the SAME challenge.
 */
import 'reflect-metadata';
import type { X509Certificate } from '@peculiar/x509';
import type { AdapterStore } from '../../../src/core/adapter.js';
import type { CanonicalIdentity, Evidence } from '../../../src/core/identity.js';
import { jpkiError } from '../errors.js';
import { parseSigningAttributes, type SigningAttributes } from './attributes.js';
import { factsOf } from './certificate.js';
import { type CertificateCache, sharedCertificateCache } from './certificate-cache.js';
import { buildChain, type CertKind } from './chain.js';
import { checkSignatureLength, encodeBase64Url } from './der.js';
import {
  checkRevocation,
  type OnUnreachable,
  type RevocationChecker,
  type RevocationOutcome,
} from './revocation.js';
import { verifyChallengeSignature } from './signature.js';
import { issuerSerialOf, type LinkageService, normaliseSerial, resolveSubject } from './subject.js';

export interface JpkiLoginInput {
  /** The exact bytes both keys signed. */
  challenge: Uint8Array;
  authCertificate: Uint8Array;
  authSignature: Uint8Array;
  signCertificate?: Uint8Array;
  signSignature?: Uint8Array;
}

export interface JpkiVerifyDeps {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Pinned user-authentication CA roots (all generations). */
  authAnchors: readonly X509Certificate[];
  /** Pinned digital-signature CA roots (all generations). */
  signAnchors: readonly X509Certificate[];
  policies: { auth: readonly string[]; sign: readonly string[] };
  revocation: RevocationChecker;
  onUnreachable: OnUnreachable;
  linkage: LinkageService;
  /** Refuse a signing certificate whose link to the authentication certificate is unknown (default true). */
  requireHolderLinkage?: boolean;
  /** Adapter store for the renewed-card subject mapping. */
  store: AdapterStore;
  /** Adapter instance id: `subject.issuer` and `authentication.source`. */
  instanceId: string;
  /** Parsed-certificate cache (default: the process-wide one); `new CertificateCache(0)` parses every time. */
  certificateCache?: CertificateCache;
}

interface CertState {
  cert: X509Certificate;
  signature: Uint8Array;
  issuer?: X509Certificate;
  revocation?: RevocationOutcome;
}

interface LoginState {
  readonly input: JpkiLoginInput;
  auth?: CertState;
  sign?: CertState;
  attributes?: SigningAttributes;
  subject?: string;
}

interface Step {
  readonly name: string;
  readonly when?: (s: LoginState) => boolean;
  readonly run: (s: LoginState, deps: JpkiVerifyDeps) => Promise<void>;
}

const hasSign = (s: LoginState): boolean => s.input.signCertificate !== undefined;

function need<T>(value: T | undefined): T {
  if (value === undefined) throw jpkiError('ERR_JPKI_MALFORMED');
  return value;
}

const anchorsFor = (kind: CertKind, deps: JpkiVerifyDeps) =>
  kind === 'auth' ? deps.authAnchors : deps.signAnchors;

function chainStep(kind: CertKind): Step {
  return {
    name: `${kind}-chain`,
    run: async (s, deps) => {
      const c = need(s[kind]);
      c.issuer = await buildChain(c.cert, anchorsFor(kind, deps), {
        now: deps.now(),
        kind,
        policies: deps.policies[kind],
        otherKindAnchors: anchorsFor(kind === 'auth' ? 'sign' : 'auth', deps),
      });
    },
  };
}

function revocationStep(kind: CertKind): Step {
  return {
    name: `${kind}-revocation`,
    run: async (s, deps) => {
      const c = need(s[kind]);
      c.revocation = await checkRevocation(
        deps.revocation,
        c.cert,
        need(c.issuer),
        deps.onUnreachable,
        deps.now,
      );
    },
  };
}

/** The verification steps in order; exported so tests and docs can name them. */
export const JPKI_LOGIN_STEPS: readonly Step[] = [
  {
    name: 'parse',
    run: async (s, deps) => {
      const { authCertificate, authSignature, signCertificate, signSignature } = s.input;
      if ((signCertificate === undefined) !== (signSignature === undefined))
        throw jpkiError('ERR_JPKI_MALFORMED');
      const cache = deps.certificateCache ?? sharedCertificateCache;
      s.auth = { cert: cache.parse(authCertificate).cert, signature: checkSignatureLength(authSignature) };
      if (signCertificate && signSignature) {
        s.sign = {
          cert: cache.parse(signCertificate).cert,
          signature: checkSignatureLength(signSignature),
        };
      }
    },
  },
  {
    name: 'auth-signature',
    run: async (s) => verifyChallengeSignature(need(s.auth).cert, s.input.challenge, need(s.auth).signature),
  },
  chainStep('auth'),
  revocationStep('auth'),
  {
    name: 'sign-signature',
    when: hasSign,
    run: async (s) => verifyChallengeSignature(need(s.sign).cert, s.input.challenge, need(s.sign).signature),
  },
  { ...chainStep('sign'), when: hasSign },
  { ...revocationStep('sign'), when: hasSign },
  {
    name: 'holder-linkage',
    when: hasSign,
    run: async (s, deps) => {
      const linked = await deps.linkage.linkedAuthSerial(need(s.sign).cert);
      const authSerial = issuerSerialOf(need(s.auth).cert).serial;
      if (
        linked === undefined ? (deps.requireHolderLinkage ?? true) : normaliseSerial(linked) !== authSerial
      ) {
        throw jpkiError('ERR_JPKI_HOLDER_MISMATCH');
      }
    },
  },
  {
    name: 'attributes',
    when: hasSign,
    run: async (s) => {
      s.attributes = parseSigningAttributes(need(s.sign).cert);
    },
  },
  {
    name: 'subject',
    run: async (s, deps) => {
      s.subject = await resolveSubject(need(s.auth).cert, deps.linkage, deps.store);
    },
  },
];

/** Verify a card response to a challenge and build the canonical identity; throws the failing step's JpkiError. */
export async function verifyJpkiLogin(
  input: JpkiLoginInput,
  deps: JpkiVerifyDeps,
): Promise<CanonicalIdentity> {
  const state: LoginState = { input };
  for (const step of JPKI_LOGIN_STEPS) {
    if (step.when && !step.when(state)) continue;
    await step.run(state, deps);
  }
  return buildIdentity(state, deps);
}

function buildIdentity(s: LoginState, deps: JpkiVerifyDeps): CanonicalIdentity {
  const auth = need(s.auth);
  const verifiedAt = Math.floor(deps.now() / 1000);
  const evidence: Evidence[] = [evidenceFor(auth, verifiedAt)];
  if (s.sign) evidence.push(evidenceFor(s.sign, verifiedAt));
  const extensions: Record<string, string | boolean> = {
    'jpki:certificateType': s.sign ? 'auth+sign' : 'auth',
    'jpki:revocation': revocationLabel(auth, s.sign),
  };
  if ([auth, s.sign].some((c) => c?.revocation?.status === 'unchecked'))
    extensions['jpki:revocationUnchecked'] = true;
  return {
    subject: { id: need(s.subject), issuer: deps.instanceId },
    authentication: {
      source: deps.instanceId,
      loa: 'high',
      amr: ['hwk', 'pin', 'sc'],
      authTime: verifiedAt,
      evidence,
    },
    person: s.attributes?.person ?? {},
    verified: s.attributes?.verified ?? [],
    extensions,
  };
}

function revocationLabel(auth: CertState, sign: CertState | undefined): string {
  const sources = [auth, sign].flatMap((c) => (c?.revocation ? [c.revocation.source] : []));
  return [...new Set(sources)].join('+');
}

/** Evidence names the CA and the certificate's SHA-256 thumbprint; the certificate itself is never kept. */
function evidenceFor(c: CertState, verifiedAt: number): Evidence {
  return {
    type: 'x509',
    trustFramework: 'jp_jpki',
    documentType: 'jp_individual_number_card',
    issuer: need(c.issuer).subject,
    thumbprint: encodeBase64Url(factsOf(c.cert).sha256),
    verifiedAt,
  };
}
