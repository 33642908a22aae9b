// A destination for the memory benchmark's large files: just the two calls of an upload session
// (createUploadSession, then PUT ranges), over TLS like Graph, hashing what arrives and keeping
// nothing. The Graph emulator keeps every file in memory and joins its chunks on the last byte, so a
// 4 GiB upload would need about 8 GiB there; this sink needs a few socket buffers. It checks the
// ranges arrive in order and answers the final PUT with the driveItem (size and quickXorHash) the
// engine verifies, so a wrong byte count or a mismatched hash still fails the run.
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ensureTls } from '../emulators/shared/tls';
import { QuickXorHash } from '../src/graph/quickXorHash';

interface Session {
  received: number;
  hash: QuickXorHash;
  name: string;
}

export interface UploadSink {
  apiBaseUrl: string;
  driveId: string;
  /** Files completed so far. */
  completed: number;
  stop(): Promise<void>;
}

export async function startUploadSink(): Promise<UploadSink> {
  const tls = ensureTls();
  const sessions = new Map<string, Session>();
  let completed = 0;
  const answer = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const create = /^\/v1\.0\/drives\/[^/]+\/root:\/(.+):\/createUploadSession$/.exec(url.pathname);
    if (req.method === 'POST' && create) {
      req.resume();
      const id = randomBytes(8).toString('hex');
      sessions.set(id, { received: 0, hash: new QuickXorHash(), name: decodeURIComponent(create[1]) });
      const { port } = server.address() as AddressInfo;
      return answer(res, 200, {
        uploadUrl: `https://127.0.0.1:${port}/upload/${id}`,
        expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
      });
    }
    const session = /^\/upload\/([0-9a-f]+)$/.exec(url.pathname) && sessions.get(url.pathname.slice(8));
    if (req.method !== 'PUT' || !session) {
      req.resume();
      return answer(res, 404, {
        error: { code: 'itemNotFound', message: 'Not something this sink serves.' },
      });
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
    if (!range || Number(range[1]) !== session.received) {
      req.resume();
      return answer(res, 416, { error: { code: 'invalidRange', message: 'Out of order.' } });
    }
    const [end, total] = [Number(range[2]), Number(range[3])];
    req.on('data', (piece: Buffer) => {
      session.hash.update(piece);
      session.received += piece.length;
    });
    req.on('end', () => {
      if (session.received !== end + 1)
        return answer(res, 400, { error: { code: 'invalidRequest', message: 'Body and range differ.' } });
      if (session.received < total) return answer(res, 202, { nextExpectedRanges: [`${session.received}-`] });
      sessions.delete(url.pathname.slice(8));
      completed += 1;
      return answer(res, 201, {
        id: randomBytes(8).toString('hex'),
        name: session.name,
        size: total,
        file: { hashes: { quickXorHash: session.hash.digest() } },
      });
    });
  });
  // Long enough that the client keeps its connection between chunks (undici drops a connection whose
  // keep-alive hint is at or under two seconds), as it does with Graph.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiBaseUrl: `https://127.0.0.1:${port}/v1.0`,
    driveId: 'sink',
    get completed() {
      return completed;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
