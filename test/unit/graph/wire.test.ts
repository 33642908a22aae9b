// The wire Graph requests with whole answers travel on (src/graph/wire.ts), through `exchange`,
// against the emulators' HTTPS server (no Keep-Alive hint, idle connections kept, as Graph's front
// ends do: see test/emulators/server.test.ts).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import { ensureTls } from '../../../emulators/shared/tls';
import { EmulatorServer, json } from '../../../emulators/shared/server';
import { exchange, type GraphHttpContext } from '../../../src/graph/http';
import { createLogger, setLogSink } from '../../../src/log/logger';
import { systemClock } from '../../../src/runtime/clock';
import { DEFAULT_RETRY_POLICY } from '../../../src/runtime/retry';

/** An HTTPS server that answers a PUT the moment its body is in, and counts its connections. */
const QUICK_SERVER = `
const server = require('node:https').createServer({ key: process.env.KEY_PEM, cert: process.env.CERT_PEM }, (req, res) => {
  let size = 0;
  req.on('data', (piece) => (size += piece.length));
  req.on('end', () => res.writeHead(200 + (req.method === 'PUT'), { 'content-type': 'application/json' })
    .end(JSON.stringify(req.method === 'PUT' ? { size, length: req.headers['content-length'] ?? null } : { connections })));
});
let connections = 0;
server.keepAliveTimeout = 0;
server.on('secureConnection', () => (connections += 1));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

function context(overrides: Partial<GraphHttpContext> = {}): GraphHttpContext {
  return {
    clock: systemClock,
    retry: DEFAULT_RETRY_POLICY,
    log: createLogger(),
    requestTimeoutMs: 5_000,
    deadline: Number.MAX_SAFE_INTEGER,
    ...overrides,
  };
}

describe('the Graph wire', () => {
  const server = new EmulatorServer('wire');
  server.route('PUT', '/sink', (req) => json(201, { size: req.body.length, first: req.body[0] }));
  server.route('GET', '/moved', () => ({ status: 302, body: undefined, headers: { location: '/target' } }));
  server.route('GET', '/target', (req) =>
    json(200, { at: 'target', auth: req.headers.authorization ?? null }),
  );
  server.route('GET', '/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 800));
    return json(200, {});
  });

  let restoreSink: () => void;
  beforeAll(async () => {
    const previous = setLogSink(() => undefined);
    restoreSink = () => setLogSink(previous);
    await server.start();
  });
  afterAll(async () => {
    restoreSink();
    await server.stop();
  });

  // Every small file is two Graph requests: a new TLS connection for each would cost more than the
  // request. The server runs in a process of its own, answering the moment a body is in, as a
  // quick front end does (in this process it could not answer before the client yields).
  it('keeps the connection for the next request, for bodies sent at once and in pieces', async () => {
    const tls = ensureTls();
    const quick = spawn(process.execPath, ['-e', QUICK_SERVER], {
      env: { ...process.env, KEY_PEM: tls.keyPem, CERT_PEM: tls.certPem },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: quick.stdout! })[Symbol.asyncIterator]();
      const port = Number((await lines.next()).value);
      const url = `https://127.0.0.1:${port}/sink`;
      for (const size of [64 * 1024, 256 * 1024, 1024 * 1024, 3 * 1024 * 1024]) {
        const body = new Uint8Array(size).fill(7);
        for (let i = 0; i < 10; i += 1) {
          const result = await exchange(context(), { method: 'PUT', url, body });
          // Announced, not chunked: an upload session refuses a chunk without its length.
          expect(result).toMatchObject({ kind: 'ok', status: 201, body: { size, length: String(size) } });
        }
      }
      const counted = await exchange(context(), {
        method: 'GET',
        url: `https://127.0.0.1:${port}/connections`,
      });
      expect(counted).toMatchObject({ kind: 'ok' });
      if (counted.kind === 'ok')
        expect((counted.body as { connections: number }).connections).toBeLessThanOrEqual(2);
    } finally {
      quick.kill();
    }
  });

  it('follows a redirect the caller did not ask to read, and hands one back when it did', async () => {
    const request = {
      method: 'GET' as const,
      url: `${server.baseUrl}/moved`,
      headers: { authorization: 'Bearer token' },
    };
    const followed = await exchange(context(), request);
    expect(followed).toMatchObject({ kind: 'ok', status: 200, body: { at: 'target' } });
    const read = await exchange(context(), { ...request, redirect: 'manual' });
    expect(read).toMatchObject({ kind: 'ok', status: 302 });
    if (read.kind === 'ok') expect(read.headers.get('location')).toBe('/target');
  });

  it('reads headers by name whatever their case', async () => {
    const result = await exchange(context(), { method: 'PUT', url: `${server.baseUrl}/sink`, body: 'x' });
    if (result.kind !== 'ok') throw new Error(`unexpected ${result.kind}`);
    expect(result.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(result.headers.get('x-not-there')).toBeNull();
  });

  it('answers a refused connection and a timeout as network failures with their reason', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const refused = await exchange(context(), { method: 'GET', url: `https://127.0.0.1:${closed}/x` });
    expect(refused).toEqual({ kind: 'network', detail: 'ECONNREFUSED' });
    const slow = await exchange(context({ requestTimeoutMs: 300 }), {
      method: 'GET',
      url: `${server.baseUrl}/slow`,
    });
    expect(slow.kind).toBe('network');
    if (slow.kind === 'network') expect(slow.detail).toMatch(/timeout|aborted/i);
  });
});
