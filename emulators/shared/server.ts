// The common HTTPS server every emulator is built on: routing, body reading, a request log tests can
// count, and fault injection (status codes with Retry-After, connection resets, latency).
// Hand-written on node:https rather than a web framework because fault injection must reach below
// the framework: resetting a socket half-way through a request or response body, precisely.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ensureTls } from './tls';
import { FaultInjector, type FaultAction } from './faults';

export interface EmulatorRequest {
  method: string;
  /** Path without the query string, still percent-encoded. */
  path: string;
  /** Query parameters with keys and values percent-decoded (the Key Vault SDK sends `api%2Dversion`). */
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Host name the client addressed (without the port). */
  hostname: string;
  body: Buffer;
  params: Record<string, string>;
  url: URL;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string | number | string[]>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
}

export type Handler = (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

export interface RequestLogEntry {
  at: number;
  method: string;
  path: string;
  hostname: string;
  status: number;
  /** Which fault, if any, answered instead of the handler. */
  fault?: string;
}

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Header that carries the control key to /_emulator/* routes. */
export const CONTROL_KEY_HEADER = 'x-emulator-control-key';

/** Builds the answer to an over-long body, so each emulator can speak its service's error shape. */
export type TooLargeResponder = (
  message: string,
  req: { headers: IncomingMessage['headers'] },
) => EmulatorResponse;

const defaultTooLarge: TooLargeResponder = (message) =>
  json(413, { error: { code: 'requestTooLarge', message } });

function compile(pattern: string | RegExp): { regex: RegExp; keys: string[] } {
  if (pattern instanceof RegExp) return { regex: pattern, keys: [] };
  const keys: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment === '*') {
        keys.push('rest');
        return '(.*)';
      }
      if (segment.startsWith(':')) {
        keys.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${source}/?$`), keys };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, body, headers };
}

export class EmulatorServer {
  readonly faults = new FaultInjector();
  readonly requests: RequestLogEntry[] = [];
  private readonly routes: Route[] = [];
  private readonly sockets = new Set<Socket>();
  private server?: https.Server;
  port = 0;
  /**
   * Secret every /_emulator/* request must carry in X-Emulator-Control-Key: fault injection and
   * state changes are for the harness that started the emulator, not for whatever else runs here.
   * Random per server; a harness starting several emulators gives them one key and hands it out.
   */
  controlKey = randomBytes(24).toString('base64url');
  tooLarge: TooLargeResponder = defaultTooLarge;

  constructor(readonly name: string) {
    this.installControlRoutes();
  }

  /** https://localhost:port: the API host. */
  get baseUrl(): string {
    return `https://localhost:${this.port}`;
  }

  /** https://127.0.0.1:port: a second host name on the same server, for URLs that must not get the API's Authorization header. */
  get altBaseUrl(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  route(method: string, pattern: string | RegExp, handler: Handler): this {
    const { regex, keys } = compile(pattern);
    this.routes.push({ method: method.toUpperCase(), pattern: regex, keys, handler });
    return this;
  }

  /** Requests seen so far that match, for tests that count calls. */
  count(method: string, pathPattern: RegExp): number {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path)).length;
  }

  async start(port = 0, host = 'localhost'): Promise<this> {
    const tls = ensureTls();
    this.server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      void this.dispatch(req, res);
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // Keep idle connections as Graph does. Node answers `Keep-Alive: timeout=<this>` and undici drops
    // a connection whose hint is at or under its 2-second threshold, so the 2 s this had made every
    // client open a new TLS connection per request: a handshake and a fresh TLS context per upload
    // chunk, which Graph never charges. stop() destroys open sockets, so it stays prompt.
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      // Loopback only: both host names (localhost for the API, 127.0.0.1 for pre-authenticated URLs)
      // resolve to it, and nothing off this machine can reach an emulator.
      this.server!.listen(port, host === 'localhost' ? '127.0.0.1' : host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private installControlRoutes(): void {
    // Cross-process control for the local host, the soak and the browser tests.
    this.route('GET', '/_emulator/requests', () => json(200, { requests: this.requests }));
    this.route('POST', '/_emulator/faults', (req) => {
      const rules = JSON.parse(req.body.toString('utf8') || '[]');
      for (const rule of Array.isArray(rules) ? rules : [rules]) this.faults.add(rule);
      return json(200, { rules: this.faults.rules.length });
    });
    this.route('DELETE', '/_emulator/faults', () => {
      this.faults.clear();
      return json(200, { rules: 0 });
    });
  }

  private async dispatch(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(raw.url ?? '/', `https://${raw.headers.host ?? 'localhost'}`);
    const method = (raw.method ?? 'GET').toUpperCase();
    const entry: RequestLogEntry = {
      at: Date.now(),
      method,
      path: url.pathname,
      hostname: url.hostname,
      status: 0,
    };
    this.requests.push(entry);
    const isControl = url.pathname.startsWith('/_emulator/');
    if (isControl && !this.controlKeyMatches(raw.headers[CONTROL_KEY_HEADER])) {
      raw.resume();
      return this.send(
        res,
        entry,
        json(403, {
          error: { code: 'controlKeyRequired', message: `Control routes need ${CONTROL_KEY_HEADER}.` },
        }),
      );
    }
    const fault = isControl ? undefined : this.faults.take(method, url.pathname, url.hostname);
    try {
      if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault?.kind === 'reset-request') {
        entry.fault = fault.kind;
        await this.readSome(raw, fault.afterBytes ?? 0);
        raw.socket.destroy();
        return;
      }
      const body = await this.readBody(raw);
      if (fault && fault.kind === 'status') {
        entry.fault = `status ${fault.status}`;
        return this.send(res, entry, faultResponse(fault));
      }
      const req: EmulatorRequest = {
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: raw.headers,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        body,
        params: {},
        url,
      };
      const response = await this.handle(req);
      if (fault?.kind === 'reset-response') {
        entry.fault = fault.kind;
        entry.status = response.status;
        return this.sendThenReset(res, response, fault.afterBytes);
      }
      this.send(res, entry, response);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return this.send(res, entry, this.tooLarge(error.message, raw));
      }
      this.send(
        res,
        entry,
        json(500, { error: { code: 'emulatorError', message: (error as Error).message ?? String(error) } }),
      );
    }
  }

  private controlKeyMatches(sent: string | string[] | undefined): boolean {
    if (typeof sent !== 'string') return false;
    const a = Buffer.from(sent);
    const b = Buffer.from(this.controlKey);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(req.path);
      if (!match) continue;
      pathMatched = true;
      // HEAD is GET without the body (RFC 9110); Node drops the body of a HEAD response itself.
      if (route.method !== req.method && !(req.method === 'HEAD' && route.method === 'GET')) continue;
      const params: Record<string, string> = { ...(match.groups ?? {}) };
      route.keys.forEach((key, i) => (params[key] = match[i + 1]));
      return route.handler({ ...req, params });
    }
    return pathMatched
      ? json(405, {
          error: { code: 'methodNotAllowed', message: `${req.method} is not allowed on ${req.path}` },
        })
      : json(404, { error: { code: 'itemNotFound', message: `No route for ${req.method} ${req.path}` } });
  }

  private readBody(raw: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      raw.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reject(new BodyTooLarge(`Request body over ${MAX_BODY_BYTES} bytes`));
          raw.removeAllListeners('data');
          raw.resume();
          return;
        }
        chunks.push(chunk);
      });
      raw.on('end', () => resolve(Buffer.concat(chunks)));
      raw.on('error', reject);
    });
  }

  private readSome(raw: IncomingMessage, bytes: number): Promise<void> {
    return new Promise((resolve) => {
      let seen = 0;
      if (bytes <= 0) return resolve();
      raw.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= bytes) resolve();
      });
      raw.on('end', () => resolve());
      raw.on('error', () => resolve());
    });
  }

  private send(res: ServerResponse, entry: RequestLogEntry, response: EmulatorResponse): void {
    entry.status = response.status;
    const { payload, contentType } = encode(response.body);
    const headers: Record<string, string | number | string[]> = { ...(response.headers ?? {}) };
    if (payload.length > 0 && !hasHeader(headers, 'content-type')) headers['Content-Type'] = contentType;
    headers['Content-Length'] = payload.length;
    res.writeHead(response.status, headers);
    res.end(payload);
  }

  private sendThenReset(res: ServerResponse, response: EmulatorResponse, afterBytes?: number): void {
    const { payload, contentType } = encode(response.body);
    const cut = Math.min(payload.length, afterBytes ?? Math.floor(payload.length / 2));
    res.writeHead(response.status, {
      ...(response.headers ?? {}),
      'Content-Type': contentType,
      'Content-Length': payload.length,
    });
    res.write(payload.subarray(0, cut), () => res.socket?.destroy());
  }
}

class BodyTooLarge extends Error {}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

function encode(body: unknown): { payload: Buffer; contentType: string } {
  if (body === undefined || body === null) return { payload: Buffer.alloc(0), contentType: 'text/plain' };
  if (Buffer.isBuffer(body)) return { payload: body, contentType: 'application/octet-stream' };
  if (typeof body === 'string')
    return { payload: Buffer.from(body, 'utf8'), contentType: 'text/html; charset=utf-8' };
  return { payload: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json' };
}

function faultResponse(fault: FaultAction): EmulatorResponse {
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
  return {
    status: fault.status ?? 500,
    headers,
    body: fault.body ?? {
      error: { code: fault.code ?? 'injectedFault', message: `Injected fault: ${fault.status ?? 500}` },
    },
  };
}
