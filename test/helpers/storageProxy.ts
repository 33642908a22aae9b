// A pass-through HTTP proxy in front of the run's Azurite blob service that records every request,
// so a test counts the storage requests a handler makes on the wire instead of trusting the code's
// own account of them. The shared Azurite serves every test worker at once, so its own log cannot
// tell one test's requests from another's; a proxy per test can. Shared Key signatures do not cover
// the Host header, so requests signed for the proxy's address are accepted by Azurite unchanged.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { azuriteConnectionString } from './azurite';

export interface StorageRequest {
  method: string;
  /** Path and query, as sent (`comp=list` for a listing, the blob's path for a read). */
  url: string;
  /** The If-Match condition a read was pinned to, if any. */
  ifMatch?: string;
  /** The x-ms-version the request named. */
  version?: string;
}

export interface CountingBlobProxy {
  /** Azurite's connection string with the blob endpoint pointing at the proxy. */
  connectionString: string;
  /** Every blob request seen so far, in order. */
  requests: StorageRequest[];
  stop(): Promise<void>;
}

export async function startCountingBlobProxy(): Promise<CountingBlobProxy> {
  const connection = azuriteConnectionString();
  const blob = new URL(/BlobEndpoint=([^;]+)/.exec(connection)![1]);
  const requests: StorageRequest[] = [];
  const server = createServer((req, res) => {
    const ifMatch = req.headers['if-match'];
    const version = req.headers['x-ms-version'] as string | undefined;
    requests.push({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      ...(ifMatch ? { ifMatch } : {}),
      ...(version ? { version } : {}),
    });
    const upstream = request(
      { host: blob.hostname, port: blob.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: connection.replace(
      /BlobEndpoint=[^;]+/,
      `BlobEndpoint=http://127.0.0.1:${port}${blob.pathname}`,
    ),
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
