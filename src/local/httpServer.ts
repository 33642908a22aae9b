// The local host's HTTP front: serves the table's HTTP entries under /api with Azure's route
// templates and function-key check, and Event Grid entries at /runtime/webhooks/eventgrid (the
// path Azure's Event Grid extension serves, including the subscription validation handshake).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { invocationContext, invokeHttp, invokeTrigger } from '../app/invoke';
import type { EventGridEvent, FunctionDefinition, HttpTrigger } from '../app/types';
import { resultHeaders, serializeBody } from '../http/body';
import { compileRoute, type CompiledRoute } from '../http/routes';
import { jsonResult, type HttpRequestLike, type HttpResult } from '../http/types';
import type { Logger } from '../log/logger';
import { keyMatches, presentedKey } from './functionKey';

/** Larger bodies get 413; nothing the admin API or Event Grid sends comes near it. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Handles a request once its body has been read (only after routing and the key check). */
type WithBody = (request: HttpRequestLike) => Promise<HttpResult>;

interface HttpEntry {
  definition: FunctionDefinition;
  trigger: HttpTrigger;
  route: CompiledRoute;
  specificity: number[];
}

export interface LocalHttpServerOptions {
  functions: readonly FunctionDefinition[];
  functionKey: string;
}

/** What the server answers with once the host is ready: the table's entries and the key. */
interface Routes {
  functions: readonly FunctionDefinition[];
  functionKey: string;
  entries: HttpEntry[];
}

/**
 * Listens first and serves later: the host's URL (in PUBLIC_BASE_URL and the OAuth redirect URI)
 * must be known before its settings, and an ephemeral port probed and released would be open to
 * any other process until bound. Until `serve`, requests get 503.
 */
export class LocalHttpServer {
  readonly server: http.Server;
  private routes: Routes | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly log: Logger) {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  serve(options: LocalHttpServerOptions): void {
    const entries = options.functions
      .filter((f) => f.trigger.type === 'http')
      .map((definition) => {
        const trigger = definition.trigger as HttpTrigger;
        return {
          definition,
          trigger,
          route: compileRoute(trigger.route),
          specificity: specificity(trigger.route),
        };
      })
      // Azure prefers literal segments over parameters; order the same way so `runs/latest` beats `runs/{id}`.
      .sort((a, b) => compareSpecificity(b.specificity, a.specificity));
    this.routes = { ...options, entries };
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Idle keep-alive sockets would hold close() open; requests in flight have finished by now.
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async dispatch(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const log = this.log;
    const routes = this.routes;
    if (!routes)
      return send(
        res,
        notFoundLike(503, 'Starting', 'The local host is still starting.', { 'retry-after': '1' }),
        raw,
      );
    try {
      const url = new URL(raw.url ?? '/', `http://${raw.headers.host ?? 'localhost'}`);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(raw.headers))
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      const request: HttpRequestLike = {
        method: (raw.method ?? 'GET').toUpperCase(),
        url: url.toString(),
        params: {},
        query: url.searchParams,
        headers,
        body: '',
      };
      // Route and check the key first: a request that is answered without its body (401, 404, 405)
      // never has it read, so unauthenticated callers cannot make the host buffer anything.
      const next =
        url.pathname === '/api' || url.pathname.startsWith('/api/')
          ? this.api(routes, request, url.pathname.slice('/api'.length))
          : url.pathname.replace(/\/+$/, '') === '/runtime/webhooks/eventgrid'
            ? this.eventGrid(routes, request)
            : notFoundLike(404, 'NotFound', `Nothing is served at ${url.pathname}.`);
      if (typeof next !== 'function') return send(res, next, raw);
      const body = await readBody(raw);
      if (body === undefined)
        return send(res, notFoundLike(413, 'RequestTooLarge', 'The request body is too large.'), raw);
      send(res, await next({ ...request, body: body.toString('utf8') }), raw);
    } catch (error) {
      log.error('localhost.http.failed', { error });
      if (!res.headersSent)
        send(res, notFoundLike(500, 'InternalError', 'The local host failed to handle the request.'), raw);
      else res.destroy();
    }
  }

  /** The answer, or once the caller may send a body, what handles the request with it. */
  private api(routes: Routes, request: HttpRequestLike, path: string): HttpResult | WithBody {
    const allowed = new Set<string>();
    for (const entry of routes.entries) {
      const params = entry.route.match(path);
      if (!params) continue;
      if (!entry.trigger.methods.includes(request.method as HttpTrigger['methods'][number])) {
        entry.trigger.methods.forEach((m) => allowed.add(m));
        continue;
      }
      if (entry.trigger.authLevel !== 'anonymous' && !authorized(routes, request))
        return notFoundLike(
          401,
          'Unauthorized',
          'This function needs a function key (x-functions-key header or ?code=).',
        );
      return (withBody) =>
        invokeHttp(entry.definition, { ...withBody, params }, invocationContext(entry.definition.name));
    }
    if (allowed.size > 0)
      return notFoundLike(405, 'MethodNotAllowed', `${request.method} is not allowed here.`, {
        allow: [...allowed].join(', '),
      });
    return notFoundLike(404, 'NotFound', `No function serves /api${path}.`);
  }

  private eventGrid(routes: Routes, request: HttpRequestLike): HttpResult | WithBody {
    if (request.method !== 'POST')
      return notFoundLike(405, 'MethodNotAllowed', 'Event Grid posts events.', { allow: 'POST' });
    // Azure guards this endpoint with the Event Grid extension's system key; locally the function key stands in.
    if (!authorized(routes, request))
      return notFoundLike(401, 'Unauthorized', 'Pass the function key as ?code=.');
    const name = request.query.get('functionName') ?? '';
    const definition = routes.functions.find((f) => f.name === name && f.trigger.type === 'eventGrid');
    if (!definition) return notFoundLike(404, 'NotFound', `No Event Grid function named "${name}".`);
    return (withBody) => this.deliverEvents(definition, withBody);
  }

  private async deliverEvents(definition: FunctionDefinition, request: HttpRequestLike): Promise<HttpResult> {
    let events: EventGridEvent[];
    try {
      const parsed = JSON.parse(request.body) as unknown;
      events = (Array.isArray(parsed) ? parsed : [parsed]) as EventGridEvent[];
    } catch {
      return notFoundLike(400, 'ValidationFailed', 'The body must be a JSON array of Event Grid events.');
    }
    const kind = request.headers['aeg-event-type'];
    if (kind === 'SubscriptionValidation') {
      const code = (events[0]?.data as { validationCode?: string } | undefined)?.validationCode;
      if (!code)
        return notFoundLike(
          400,
          'ValidationFailed',
          'A SubscriptionValidation event needs data.validationCode.',
        );
      return jsonResult(200, { validationResponse: code });
    }
    if (kind === 'Unsubscribe') return { status: 202 };
    if (kind !== 'Notification')
      return notFoundLike(
        400,
        'ValidationFailed',
        'The aeg-event-type header must be Notification or SubscriptionValidation.',
      );
    // Every event is handled even after one fails: stopping would hold the later good events back
    // until Event Grid's retries (or dead-letter them with the bad one). Event Grid retries the
    // whole delivery when any event failed, so the good ones come again; the handlers dedupe them.
    const failed: string[] = [];
    for (const event of events) {
      try {
        await invokeTrigger(definition, { type: 'eventGrid', event }, invocationContext(definition.name));
      } catch {
        failed.push(String(event.id));
      }
    }
    if (failed.length > 0)
      return notFoundLike(
        500,
        'HandlerFailed',
        `The function failed on ${failed.length} of ${events.length} events: ${failed.join(', ')}.`,
      );
    return { status: 202 };
  }
}

function authorized(routes: Routes, request: HttpRequestLike): boolean {
  return keyMatches(presentedKey(request.headers, request.query), routes.functionKey);
}

function notFoundLike(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpResult {
  return jsonResult(status, { error: { code, message } }, headers);
}

/** How long an answered request whose body was never read may keep sending before its socket goes. */
const UNREAD_BODY_LINGER_MS = 2000;

function send(res: ServerResponse, result: HttpResult, raw: IncomingMessage): void {
  const { payload, contentType } = serializeBody(result);
  // A body left unread (a refused or unrouted request) is not waited for: the connection closes
  // after the answer. Its socket lingers briefly, discarding what still arrives, so the client can
  // read the answer before the close (closing with unread data would reset the connection).
  const announced =
    Number(raw.headers['content-length'] ?? 0) > 0 || raw.headers['transfer-encoding'] !== undefined;
  const unread = announced && !raw.complete;
  res.writeHead(result.status, {
    ...resultHeaders(result, contentType),
    'content-length': String(payload.length),
    ...(unread ? { connection: 'close' } : {}),
  });
  res.end(payload);
  if (unread) {
    raw.resume();
    setTimeout(() => raw.socket.destroy(), UNREAD_BODY_LINGER_MS).unref();
  }
}

function readBody(raw: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    raw.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        raw.removeAllListeners('data');
        raw.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    raw.on('end', () => resolve(Buffer.concat(chunks)));
    raw.on('error', reject);
  });
}

/** Per segment: 3 literal, 2 constrained or plain parameter, 1 optional, 0 catch-all. */
function specificity(route: string): number[] {
  return route
    .split('/')
    .filter(Boolean)
    .map((s) => (!s.startsWith('{') ? 3 : s.startsWith('{*') ? 0 : s.endsWith('?}') ? 1 : 2));
}

function compareSpecificity(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
