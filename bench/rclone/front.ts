// A local TLS front so that rclone's OneDrive backend, whose host names are fixed
// (graph.microsoft.com and login.microsoftonline.com for the global region), reaches the emulators.
// rclone goes through it as an HTTPS proxy (HTTPS_PROXY): for each CONNECT to one of the front's
// host names it terminates TLS with a certificate from a CA made for this run (frontTls.ts, trusted
// by rclone through SSL_CERT_FILE) and forwards each request to the emulator behind that name.
// Any other CONNECT is refused: this is not an open proxy.
//
// Two rewrites, both because of what the emulators are and not to help either side:
// - Upload URLs. The Graph emulator hands them out on its second host name, 127.0.0.1, and Go
//   never sends loopback addresses through a proxy, so rclone would reach the emulator directly.
//   JSON answers have the emulator's origins swapped for the front's names (the API for
//   graph.microsoft.com, upload URLs for UPLOAD_HOST), so every request of rclone's passes here.
// - Authorization on upload URLs. rclone 1.60 sends its bearer token on every request, the upload
//   URL's PUTs included (uploadFragment uses the authenticated client). Upload URLs are
//   pre-authenticated and Graph documents that an Authorization header sent to one fails the
//   request, which the emulator enforces; real OneDrive tolerates it today. The front removes the
//   header on requests to UPLOAD_HOST, so the emulator sees what the documented protocol allows.
//
// Hand-written on node:http/https/tls rather than with a proxy library: the two rewrites and the
// refusal of foreign hosts are the whole point, and none of the common proxy packages does both
// CONNECT termination and per-host header rules without as much glue as this file.
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { ensureTls } from '../../emulators/shared/tls';
import { makeFrontTls } from './frontTls';

export const GRAPH_HOST = 'graph.microsoft.com';
export const LOGIN_HOST = 'login.microsoftonline.com';
/** Where the front puts upload URLs: a name of its own, so their requests are told apart by host. */
export const UPLOAD_HOST = 'uploads.bench-front.invalid';

export interface FrontTargets {
  /** The Graph emulator's API origin (https://localhost:port). */
  graph: string;
  /** The Graph emulator's upload-URL origin (https://127.0.0.1:port). */
  graphUploads: string;
  /** The identity emulator's origin. */
  login: string;
}

export interface TlsFront {
  /** http://127.0.0.1:port, for HTTPS_PROXY. */
  proxyUrl: string;
  /** PEM of the CA that signed the front's certificate. */
  caCertPem: string;
  /** Requests forwarded, by front host name, and how many had an Authorization header removed. */
  stats: { forwarded: Record<string, number>; authorizationStripped: number };
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

/**
 * The headers sent upstream for a request that came in on `frontHost`: hop-by-hop headers dropped,
 * Host set to the upstream's, and Authorization removed on upload URLs.
 */
export function upstreamHeaders(
  frontHost: string,
  headers: IncomingHttpHeaders,
  upstreamHost: string,
): { headers: OutgoingHttpHeaders; stripped: boolean } {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  out.host = upstreamHost;
  let stripped = false;
  if (frontHost === UPLOAD_HOST && out.authorization !== undefined) {
    delete out.authorization;
    stripped = true;
  }
  return { headers: out, stripped };
}

/** Swaps each emulator origin in a JSON answer for the front's name for it. */
export function rewriteOrigins(text: string, origins: ReadonlyArray<[from: string, to: string]>): string {
  let out = text;
  for (const [from, to] of origins) out = out.split(from).join(to);
  return out;
}

export async function startTlsFront(targets: FrontTargets): Promise<TlsFront> {
  const routes = new Map<string, URL>([
    [GRAPH_HOST, new URL(targets.graph)],
    [LOGIN_HOST, new URL(targets.login)],
    [UPLOAD_HOST, new URL(targets.graphUploads)],
  ]);
  // In JSON the emulators may write their origins with escaped slashes or not; both are rewritten.
  const origins: Array<[string, string]> = [
    [targets.graphUploads, `https://${UPLOAD_HOST}`],
    [targets.graph, `https://${GRAPH_HOST}`],
    [targets.login, `https://${LOGIN_HOST}`],
  ].flatMap(([from, to]): Array<[string, string]> => [
    [from, to],
    [from.replace(/\//g, '\\/'), to.replace(/\//g, '\\/')],
  ]);
  const frontTls = makeFrontTls([...routes.keys()]);
  const secureContext = tls.createSecureContext({ key: frontTls.keyPem, cert: frontTls.certPem });
  // Upstream is the emulators' HTTPS, signed by the local CA; kept-alive like a real client's pool.
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: ensureTls().caCertPem });
  const hostOf = new WeakMap<Socket, string>();
  const sockets = new Set<Socket>();
  const stats: TlsFront['stats'] = { forwarded: {}, authorizationStripped: 0 };

  const forward = (req: IncomingMessage, res: http.ServerResponse): void => {
    const frontHost = hostOf.get(req.socket) ?? '';
    const upstream = routes.get(frontHost);
    if (!upstream) {
      res.writeHead(421).end();
      return;
    }
    const { headers, stripped } = upstreamHeaders(frontHost, req.headers, upstream.host);
    stats.forwarded[frontHost] = (stats.forwarded[frontHost] ?? 0) + 1;
    if (stripped) stats.authorizationStripped += 1;
    const outgoing = https.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        const type = String(answer.headers['content-type'] ?? '');
        const responseHeaders = { ...answer.headers };
        for (const name of Object.keys(responseHeaders))
          if (HOP_BY_HOP.has(name)) delete responseHeaders[name];
        if (!type.includes('json')) {
          res.writeHead(answer.statusCode ?? 502, responseHeaders);
          answer.pipe(res);
          return;
        }
        const parts: Buffer[] = [];
        answer.on('data', (part: Buffer) => parts.push(part));
        answer.on('end', () => {
          const body = Buffer.from(rewriteOrigins(Buffer.concat(parts).toString('utf8'), origins), 'utf8');
          responseHeaders['content-length'] = String(body.length);
          res.writeHead(answer.statusCode ?? 502, responseHeaders);
          res.end(body);
        });
        answer.on('error', () => res.destroy());
      },
    );
    outgoing.on('error', () => res.destroy());
    req.pipe(outgoing);
  };

  const inner = http.createServer(forward);
  inner.keepAliveTimeout = 5000;
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const [host, port] = (req.url ?? '').split(':');
    if (!routes.has(host) || (port ?? '443') !== '443') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
    secure.on('error', () => secure.destroy());
    hostOf.set(secure, host);
    inner.emit('connection', secure);
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = proxy.address() as AddressInfo;
  return {
    proxyUrl: `http://127.0.0.1:${port}`,
    caCertPem: frontTls.caCertPem,
    stats,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      inner.close();
    },
  };
}
