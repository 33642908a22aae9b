// Storage transactions counted from Azurite's side: a counting HTTP proxy in front of its Blob,
// Queue and Table ports. Every request the worker sends to storage passes through it and is tallied
// by service and kind before it is forwarded unchanged, so the figure is what Azurite (and, on Azure,
// the bill) sees, whatever SDK retries or batching happened on the client. A proxy rather than
// Azurite's debug log: the log's format is not a stable interface, it is written for every request
// of every test that shares the instance, and it cannot be switched on for one measured window.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { azuriteConnectionString, type AzuriteInstance } from '../emulators/azurite';

export type StorageService = 'blob' | 'queue' | 'table';

export interface StorageCounts {
  total: number;
  byService: Record<StorageService, number>;
  /** 'table POST $batch', 'blob GET', 'queue DELETE messages', ...: what the requests were. */
  byKind: Record<string, number>;
}

export interface CountingProxy {
  /** A connection string whose endpoints are the proxy's. */
  connectionString: string;
  /** The counts since the last take (or the start), and a fresh tally from here. */
  take(): StorageCounts;
  stop(): Promise<void>;
}

function kindOf(service: StorageService, method: string, url: string): string {
  const path = url.split('?')[0];
  if (service === 'table') {
    if (path.endsWith('/$batch')) return 'table POST $batch';
    if (/\/Tables(\(|$)/.test(path)) return `table ${method} Tables`;
    return `table ${method} ${/\(PartitionKey=/.test(path) ? 'entity' : 'query'}`;
  }
  if (service === 'queue') return `queue ${method} ${path.includes('/messages') ? 'messages' : 'queue'}`;
  const comp = /[?&]comp=([a-z]+)/.exec(url)?.[1];
  return `blob ${method}${comp ? ` ${comp}` : ''}`;
}

function empty(): StorageCounts {
  return { total: 0, byService: { blob: 0, queue: 0, table: 0 }, byKind: {} };
}

async function proxyTo(
  target: URL,
  service: StorageService,
  tally: (service: StorageService, kind: string) => void,
): Promise<{ server: http.Server; url: string }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    tally(service, kindOf(service, req.method ?? 'GET', req.url ?? '/'));
    // The body is held (storage requests here are small) so a request whose pooled connection
    // Azurite had just closed can be sent again on a fresh one, as a direct client's retry would.
    const body: Buffer[] = [];
    req.on('data', (piece: Buffer) => body.push(piece));
    req.on('end', () => send(1));
    const send = (attemptsLeft: number): void => {
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (error) => {
        if (attemptsLeft > 0 && !res.headersSent) return send(attemptsLeft - 1);
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(Buffer.concat(body));
    };
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // Same account path as Azurite's, so shared-key signatures (which cover the path) still match.
  return { server, url: `http://127.0.0.1:${port}${target.pathname}` };
}

export async function startCountingProxy(
  azurite: Pick<AzuriteInstance, 'blobUrl' | 'queueUrl' | 'tableUrl'>,
): Promise<CountingProxy> {
  let current = empty();
  const tally = (service: StorageService, kind: string): void => {
    current.total += 1;
    current.byService[service] += 1;
    current.byKind[kind] = (current.byKind[kind] ?? 0) + 1;
  };
  const [blob, queue, table] = await Promise.all([
    proxyTo(new URL(azurite.blobUrl), 'blob', tally),
    proxyTo(new URL(azurite.queueUrl), 'queue', tally),
    proxyTo(new URL(azurite.tableUrl), 'table', tally),
  ]);
  return {
    connectionString: azuriteConnectionString(blob.url, queue.url, table.url),
    take: () => {
      const out = current;
      current = empty();
      return out;
    },
    stop: async () => {
      for (const s of [blob, queue, table]) {
        s.server.closeAllConnections();
        await new Promise<void>((resolve) => s.server.close(() => resolve()));
      }
    },
  };
}
