// The range-read HTTP client against servers that write exact bytes: heads and bodies split at odd
// places, chunked bodies, keep-alive, cuts, errors, aborts, TLS. Each body must land in the
// caller's buffer byte for byte, and every failure must be one the storage retry policy retries
// (a RestError with a network code) or an abort, never a short read taken for the whole.
// HTTP/1.1 message framing: RFC 9112 (https://www.rfc-editor.org/rfc/rfc9112), section 6.
import { randomBytes } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  isRestError,
} from '@azure/core-rest-pipeline';
import { ensureTls } from '../../emulators/shared/tls';
import { closeIdleConnections, intoBuffer, type BodyTarget } from '../../src/sources/socketHttpClient';

type Handler = (socket: Socket, request: string) => void | Promise<void>;

interface RawServer {
  url: string;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/**
 * A server that hands each request's head (read whole) to `handler`, on one socket or many; closed
 * after the test.
 */
async function rawServer(handler: Handler, tls = false): Promise<RawServer> {
  const state = { connections: 0, requests: [] as string[] };
  const onSocket = (socket: Socket): void => {
    state.connections += 1;
    let pending = '';
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        state.requests.push(head);
        void handler(socket, head);
      }
    });
    socket.on('error', () => undefined);
  };
  const { certPem, keyPem } = ensureTls();
  const server: Server = tls
    ? createTlsServer({ cert: certPem, key: keyPem }, onSocket)
    : createNetServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const raw: RawServer = {
    url: `${tls ? 'https' : 'http'}://${tls ? 'localhost' : '127.0.0.1'}:${port}/account/box/blob`,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    // The client keeps idle connections, which a server's close waits for.
    close: () => {
      closeIdleConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  started.push(raw);
  return raw;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `bytes` in pieces of the given sizes (cycled), each after a short pause. */
async function writeInPieces(socket: Socket, bytes: Buffer, sizes: number[]): Promise<void> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length];
    socket.write(bytes.subarray(at, at + size));
    at += size;
    await pause(1);
  }
}

const head = (status: string, headers: Record<string, string>): Buffer =>
  Buffer.from(
    `HTTP/1.1 ${status}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`,
    'latin1',
  );

function get(url: string, body: BodyTarget, abortSignal?: AbortSignal) {
  return intoBuffer(body).sendRequest(
    createPipelineRequest({
      url,
      method: 'GET',
      headers: createHttpHeaders({ 'x-ms-range': 'bytes=0-99' }),
      abortSignal,
      allowInsecureConnection: true,
    }),
  );
}

/** Every server a test started, closed after it (the client's idle connections first). */
const started: RawServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
  closeIdleConnections();
});

describe('socketHttpClient', () => {
  it('puts a body split at odd places, head included, into the target byte for byte', async () => {
    const data = randomBytes(300_000);
    const server = await rawServer((socket) =>
      writeInPieces(
        socket,
        Buffer.concat([head('206 Partial Content', { 'Content-Length': String(data.length) }), data]),
        [1, 7, 13, 70_000, 3, 65_536],
      ),
    );
    const body = { target: Buffer.alloc(data.length + 10), filled: 0 };
    const response = await get(server.url, body);
    expect(response.status).toBe(206);
    expect(body.filled).toBe(data.length);
    expect(body.target.subarray(0, data.length).equals(data)).toBe(true);
    expect(server.requests[0]).toMatch(/^GET \/account\/box\/blob HTTP\/1\.1\r\n/);
    expect(server.requests[0]).toMatch(/\r\nx-ms-range: bytes=0-99(\r\n|$)/);
    expect(server.requests[0]).toMatch(/\r\nhost: 127\.0\.0\.1:\d+(\r\n|$)/);
  });

  it('keeps the connection for the next request, and opens a new one once the server closed it', async () => {
    const server = await rawServer((socket, request) => {
      const close = request.includes('close-after');
      socket.write(
        Buffer.concat([
          head('200 OK', { 'Content-Length': '3', ...(close ? { Connection: 'close' } : {}) }),
          Buffer.from('abc'),
        ]),
      );
      if (close) socket.end();
    });
    const read = async (url: string) => {
      const body = { target: Buffer.alloc(3), filled: 0 };
      await get(url, body);
      return body.target.toString();
    };
    expect([await read(server.url), await read(server.url)]).toEqual(['abc', 'abc']);
    expect(server.connections).toBe(1);
    expect(await read(`${server.url}?close-after`)).toBe('abc');
    expect(await read(server.url)).toBe('abc');
    expect(server.connections).toBe(2);
  });

  it('reads a chunked body', async () => {
    const server = await rawServer((socket) =>
      writeInPieces(
        socket,
        Buffer.concat([
          head('200 OK', { 'Transfer-Encoding': 'chunked' }),
          Buffer.from('5;ext=1\r\nhello\r\n1\r\n \r\na\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n'),
        ]),
        [2, 5, 1],
      ),
    );
    const body = { target: Buffer.alloc(64), filled: 0 };
    await get(server.url, body);
    expect(body.target.subarray(0, body.filled).toString()).toBe('hello 0123456789');
  });

  it('a body cut before its Content-Length is a retryable network error, not a short read', async () => {
    const server = await rawServer((socket) => {
      socket.write(
        Buffer.concat([head('206 Partial Content', { 'Content-Length': '100' }), Buffer.alloc(40)]),
      );
      socket.destroy();
    });
    const error = await get(server.url, { target: Buffer.alloc(100), filled: 0 }).catch((e: unknown) => e);
    expect(isRestError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('a body longer than the target fails instead of writing past it', async () => {
    const server = await rawServer((socket) => {
      socket.write(Buffer.concat([head('200 OK', { 'Content-Length': '20' }), Buffer.alloc(20, 1)]));
    });
    const target = Buffer.alloc(30);
    const body = { target: target.subarray(0, 10), filled: 0 };
    await expect(get(server.url, body)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(target.subarray(10).every((b) => b === 0)).toBe(true);
  });

  it('answers an error status with its headers and body as text, leaving the target alone', async () => {
    const xml = '<?xml version="1.0"?><Error><Code>ConditionNotMet</Code></Error>';
    const server = await rawServer((socket) => {
      socket.write(
        Buffer.concat([
          head('412 The condition specified using HTTP conditional header(s) is not met.', {
            'Content-Length': String(xml.length),
            'x-ms-error-code': 'ConditionNotMet',
          }),
          Buffer.from(xml),
        ]),
      );
    });
    const body = { target: Buffer.alloc(10), filled: 0 };
    const response = await get(server.url, body);
    expect(response.status).toBe(412);
    expect(response.headers.get('x-ms-error-code')).toBe('ConditionNotMet');
    expect(response.bodyAsText).toBe(xml);
    expect(body.filled).toBe(0);
  });

  it('refuses an answer that is not HTTP/1', async () => {
    const server = await rawServer((socket) => void socket.write('SSH-2.0-OpenSSH\r\n\r\n'));
    await expect(get(server.url, { target: Buffer.alloc(10), filled: 0 })).rejects.toMatchObject({
      code: 'ECONNRESET',
      message: expect.stringMatching(/status line/),
    });
  });

  it('an abort mid-body ends the read with an AbortError', async () => {
    const server = await rawServer((socket) => {
      socket.write(Buffer.concat([head('200 OK', { 'Content-Length': '100' }), Buffer.alloc(10)]));
    });
    const controller = new AbortController();
    const reading = get(server.url, { target: Buffer.alloc(100), filled: 0 }, controller.signal);
    await pause(50);
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a request the pipeline routes through a proxy goes to the proxy (the SDK’s client), its body into the target', async () => {
    const data = randomBytes(50_000);
    const proxy = await rawServer(
      (socket) =>
        void socket.write(
          Buffer.concat([head('206 Partial Content', { 'Content-Length': String(data.length) }), data]),
        ),
    );
    const body = { target: Buffer.alloc(data.length), filled: 0 };
    // As the source's pipeline is built, with a proxy set the way HTTPS_PROXY would set it.
    const pipeline = createPipelineFromOptions({
      proxyOptions: { host: 'http://127.0.0.1', port: Number(new URL(proxy.url).port) },
    });
    const response = await pipeline.sendRequest(
      intoBuffer(body),
      createPipelineRequest({
        url: 'http://blob.example.invalid/account/box/blob',
        method: 'GET',
        allowInsecureConnection: true,
      }),
    );
    expect(response.status).toBe(206);
    expect(body.filled).toBe(data.length);
    expect(body.target.equals(data)).toBe(true);
    // A forward proxy is asked for the absolute URL.
    expect(proxy.requests[0]).toMatch(/^GET http:\/\/blob\.example\.invalid\/account\/box\/blob HTTP\/1\.1/);
  });

  it('skips interim answers (100, 103) before the final one', async () => {
    const server = await rawServer((socket) =>
      writeInPieces(
        socket,
        Buffer.concat([
          Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'),
          head('206 Partial Content', { 'Content-Length': '5' }),
          Buffer.from('hello'),
        ]),
        [3, 40, 9],
      ),
    );
    const body = { target: Buffer.alloc(5), filled: 0 };
    const response = await get(server.url, body);
    expect(response.status).toBe(206);
    expect(response.headers.get('link')).toBeUndefined();
    expect(body.target.toString()).toBe('hello');
  });

  it('a Connection header listing close among other options ends the connection', async () => {
    const server = await rawServer(
      (socket) =>
        void socket.write(
          Buffer.concat([
            head('200 OK', { 'Content-Length': '2', Connection: 'x-other, close' }),
            Buffer.from('ok'),
          ]),
        ),
    );
    for (let i = 0; i < 2; i++) await get(server.url, { target: Buffer.alloc(2), filled: 0 });
    expect(server.connections).toBe(2);
  });

  it('a server that goes silent is given up after the request timeout, as a retryable ETIMEDOUT', async () => {
    const server = await rawServer(
      (socket) => void socket.write(head('206 Partial Content', { 'Content-Length': '10' })),
    );
    const reading = intoBuffer({ target: Buffer.alloc(10), filled: 0 }).sendRequest(
      createPipelineRequest({
        url: server.url,
        method: 'GET',
        timeout: 200,
        allowInsecureConnection: true,
      }),
    );
    const error = await reading.catch((e: unknown) => e);
    expect(isRestError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('through a proxy, a body cut mid-way is a retryable RestError too', async () => {
    const proxy = await rawServer((socket) => {
      socket.write(
        Buffer.concat([head('206 Partial Content', { 'Content-Length': '10' }), Buffer.from('12345')]),
      );
      setTimeout(() => socket.destroy(), 20);
    });
    const pipeline = createPipelineFromOptions({
      proxyOptions: { host: 'http://127.0.0.1', port: Number(new URL(proxy.url).port) },
    });
    const error = await pipeline
      .sendRequest(
        intoBuffer({ target: Buffer.alloc(10), filled: 0 }),
        createPipelineRequest({
          url: 'http://blob.example.invalid/account/box/blob',
          method: 'GET',
          allowInsecureConnection: true,
        }),
      )
      .catch((e: unknown) => e);
    expect(isRestError(error)).toBe(true);
    expect((error as { code?: string }).code).toMatch(/^E[A-Z]+$/);
  });

  it('reads over TLS, and keeps that connection too', async () => {
    const data = randomBytes(200_000);
    const server = await rawServer(
      (socket) =>
        void socket.write(Buffer.concat([head('200 OK', { 'Content-Length': String(data.length) }), data])),
      true,
    );
    for (let i = 0; i < 2; i++) {
      const body = { target: Buffer.alloc(data.length), filled: 0 };
      await get(server.url, body);
      expect(body.target.equals(data)).toBe(true);
    }
    expect(server.connections).toBe(1);
  });
});
