// The bench's TLS front (bench/rclone/front.ts), which lets rclone's OneDrive backend, whose Graph
// and login host names are fixed, reach the Graph emulator: CONNECT for its names only, TLS with a
// certificate of its own CA, the emulator's origins in JSON answers swapped for its names, and the
// Authorization header removed on upload URLs. Upload URLs are pre-authenticated: "If you include
// the Authorization header when issuing the PUT call, it may result in an HTTP 401 Unauthorized
// response" (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession), which the
// emulator enforces, while rclone 1.60 sends its bearer token on every request.
import http, { type IncomingHttpHeaders } from 'node:http';
import tls from 'node:tls';
import { GraphEmulator } from '../../emulators/graph';
import { testAuthorize } from '../../emulators/graph/testing';
import {
  GRAPH_HOST,
  startTlsFront,
  UPLOAD_HOST,
  upstreamHeaders,
  type TlsFront,
} from '../../bench/rclone/front';

let graph: GraphEmulator;
let front: TlsFront;

beforeAll(async () => {
  graph = await new GraphEmulator({ authorize: testAuthorize }).start();
  front = await startTlsFront({
    graph: graph.baseUrl,
    graphUploads: graph.server.altBaseUrl,
    login: graph.baseUrl,
  });
});

afterAll(async () => {
  await front?.stop();
  await graph?.stop();
});

/** A CONNECT to the front, as Go's HTTPS_PROXY support opens it; resolves with the status line's code. */
function connect(host: string): Promise<{ status: number; socket: import('node:net').Socket }> {
  const proxy = new URL(front.proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port,
      method: 'CONNECT',
      path: `${host}:443`,
    });
    req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    req.on('error', reject);
    req.end();
  });
}

/** One HTTPS request through the front, trusting only the front's CA (as rclone is made to). */
async function viaFront(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Buffer },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const target = new URL(url);
  const { status, socket } = await connect(target.hostname);
  if (status !== 200) throw new Error(`CONNECT ${target.hostname} answered ${status}`);
  const secure = tls.connect({ socket, servername: target.hostname, ca: front.caCertPem });
  await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method: init.method,
        path: `${target.pathname}${target.search}`,
        headers: { host: target.host, ...init.headers },
        createConnection: () => secure,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (part: string) => (body += part));
        res.on('end', () => {
          secure.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('the bench TLS front', () => {
  it('refuses a CONNECT to any host it does not front', async () => {
    const { status, socket } = await connect('example.com');
    socket.destroy();
    expect(status).toBe(403);
  });

  it('carries an rclone-style upload: the upload URL on its own name, and no Authorization sent to it', async () => {
    const auth = { authorization: 'Bearer work', 'content-type': 'application/json' };
    const session = await viaFront(
      `https://${GRAPH_HOST}/v1.0/me/drive/root:/bench-front/a.bin:/createUploadSession`,
      {
        method: 'POST',
        headers: auth,
        body: Buffer.from(JSON.stringify({ item: { '@microsoft.graph.conflictBehavior': 'replace' } })),
      },
    );
    expect(session.status).toBe(200);
    const { uploadUrl } = JSON.parse(session.body) as { uploadUrl: string };
    // The emulator's 127.0.0.1 would bypass the proxy in Go; the front names its own host instead.
    expect(new URL(uploadUrl).hostname).toBe(UPLOAD_HOST);

    const bytes = Buffer.alloc(1000, 7);
    const strippedBefore = front.stats.authorizationStripped;
    const put = await viaFront(uploadUrl, {
      method: 'PUT',
      // What rclone 1.60 sends: its bearer token on the upload URL too.
      headers: {
        authorization: 'Bearer work',
        'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}`,
        'content-length': String(bytes.length),
      },
      body: bytes,
    });
    expect(put.status).toBe(201);
    expect(front.stats.authorizationStripped).toBe(strippedBefore + 1);
    const item = await viaFront(`https://${GRAPH_HOST}/v1.0/me/drive/root:/bench-front/a.bin`, {
      method: 'GET',
      headers: { authorization: 'Bearer work' },
    });
    expect(JSON.parse(item.body)).toMatchObject({ name: 'a.bin', size: 1000 });
  });

  it('keeps the Authorization header on the Graph API host', () => {
    const headers = { authorization: 'Bearer t', connection: 'keep-alive', 'content-length': '3' };
    expect(upstreamHeaders(GRAPH_HOST, headers, 'localhost:1').headers).toEqual({
      authorization: 'Bearer t',
      'content-length': '3',
      host: 'localhost:1',
    });
    expect(upstreamHeaders(UPLOAD_HOST, headers, '127.0.0.1:1')).toEqual({
      headers: { 'content-length': '3', host: '127.0.0.1:1' },
      stripped: true,
    });
  });
});
