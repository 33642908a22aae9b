// An HTTP client for blob range reads that reads each response body straight into the caller's
// buffer.
//
// Why not the SDK's HTTP client: Node hands every socket read to JavaScript as a fresh Buffer
// (64 KiB for plain TCP, a TLS record of up to 16 KiB over HTTPS), which the response stream passes
// on and the reader copies to its place in the chunk. Those pieces are garbage that V8 only
// collects once tens of MiB of them have piled up outside its heap, so a worker streaming a large
// blob swung by up to about 50 MiB of RSS, and the longer the upload the higher the peak it met
// (docs/benchmarks.md, Memory). A socket opened with `onread` reads into one buffer of its own,
// reused for every read, and each piece is copied from there to its place once: no garbage per read.
//
// It speaks only what one Get Blob needs: one request at a time per connection, interim (1xx)
// answers skipped, a response body sized by Content-Length (or chunked, or ended by the connection
// closing), keep-alive, and a silent connection given up. Requests still go through the storage
// SDK's pipeline (the storage retry policy, the credential's signing), which calls this client for
// the exchange itself. Requests the pipeline routes through a proxy go
// to the SDK's own client, which knows proxies.
import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import {
  createHttpHeaders,
  isRestError,
  RestError,
  type HttpClient,
  type HttpHeaders,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { getCachedDefaultHttpClient } from '@azure/storage-common';

/** What the SDK's own clients throw for an aborted request: callers tell it by its name. */
const aborted = (): Error => Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });

/** Bytes one socket read fills at most: the buffer each connection reads into, reused. */
const READ_BUFFER_BYTES = 64 * 1024;
/** A status line and headers longer than this are refused (Blob storage sends about 1 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
/** An error body is kept up to this much (it is only read for its error code). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/**
 * An idle connection is not reused after this long: servers close idle keep-alive connections
 * (Node's servers, Azurite among them, after 5 s; Azure's front ends after minutes), and a request
 * sent on a connection the server is closing fails. Such a failure is retried by the storage retry
 * policy at once (its first retry has no delay), so this only keeps it rare.
 */
const IDLE_REUSE_MS = 4_000;
/**
 * Inactivity after which a read is given up when the pipeline sets no timeout: the service answers
 * a range read at once and streams it, so two minutes without a byte is a dead connection (the
 * same two minutes the source asks the service to finish a request in, `tryTimeoutInMs`).
 */
const NO_ANSWER_MS = 120_000;
/** TCP keep-alive probes start after this much silence. */
const KEEPALIVE_PROBE_MS = 15_000;
/** Idle connections kept per origin. */
const MAX_IDLE_PER_ORIGIN = 8;

/** Where a response body goes: 2xx bodies into `target`, other bodies kept as text for their code. */
export interface BodyTarget {
  /** The buffer a successful response's body is written into, from its start. */
  target: Buffer;
  /** Set by the client: how many body bytes were written into `target`. */
  filled: number;
}

interface Connection {
  socket: Socket;
  origin: string;
  idleSince: number;
  /** The exchange reading from this connection now; undefined while idle. */
  exchange?: Exchange;
}

const idle = new Map<string, Connection[]>();

function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function open(url: URL): Connection {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const connection = { origin: originOf(url), idleSince: 0 } as Connection;
  const onread = {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback: (bytes: number, buffer: Buffer): boolean => {
      if (connection.exchange) connection.exchange.read(buffer, bytes);
      else connection.socket.destroy(); // Bytes nobody asked for: the connection is not in a known state.
      return true;
    },
  };
  connection.socket =
    url.protocol === 'https:'
      ? // TLS sockets take `onread` as plain ones do (a TLSSocket is a net.Socket); @types/node
        // declares it for net only.
        tlsConnect({
          host,
          port,
          servername: isIP(host) ? undefined : host,
          ALPNProtocols: ['http/1.1'],
          onread,
        } as ConnectionOptions & { onread: OnReadOpts })
      : netConnect({ host, port, onread });
  connection.socket.setNoDelay(true);
  // Probes on an idle-looking connection, as the SDK's keep-alive agent sets: a peer or NAT entry
  // gone without a word then fails the read instead of leaving it waiting.
  connection.socket.setKeepAlive(true, KEEPALIVE_PROBE_MS);
  connection.socket.on('error', (error) => connection.exchange?.fail(networkError(error)));
  // One listener for the connection's life: each exchange only sets the time (setTimeout with a
  // callback would add a listener per request).
  connection.socket.on('timeout', () =>
    connection.exchange?.fail(new RestError('No answer within the request timeout', { code: 'ETIMEDOUT' })),
  );
  connection.socket.on('close', () => {
    forget(connection);
    connection.exchange?.closed();
  });
  return connection;
}

function forget(connection: Connection): void {
  const list = idle.get(connection.origin);
  const at = list?.indexOf(connection) ?? -1;
  if (at >= 0) list!.splice(at, 1);
}

function take(url: URL, now: number): Connection {
  const list = idle.get(originOf(url));
  while (list?.length) {
    const connection = list.pop()!;
    if (now - connection.idleSince <= IDLE_REUSE_MS && !connection.socket.destroyed) {
      connection.socket.ref();
      return connection;
    }
    connection.socket.destroy();
  }
  return open(url);
}

function release(connection: Connection): void {
  connection.exchange = undefined;
  connection.idleSince = Date.now();
  const list = idle.get(connection.origin) ?? [];
  if (list.length >= MAX_IDLE_PER_ORIGIN) return void connection.socket.destroy();
  // An idle connection does not keep the process alive (a CLI run ends when its work does).
  connection.socket.unref();
  list.push(connection);
  idle.set(connection.origin, list);
}

/** Appends `source[from, to)` to the body, refusing more bytes than the target holds. */
function append(body: BodyTarget, source: Buffer, from: number, to: number): void {
  if (body.filled + (to - from) > body.target.length)
    throw new RestError('The response body is longer than the range asked for', { code: 'ECONNRESET' });
  source.copy(body.target, body.filled, from, to);
  body.filled += to - from;
}

function networkError(error: Error & { code?: string }): RestError {
  // The storage retry policy retries a RestError whose code names a network failure.
  return new RestError(error.message, { code: error.code ?? 'ECONNRESET' });
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** One request and its response on one connection. */
class Exchange {
  private head = Buffer.allocUnsafe(0);
  private status = 0;
  private headers: HttpHeaders = createHttpHeaders();
  private keepAlive = true;
  private mode: 'head' | 'length' | 'chunked' | 'close' | 'done' = 'head';
  private remaining = 0;
  /** Chunked bodies: the size line being read, or the CRLF after a chunk's data. */
  private chunkLine = '';
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private errorBody: Buffer[] = [];
  private errorBytes = 0;
  private settled = false;

  constructor(
    private readonly connection: Connection,
    private readonly request: PipelineRequest,
    private readonly body: BodyTarget,
    private readonly resolve: (response: PipelineResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Bytes arrived in the connection's read buffer: they must be copied out before returning. */
  read(buffer: Buffer, bytes: number): void {
    let at = 0;
    try {
      if (this.mode === 'head') at = this.readHead(buffer, bytes);
      while (at < bytes && !this.settled) {
        if (this.mode === 'length') at = this.readLength(buffer, at, bytes);
        else if (this.mode === 'chunked') at = this.readChunked(buffer, at, bytes);
        else if (this.mode === 'close') at = this.copyBody(buffer, at, bytes);
        else throw new Error('the server sent more than its response');
      }
    } catch (error) {
      this.fail(
        error instanceof RestError ? error : new RestError((error as Error).message, { code: 'ECONNRESET' }),
      );
    }
    // Bytes after the response (nothing was asked for them): the connection is not reused.
    if (at < bytes) this.connection.socket.destroy();
  }

  private readHead(buffer: Buffer, bytes: number): number {
    let before = this.head.length;
    this.head = Buffer.concat([this.head, buffer.subarray(0, bytes)]);
    // Interim (1xx) answers come before the final one, each a head without a body: skipped.
    for (let start = 0; ;) {
      const end = this.head.indexOf(CRLF_CRLF, start);
      if (end < 0) {
        if (this.head.length > MAX_HEAD_BYTES) throw new Error('the response head is too long');
        return bytes;
      }
      this.parseHead(this.head.subarray(start, end).toString('latin1'));
      start = end + CRLF_CRLF.length;
      if (this.status >= 200) {
        this.startBody();
        // Where the body starts in this read: the head's end, less what earlier reads brought.
        return start - before;
      }
      if (this.status === 101) throw new Error('the server switched protocols');
      this.headers = createHttpHeaders();
      // Dropped from the head kept; `before` follows, so the body's start in this read stays right.
      this.head = this.head.subarray(start);
      before -= start;
      start = 0;
    }
  }

  private parseHead(text: string): void {
    const lines = text.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (!statusLine) throw new Error('the response does not start with an HTTP/1 status line');
    this.status = Number(statusLine[2]);
    this.keepAlive = statusLine[1] === '1';
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error('a response header line has no name');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const previous = this.headers.get(name);
      this.headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
    }
    // Connection is a list of options (`close, x-foo`): any `close` ends the connection.
    const options = (this.headers.get('connection') ?? '')
      .toLowerCase()
      .split(',')
      .map((option) => option.trim());
    if (options.includes('close')) this.keepAlive = false;
    else if (options.includes('keep-alive')) this.keepAlive = true;
  }

  /** The final answer's head is read: how its body is framed. */
  private startBody(): void {
    this.body.filled = 0;
    const length = this.headers.get('content-length');
    if (this.status === 204 || this.status === 304 || this.request.method === 'HEAD') this.mode = 'done';
    else if (this.headers.get('transfer-encoding')?.toLowerCase().includes('chunked')) this.mode = 'chunked';
    else if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw new Error('the response has a malformed Content-Length');
      this.remaining = Number(length);
      this.mode = this.remaining === 0 ? 'done' : 'length';
    } else {
      this.mode = 'close';
      this.keepAlive = false;
    }
    if (this.mode === 'done') this.finish();
  }

  private readLength(buffer: Buffer, at: number, bytes: number): number {
    const end = this.takeRemaining(buffer, at, bytes);
    if (this.remaining === 0) this.finish();
    return end;
  }

  /** Up to `remaining` body bytes from `at`; answers where it stopped. */
  private takeRemaining(buffer: Buffer, at: number, bytes: number): number {
    const end = Math.min(bytes, at + this.remaining);
    this.copyBody(buffer, at, end);
    this.remaining -= end - at;
    return end;
  }

  private readChunked(buffer: Buffer, at: number, bytes: number): number {
    while (at < bytes && this.mode === 'chunked') {
      if (this.chunkState === 'data') {
        at = this.takeRemaining(buffer, at, bytes);
        if (this.remaining === 0) this.chunkState = 'data-end';
        continue;
      }
      // Size lines, the CRLF after each chunk and the trailer are short: read a byte at a time.
      this.chunkLine += String.fromCharCode(buffer[at++]);
      if (this.chunkLine.length > 1024) throw new Error('a chunk size line is too long');
      if (!this.chunkLine.endsWith('\r\n')) continue;
      const line = this.chunkLine.slice(0, -2);
      this.chunkLine = '';
      if (this.chunkState === 'data-end') {
        if (line !== '') throw new Error('a chunk does not end where its size says');
        this.chunkState = 'size';
      } else if (this.chunkState === 'size') {
        const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(line);
        if (!size) throw new Error('a chunk size is malformed');
        this.remaining = parseInt(size[1], 16);
        this.chunkState = this.remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') this.finish(); // the empty line that ends the trailer
    }
    return at;
  }

  /** Body bytes: into the target for a 2xx answer, kept (bounded) for any other. */
  private copyBody(buffer: Buffer, from: number, to: number): number {
    if (this.status >= 200 && this.status < 300) append(this.body, buffer, from, to);
    else if (this.errorBytes < MAX_ERROR_BODY_BYTES) {
      // A copy: the read buffer is overwritten by the next read.
      this.errorBody.push(Buffer.from(buffer.subarray(from, Math.min(to, from + MAX_ERROR_BODY_BYTES))));
      this.errorBytes += to - from;
    }
    return to;
  }

  private finish(): void {
    this.mode = 'done';
    this.settle();
    this.resolve({
      request: this.request,
      status: this.status,
      headers: this.headers,
      bodyAsText: this.errorBody.length ? Buffer.concat(this.errorBody).toString('utf8') : undefined,
    });
    if (this.keepAlive) release(this.connection);
    else this.connection.socket.destroy();
  }

  /** The connection closed: the end of a body read to the close, else a cut response. */
  closed(): void {
    if (this.settled) return;
    if (this.mode === 'close') return this.finish();
    this.fail(
      new RestError('The connection closed before the response was complete', { code: 'ECONNRESET' }),
    );
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settle();
    this.connection.socket.destroy();
    this.reject(error);
  }

  private settle(): void {
    this.settled = true;
    this.connection.exchange = undefined;
    this.connection.socket.setTimeout(0);
    this.request.abortSignal?.removeEventListener('abort', this.onAbort);
  }

  readonly onAbort = (): void => this.fail(aborted());
}

function requestHead(request: PipelineRequest, url: URL): string {
  const lines = [`${request.method} ${url.pathname}${url.search} HTTP/1.1`];
  if (!request.headers.has('host')) lines.push(`host: ${url.host}`);
  for (const [name, value] of request.headers) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new RestError(`Header ${name} holds a line break`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Sends one bodiless request and writes a 2xx response's body into `body.target`. */
function exchange(request: PipelineRequest, body: BodyTarget): Promise<PipelineResponse> {
  return new Promise((resolve, reject) => {
    if (request.abortSignal?.aborted) return reject(aborted());
    const url = new URL(request.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return reject(new RestError(`Unsupported protocol ${url.protocol}`));
    let head: string;
    try {
      head = requestHead(request, url);
    } catch (error) {
      return reject(error);
    }
    const connection = take(url, Date.now());
    const current = new Exchange(connection, request, body, resolve, reject);
    connection.exchange = current;
    request.abortSignal?.addEventListener('abort', current.onAbort, { once: true });
    // The pipeline's timeout when it sets one; otherwise a silent connection is given up after
    // NO_ANSWER_MS (a read is retried by the storage retry policy then, as any network failure).
    connection.socket.setTimeout(request.timeout > 0 ? request.timeout : NO_ANSWER_MS);
    connection.socket.write(head);
  });
}

/**
 * A pipeline HTTP client for one read: a 2xx body lands in `body.target` (`body.filled` says how
 * much); any other answer comes back with its body as text. Bodies longer than the target fail.
 */
export function intoBuffer(body: BodyTarget): HttpClient {
  return {
    async sendRequest(request) {
      if (request.body !== undefined && request.body !== null)
        throw new RestError('This client sends bodiless requests only');
      // The pipeline's proxy policy (proxy options, or HTTPS_PROXY and the like in the
      // environment) sets an agent for the proxy; a request with none goes on our own socket.
      if (!request.agent && !request.proxySettings) return exchange(request, body);
      // Through a proxy: the SDK's client (its agent speaks to the proxy), its stream copied in.
      request.streamResponseStatusCodes = new Set([200, 206]);
      const response = await getCachedDefaultHttpClient().sendRequest(request);
      body.filled = 0;
      try {
        if (response.readableStreamBody)
          for await (const piece of response.readableStreamBody as AsyncIterable<Buffer>)
            append(body, piece, 0, piece.length);
      } catch (error) {
        // A body cut mid-way surfaces as the stream's plain Error: a RestError is what the storage
        // retry policy retries (an abort stays an abort).
        if (isRestError(error) || (error as Error).name === 'AbortError') throw error;
        throw networkError(error as Error & { code?: string });
      }
      return { ...response, readableStreamBody: undefined };
    },
  };
}

/** Closes every idle connection (tests, and a host shutting down). */
export function closeIdleConnections(): void {
  for (const list of idle.values()) for (const connection of list.splice(0)) connection.socket.destroy();
}
