/**
 * The benchmark registry: named cases (a target to start and the workload to
 * drive against it) and suites (an order of cases plus the comparisons and
 * goals to report). JPKI verification and eIDAS SAML are micro benchmarks (bench/micro.ts), not cases here.
 */
import { startBareProvider } from './targets/bare-provider.js';
import { makeBenchClient } from './targets/client.js';
import { startGateway } from './targets/gateway.js';
import type { WorkloadSpec } from './workloads/index.js';

export interface RunningTarget {
  workload: WorkloadSpec;
  close(): Promise<void>;
}

export interface BenchCase {
  name: string;
  description: string;
  start(): Promise<RunningTarget>;
}

export interface Comparison {
  /** The case measured against `baseline`. */
  subject: string;
  baseline: string;
  /** Goal: subject flows/s >= minRatio x baseline flows/s. */
  minRatio?: number;
  /** Goal: subject p99 latency below this, ms. */
  maxP99Ms?: number;
}

export interface Suite {
  description: string;
  /** Cases in run order; a name listed twice is run twice and the runs are averaged. */
  sequence: string[];
  comparisons: Comparison[];
}

export const cases: Readonly<Record<string, BenchCase>> = {
  'gateway-login': {
    name: 'gateway-login',
    description:
      'full login through the gateway (authorize, interaction, consent, code, token, userinfo): demo source, SQLite, sealed identity, audit',
    start: async () => startGateway(await makeBenchClient()),
  },
  'gateway-login-pages': {
    name: 'gateway-login-pages',
    description: 'as gateway-login, plus the source picker page and the demo sign-in page (the product UI)',
    start: async () => startGateway(await makeBenchClient(), { flow: 'pages' }),
  },
  'gateway-login-memory': {
    name: 'gateway-login-memory',
    description: 'as gateway-login, with the in-memory store instead of SQLite (diagnostic)',
    start: async () => startGateway(await makeBenchClient(), { store: 'memory' }),
  },
  'gateway-jpki-login': {
    name: 'gateway-jpki-login',
    description:
      'full login with a virtual My Number Card (JPKI challenge signed by the card client, both certificates, OCSP, basic four, acr high), consent, code, token, userinfo',
    start: async () => startGateway(await makeBenchClient(), { source: 'jpki' }),
  },
  'bare-oidc-login': {
    name: 'bare-oidc-login',
    description: 'full login against bare oidc-provider, in-memory adapter, auto-approving interaction',
    start: async () => startBareProvider(await makeBenchClient()),
  },
  'bare-oidc-login-consent': {
    name: 'bare-oidc-login-consent',
    description:
      "as bare-oidc-login, in the gateway's flow shape: a consent page whose form posts to the resume URL (diagnostic)",
    start: async () => startBareProvider(await makeBenchClient(), { consent: true }),
  },
  'bare-oidc-login-consent-sqlite': {
    name: 'bare-oidc-login-consent-sqlite',
    description:
      "as bare-oidc-login-consent, with oidc-provider's records in SQLite through the gateway's storage adapter: the flow shape and persistence the issue requires, nothing else (diagnostic)",
    start: async () => startBareProvider(await makeBenchClient(), { consent: true, store: 'sqlite' }),
  },
};

export const suites: Readonly<Record<string, Suite>> = {
  'gateway-core': {
    description: 'Gateway core (issue "Gateway core"): gateway vs bare oidc-provider',
    sequence: ['gateway-login', 'bare-oidc-login', 'gateway-login'],
    comparisons: [{ subject: 'gateway-login', baseline: 'bare-oidc-login', minRatio: 0.8, maxP99Ms: 100 }],
  },
  'jpki-login': {
    description:
      'JPKI source (issue "JPKI source"): the full card login within the core goal vs bare oidc-provider',
    // The demo login goes first: the first run in a process also warms the gateway code all cases share,
    // and both JPKI runs (which are averaged) should find it warm.
    sequence: ['gateway-login', 'gateway-jpki-login', 'bare-oidc-login', 'gateway-jpki-login'],
    comparisons: [
      { subject: 'gateway-jpki-login', baseline: 'bare-oidc-login', minRatio: 0.8, maxP99Ms: 100 },
      { subject: 'gateway-jpki-login', baseline: 'gateway-login' },
    ],
  },
  'gateway-breakdown': {
    description:
      'Where the gateway/bare gap comes from: SQLite vs memory store, the consent step on bare oidc-provider, and the extra UI pages',
    sequence: [
      'gateway-login',
      'gateway-login-memory',
      'bare-oidc-login-consent',
      'gateway-login-pages',
      'bare-oidc-login',
    ],
    comparisons: [
      { subject: 'gateway-login', baseline: 'gateway-login-memory' },
      { subject: 'gateway-login-memory', baseline: 'bare-oidc-login-consent' },
      { subject: 'bare-oidc-login-consent', baseline: 'bare-oidc-login' },
      { subject: 'gateway-login-pages', baseline: 'bare-oidc-login' },
      { subject: 'gateway-login-memory', baseline: 'bare-oidc-login' },
    ],
  },
  'core-floor': {
    description:
      "How close to 0.8 a gateway can get at all: bare oidc-provider with only the issue's flow shape (consent page) and persistence (SQLite), against bare oidc-provider and the gateway",
    sequence: [
      'bare-oidc-login',
      'bare-oidc-login-consent',
      'bare-oidc-login-consent-sqlite',
      'gateway-login',
    ],
    comparisons: [
      { subject: 'bare-oidc-login-consent', baseline: 'bare-oidc-login' },
      { subject: 'bare-oidc-login-consent-sqlite', baseline: 'bare-oidc-login' },
      { subject: 'gateway-login', baseline: 'bare-oidc-login-consent-sqlite' },
      { subject: 'gateway-login', baseline: 'bare-oidc-login', minRatio: 0.8, maxP99Ms: 100 },
    ],
  },
};

export const DEFAULT_SUITE = 'gateway-core';
