/**
 * eIDAS proxy service across two gateway instances on one Redis, each with its own data directory: an EU
 * connector (node-saml) takes the metadata from B and sends its AuthnRequest to A; the browser's requests
 * alternate (the demo login, consent, and the hub's redirect back to the eIDAS target's `/callback` on B),
 * and the signed, encrypted response must satisfy the connector, which trusts the certificate B published.
 *
 * The SAML keys are configuration (the same files on every instance); what the instances must agree on
 * besides is the target's private_key_jwt client of the gateway's own hub (`eidas:hub-client`, derived from
 * the pepper): B's hub client redeems at A's token endpoint a code issued for the client A registered.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/redis.js';
import type { GatewayProcess } from '../../helpers/spawn-gateway.js';
import { eidasProxyTarget } from '../eidas/fixtures.js';
import { samlLogin } from '../eidas/flow.js';
import { type Connector, makeConnector, NP, rsaKeyPair } from '../eidas/support.js';
import { balance } from './balancer.js';
import { type Pair, pairAddress, spawnPair } from './pair.js';

const haveRedis = await redisAvailable();
let pair: Pair;
let a: GatewayProcess;
let b: GatewayProcess;
let issuer: string;
let connector: Connector;
let idpCertPem: string;

/** The base64 bodies of the X509Certificate elements of a metadata document. */
const certsOf = (xml: string) =>
  [...xml.matchAll(/<(?:\w+:)?X509Certificate>([^<]+)</g)].map((m) => m[1]!.trim());

describe.skipIf(!haveRedis)('eIDAS proxy service across two instances (request at A, callback at B)', () => {
  beforeAll(async () => {
    const address = await pairAddress();
    issuer = address.issuer;
    const idpKeys = await rsaKeyPair('Kakehashi eIDAS proxy service');
    idpCertPem = idpKeys.certPem;
    connector = await makeConnector(
      { ssoUrl: `${issuer}/a/eidas/sso`, entityId: `${issuer}/a/eidas/metadata`, certPem: idpKeys.certPem },
      'connector-de',
    );
    pair = await spawnPair(
      {
        sources: [{ adapter: 'demo', name: 'demo', options: { loa: 'substantial' } }],
        targets: [eidasProxyTarget(idpKeys, connector)],
      },
      { address },
    );
    ({ a, b } = pair);
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
  });

  /** One login from the connector; returns the validated profile and who served what. */
  async function login() {
    const lb = balance(pair, ({ path }) => {
      if (path === '/a/eidas/sso') return 'A';
      if (path === '/a/eidas/callback') return 'B';
      if (path === '/a/eidas/metadata') return 'B';
      return undefined;
    });
    try {
      // The connector's view of the proxy service: B's metadata.
      const metadata = await (await fetch(`${issuer}/a/eidas/metadata`)).text();
      const published = certsOf(metadata).map((c) => new X509Certificate(Buffer.from(c, 'base64')));
      expect(published.some((c) => c.fingerprint256 === new X509Certificate(idpCertPem).fingerprint256)).toBe(
        true,
      );
      const saml = connector.saml();
      const posted = await samlLogin(
        await saml.getAuthorizeUrlAsync('relay-multi', undefined, {}),
        connector.acsUrl,
      );
      expect(posted.RelayState).toBe('relay-multi');
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.SAMLResponse });
      return { profile, served: [...lb.served], log: lb.log() };
    } finally {
      lb.restore();
    }
  }

  it('answers at B the AuthnRequest A took; the connector accepts the response; same PersonIdentifier twice', async () => {
    const first = await login();
    const by = (p: string) => first.served.filter((s) => s.path === p).map((s) => s.by);
    expect(by('/a/eidas/sso'), first.log).toEqual(['A']);
    expect(by('/a/eidas/callback'), first.log).toEqual(['B']);
    expect(new Set(first.served.map((s) => s.by))).toEqual(new Set(['A', 'B']));
    const attr = (n: string) => (first.profile as Record<string, unknown>)[`${NP}${n}`];
    expect(first.profile?.nameID).toMatch(/^JP\/DE\/[A-Za-z0-9_-]{20,}$/);
    expect(attr('DateOfBirth')).toBe('1990-04-01');
    const second = await login();
    expect(second.profile?.nameID).toBe(first.profile?.nameID);
  });

  it('both instances publish the same signing certificate in their metadata', async () => {
    const [ma, mb] = await Promise.all(
      [a, b].map(async (g) => (await fetch(`${g.url}/a/eidas/metadata`)).text()),
    );
    expect(certsOf(ma).sort()).toEqual(certsOf(mb).sort());
  });
});
