/**
 * The eIDAS peers and gateway configuration shared by the eIDAS tests here and the two-instance ones in
 * ../multi-instance (not a test file).
 */
import { createServer } from 'node:http';
import { freePort } from '../../helpers/gateway.js';
import type { Connector, TestKeyPair } from './support.js';
import { makeTestNode, type TestNode } from './test-node.js';

/** A test eIDAS node whose signed metadata is served over HTTP on loopback at `node.entityId`. */
export async function serveTestNode(): Promise<{ node: TestNode; close(): Promise<void> }> {
  const nodePort = await freePort();
  const node = await makeTestNode(`http://127.0.0.1:${nodePort}`);
  const server = createServer((req, res) => {
    if (req.url === '/metadata')
      res.setHeader('content-type', 'application/samlmetadata+xml').end(node.metadata());
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(nodePort, '127.0.0.1', r));
  return { node, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The connector SP source `eu` (adapter `eidas-node`): the node's metadata by URL, pinned to its signer. */
export function eidasNodeSource(node: TestNode, spKeys: TestKeyPair) {
  return {
    adapter: 'eidas-node',
    name: 'eu',
    options: {
      node: { metadataUrl: node.entityId, metadataSigningCert: node.metadataSigning.certPem },
      signing: { key: spKeys.keyPem, cert: spKeys.certPem },
    },
  };
}

/** The proxy service target `eidas` (adapter `eidas`) signing with `idpKeys`, trusting one DE connector. */
export function eidasProxyTarget(idpKeys: TestKeyPair, connector: Connector) {
  return {
    adapter: 'eidas',
    name: 'eidas',
    options: {
      signing: { key: idpKeys.keyPem, cert: idpKeys.certPem },
      connectors: [{ metadata: connector.metadata, country: 'DE' }],
    },
  };
}
