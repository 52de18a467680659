/** CRLs over HTTP for the revocation tests: GET /<name> answers what `find` gives for the name, else 404. */
import { createServer } from 'node:http';

export interface CrlServer {
  /** The server's URL with a trailing slash: a CRL's URL is `base + name`. */
  readonly base: string;
  close(): Promise<void>;
}

export async function serveCrls(
  find: (
    name: string,
  ) => Promise<Uint8Array | ArrayBuffer | undefined> | Uint8Array | ArrayBuffer | undefined,
): Promise<CrlServer> {
  const server = createServer((req, res) => {
    // Only a plain file name: no path separators, nothing to climb out of a directory with.
    Promise.resolve(find((req.url ?? '').replace(/[^\w.-]/g, ''))).then(
      (body) =>
        body
          ? res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(new Uint8Array(body))
          : res.writeHead(404).end(),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
