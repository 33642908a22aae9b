import { randomBytes } from 'node:crypto';
import { FileUpload, LargeFileUploadTask, type Client } from '@microsoft/microsoft-graph-client';
import { encodeDrivePath, FRAGMENT_MULTIPLE, type GraphEmulator } from '../../emulators/graph';
import { startTestGraph, type ManualClock, type TestToken } from '../../emulators/graph/testing';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import { DEFAULT_IDLE_MS, UploadSessions } from '../../emulators/graph/uploadSessions';
import type { Drive } from '../../emulators/graph/store';

// Response bodies are checked field by field against Graph's documented shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let graph: GraphEmulator;
let clock: ManualClock;
let client: (token: TestToken) => Client;

beforeAll(async () => {
  ({ graph, clock, client } = await startTestGraph());
});
afterAll(() => graph.stop());

let counter = 0;
const freshPath = (name = 'big.bin'): string => `sessions/s${++counter}/${name}`;

interface Session {
  uploadUrl: string;
  expirationDateTime: string;
  nextExpectedRanges: string[];
}

async function createSession(
  token: TestToken,
  path: string,
  item: Record<string, unknown> = { '@microsoft.graph.conflictBehavior': 'replace' },
): Promise<{ status: number; body: Json }> {
  const res = await fetch(
    `${graph.baseUrl}/v1.0/me/drive/root:/${encodeDrivePath(path)}:/createUploadSession`,
    {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ item }),
    },
  );
  return { status: res.status, body: await res.json() };
}

async function session(token: TestToken, path: string, item?: Record<string, unknown>): Promise<Session> {
  const res = await createSession(token, path, item);
  expect(res.status).toBe(200);
  return res.body as Session;
}

/** PUTs bytes [start, start + data.length) of a `total`-byte file, without Authorization. */
async function putChunk(
  uploadUrl: string,
  start: number,
  total: number,
  data: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(uploadUrl, {
    method: 'PUT',
    headers: { 'Content-Range': `bytes ${start}-${start + data.length - 1}/${total}`, ...headers },
    body: new Uint8Array(data),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function status(uploadUrl: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(uploadUrl);
  return { status: res.status, body: await res.json() };
}

const driveId = (token: TestToken): Promise<string> =>
  client(token)
    .api('/me/drive')
    .get()
    .then((d: { id: string }) => d.id);

describe('Graph emulator: upload sessions with the SDK', () => {
  it('completes a whole session with LargeFileUploadTask in 320 KiB-multiple ranges', async () => {
    const path = freshPath('sdk upload.bin');
    const content = randomBytes(3 * FRAGMENT_MULTIPLE * 2 + 12_345);
    const uploadSession = await LargeFileUploadTask.createUploadSession(
      client('work'),
      `/me/drive/root:/${encodeDrivePath(path)}:/createUploadSession`,
      { item: { '@microsoft.graph.conflictBehavior': 'fail' } },
    );
    expect(new URL(uploadSession.url).hostname).toBe('127.0.0.1');
    expect(new URL(uploadSession.url).pathname.split('/').filter(Boolean).length).toBeGreaterThanOrEqual(2);
    const task = new LargeFileUploadTask(
      client('work'),
      new FileUpload(content, 'sdk upload.bin', content.length),
      uploadSession,
      {
        rangeSize: 2 * FRAGMENT_MULTIPLE,
      },
    );
    const result = await task.upload();
    const item = result.responseBody as {
      id: string;
      size: number;
      file: { hashes: { quickXorHash: string } };
    };
    expect(item.size).toBe(content.length);
    expect(item.file.hashes.quickXorHash).toBe(QuickXorHash.of(content));
    const stored = graph.file(await driveId('work'), path)!;
    expect(stored.content.equals(content)).toBe(true);
    expect(graph.sessions().some((s) => s.path === `/${path}`)).toBe(false);
    // Every chunk went to the upload host; the SDK was refused nothing.
    const uploads = graph.server.requests.filter((r) => r.hostname === '127.0.0.1' && r.method === 'PUT');
    expect(uploads.slice(-4).map((r) => r.status)).toEqual([202, 202, 202, 201]);
  });
});

describe('Graph emulator: upload session rules', () => {
  it('returns the session on a different host with nextExpectedRanges 0- and refuses an Authorization header there', async () => {
    const s = await session('work', freshPath());
    expect(s.nextExpectedRanges).toEqual(['0-']);
    expect(new URL(s.uploadUrl).hostname).toBe('127.0.0.1');
    expect(new URL(s.uploadUrl).origin).not.toBe(new URL(graph.baseUrl).origin);
    const withAuth = await putChunk(s.uploadUrl, 0, 10, Buffer.alloc(10), { Authorization: 'Bearer work' });
    expect(withAuth.status).toBe(401);
    expect((await status(s.uploadUrl)).body.nextExpectedRanges).toEqual(['0-']);
  });

  it('accepts in-order 320 KiB-multiple chunks with 202 and completes with 201 on the last one', async () => {
    const path = freshPath();
    const content = randomBytes(FRAGMENT_MULTIPLE * 2 + 100);
    const s = await session('work', path);
    const first = await putChunk(s.uploadUrl, 0, content.length, content.subarray(0, FRAGMENT_MULTIPLE));
    expect(first).toEqual({
      status: 202,
      body: {
        expirationDateTime: expect.any(String),
        nextExpectedRanges: [`${FRAGMENT_MULTIPLE}-${content.length - 1}`],
      },
    });
    expect((await status(s.uploadUrl)).body.nextExpectedRanges).toEqual([
      `${FRAGMENT_MULTIPLE}-${content.length - 1}`,
    ]);
    const second = await putChunk(
      s.uploadUrl,
      FRAGMENT_MULTIPLE,
      content.length,
      content.subarray(FRAGMENT_MULTIPLE, 2 * FRAGMENT_MULTIPLE),
    );
    expect(second.status).toBe(202);
    const last = await putChunk(
      s.uploadUrl,
      2 * FRAGMENT_MULTIPLE,
      content.length,
      content.subarray(2 * FRAGMENT_MULTIPLE),
    );
    expect(last.status).toBe(201);
    expect(last.body.file.hashes.quickXorHash).toBe(QuickXorHash.of(content));
    expect(graph.file(await driveId('work'), path)!.content.equals(content)).toBe(true);
    expect((await status(s.uploadUrl)).status).toBe(404);
  });

  it('refuses a non-final chunk that is not a multiple of 327,680 bytes', async () => {
    const s = await session('work', freshPath());
    const res = await putChunk(s.uploadUrl, 0, 1_000_000, Buffer.alloc(FRAGMENT_MULTIPLE + 1));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalidRange');
    expect((await status(s.uploadUrl)).body.nextExpectedRanges).toEqual(['0-']);
  });

  it('refuses a chunk of 60 MiB or more (rule checked on the session module: 60 MiB over HTTP is slow on shared CI)', () => {
    const sessions = new UploadSessions(clock.now, DEFAULT_IDLE_MS);
    const target = {
      drive: { driveType: 'business' } as Drive,
      baseItemId: 'x',
      folders: [],
      name: 'n',
      conflict: 'fail' as const,
    };
    const s = sessions.create(target);
    const hooks = { onTotalKnown: () => undefined, commit: () => 'committed' };
    const limit = 60 * 1024 * 1024;
    expect(() => sessions.put(s, `bytes 0-${limit - 1}/${limit * 2}`, Buffer.alloc(limit), hooks)).toThrow(
      expect.objectContaining({ status: 413 }),
    );
    const below = limit - FRAGMENT_MULTIPLE;
    expect(sessions.put(s, `bytes 0-${below - 1}/${limit * 2}`, Buffer.alloc(below), hooks)).toEqual(
      expect.objectContaining({ done: false }),
    );
  });

  it('answers a chunk already received with 416, a gap or changed total with 400 invalidRange', async () => {
    const s = await session('work', freshPath());
    const total = FRAGMENT_MULTIPLE * 3;
    const chunk = Buffer.alloc(FRAGMENT_MULTIPLE, 7);
    expect((await putChunk(s.uploadUrl, 0, total, chunk)).status).toBe(202);
    const again = await putChunk(s.uploadUrl, 0, total, chunk);
    expect(again.status).toBe(416);
    expect(again.body.error.code).toBe('invalidRange');
    const gap = await putChunk(s.uploadUrl, 2 * FRAGMENT_MULTIPLE, total, chunk);
    expect(gap.status).toBe(400);
    expect(gap.body.error).toEqual(
      expect.objectContaining({
        code: 'invalidRange',
        innerError: expect.objectContaining({ code: 'fragmentOutOfOrder' }),
      }),
    );
    const otherTotal = await putChunk(s.uploadUrl, FRAGMENT_MULTIPLE, total + 1, chunk);
    expect(otherTotal.status).toBe(400);
    expect(otherTotal.body.error.innerError.code).toBe('fragmentLengthMismatch');
    expect((await status(s.uploadUrl)).body.nextExpectedRanges).toEqual([
      `${FRAGMENT_MULTIPLE}-${total - 1}`,
    ]);
  });

  it('refuses a Content-Range that does not match the body', async () => {
    const s = await session('work', freshPath());
    const res = await fetch(s.uploadUrl, {
      method: 'PUT',
      headers: { 'Content-Range': 'bytes 0-99/200' },
      body: Buffer.alloc(50),
    });
    expect(res.status).toBe(400);
  });

  it('returns 200 when the completed session replaces an existing file', async () => {
    const path = freshPath('replace.bin');
    const first = await session('work', path);
    expect((await putChunk(first.uploadUrl, 0, 3, Buffer.from('abc'))).status).toBe(201);
    const second = await session('work', path);
    const done = await putChunk(second.uploadUrl, 0, 4, Buffer.from('abcd'));
    expect(done.status).toBe(200);
    expect(graph.file(await driveId('work'), path)!.content.toString()).toBe('abcd');
  });

  it('with conflictBehavior fail, reports 409 nameAlreadyExists at completion and keeps the session for a retry', async () => {
    const path = freshPath('race.bin');
    const s = await session('work', path, { '@microsoft.graph.conflictBehavior': 'fail' });
    const total = FRAGMENT_MULTIPLE + 10;
    const content = randomBytes(total);
    expect((await putChunk(s.uploadUrl, 0, total, content.subarray(0, FRAGMENT_MULTIPLE))).status).toBe(202);
    // Someone else creates the file while the session is open.
    const other = await fetch(`${graph.baseUrl}/v1.0/me/drive/root:/${encodeDrivePath(path)}:/content`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer work' },
      body: 'theirs',
    });
    expect(other.status).toBe(201);
    const last = await putChunk(s.uploadUrl, FRAGMENT_MULTIPLE, total, content.subarray(FRAGMENT_MULTIPLE));
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('nameAlreadyExists');
    expect(graph.file(await driveId('work'), path)!.content.toString()).toBe('theirs');
    expect((await status(s.uploadUrl)).body.nextExpectedRanges).toEqual([
      `${FRAGMENT_MULTIPLE}-${total - 1}`,
    ]);
    // Once the conflicting file is gone, resending the last chunk completes the upload.
    const theirs = (await other.json()) as { id: string };
    await client('work')
      .api(`/me/drive/items/${encodeURIComponent(theirs.id)}`)
      .delete();
    const retry = await putChunk(s.uploadUrl, FRAGMENT_MULTIPLE, total, content.subarray(FRAGMENT_MULTIPLE));
    expect(retry.status).toBe(201);
    expect(graph.file(await driveId('work'), path)!.content.equals(content)).toBe(true);
  });

  it('creates missing parent folders at completion and refuses invalid names when the session is created', async () => {
    const path = freshPath('a/b/c.bin');
    const s = await session('work', path);
    expect((await putChunk(s.uploadUrl, 0, 1, Buffer.from('z'))).status).toBe(201);
    expect(graph.file(await driveId('work'), path)).toBeDefined();
    const bad = await createSession('work', freshPath('what?.bin'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalidRequest');
  });

  it('cancels with DELETE (204), after which the session is gone (404 itemNotFound)', async () => {
    const s = await session('work', freshPath());
    const del = await fetch(s.uploadUrl, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const after = await putChunk(s.uploadUrl, 0, 1, Buffer.from('x'));
    expect(after.status).toBe(404);
    expect(after.body.error.code).toBe('itemNotFound');
  });

  it('refuses a write that would exceed the quota with 507 quotaLimitReached', async () => {
    graph.addUser({ id: 'user-small', userPrincipalName: 'small@contoso.com' });
    const id = graph.driveIdOf('small@contoso.com');
    graph.setQuota(id, FRAGMENT_MULTIPLE);
    const create = (body: unknown): Promise<Response> =>
      fetch(`${graph.baseUrl}/v1.0/drives/${id}/root:/big.bin:/createUploadSession`, {
        method: 'POST',
        headers: { Authorization: 'Bearer app', 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const declared = await create({ item: { fileSize: FRAGMENT_MULTIPLE + 1 } });
    expect(declared.status).toBe(507);
    const s = (await (await create({ item: {} })).json()) as Session;
    const first = await putChunk(s.uploadUrl, 0, FRAGMENT_MULTIPLE * 2, Buffer.alloc(FRAGMENT_MULTIPLE));
    expect(first.status).toBe(507);
    expect(first.body.error.code).toBe('quotaLimitReached');
  });
});

describe('Graph emulator: upload session expiry', () => {
  it('extends a business session by 15 idle minutes on each chunk and expires it after that', async () => {
    const s = await session('work', freshPath());
    const created = Date.parse(s.expirationDateTime);
    expect(created - clock.now()).toBe(15 * 60_000);
    clock.advance(10 * 60_000);
    const chunk = await putChunk(s.uploadUrl, 0, FRAGMENT_MULTIPLE * 2, Buffer.alloc(FRAGMENT_MULTIPLE));
    expect(Date.parse(chunk.body.expirationDateTime)).toBe(clock.now() + 15 * 60_000);
    clock.advance(14 * 60_000);
    expect((await status(s.uploadUrl)).status).toBe(200);
    clock.advance(60_000);
    const expired = await status(s.uploadUrl);
    expect(expired.status).toBe(404);
    expect(expired.body.error.code).toBe('itemNotFound');
  });

  it('keeps a personal session for a day', async () => {
    const s = await session('personal', freshPath());
    clock.advance(23 * 3600_000);
    expect((await status(s.uploadUrl)).status).toBe(200);
    clock.advance(3600_000);
    expect((await status(s.uploadUrl)).status).toBe(404);
  });

  it('lets tests expire one session or all of them on demand', async () => {
    const a = await session('work', freshPath());
    const b = await session('work', freshPath());
    const idOf = (url: string): string => new URL(url).pathname.split('/')[2];
    graph.expireSession(idOf(a.uploadUrl));
    expect((await status(a.uploadUrl)).status).toBe(404);
    expect((await status(b.uploadUrl)).status).toBe(200);
    graph.expireAllSessions();
    expect((await status(b.uploadUrl)).status).toBe(404);
  });

  it('takes configurable idle timeouts', async () => {
    const custom = await startTestGraph({ sessionIdleMs: { business: 1000 } });
    try {
      const res = await fetch(`${custom.graph.baseUrl}/v1.0/me/drive/root:/x.bin:/createUploadSession`, {
        method: 'POST',
        headers: { Authorization: 'Bearer work', 'Content-Type': 'application/json' },
        body: '{}',
      });
      const s = (await res.json()) as Session;
      expect(Date.parse(s.expirationDateTime) - custom.clock.now()).toBe(1000);
    } finally {
      await custom.graph.stop();
    }
  });
});

describe('Graph emulator: upload sessions under injected faults', () => {
  it('does not accept a chunk whose request was reset mid-body; the retry then succeeds', async () => {
    const path = freshPath();
    const s = await session('work', path);
    const total = FRAGMENT_MULTIPLE * 2;
    const content = randomBytes(total);
    const host = new URL(s.uploadUrl).hostname;
    graph.server.faults.add({ kind: 'reset-request', method: 'PUT', host, path: '^/up/', afterBytes: 1000 });
    await expect(putChunk(s.uploadUrl, 0, total, content.subarray(0, FRAGMENT_MULTIPLE))).rejects.toThrow();
    expect((await status(s.uploadUrl)).body.nextExpectedRanges).toEqual(['0-']);
    expect((await putChunk(s.uploadUrl, 0, total, content.subarray(0, FRAGMENT_MULTIPLE))).status).toBe(202);
    expect(
      (await putChunk(s.uploadUrl, FRAGMENT_MULTIPLE, total, content.subarray(FRAGMENT_MULTIPLE))).status,
    ).toBe(201);
    expect(graph.file(await driveId('work'), path)!.content.equals(content)).toBe(true);
  });

  it('keeps a chunk whose response was lost, so the resend gets 416 and the status shows the progress', async () => {
    const path = freshPath();
    const s = await session('work', path);
    const total = FRAGMENT_MULTIPLE * 2;
    const content = randomBytes(total);
    graph.server.faults.add({ kind: 'reset-response', method: 'PUT', path: '^/up/', afterBytes: 5 });
    await expect(putChunk(s.uploadUrl, 0, total, content.subarray(0, FRAGMENT_MULTIPLE))).rejects.toThrow();
    expect((await putChunk(s.uploadUrl, 0, total, content.subarray(0, FRAGMENT_MULTIPLE))).status).toBe(416);
    expect((await status(s.uploadUrl)).body.nextExpectedRanges).toEqual([
      `${FRAGMENT_MULTIPLE}-${total - 1}`,
    ]);
    expect(
      (await putChunk(s.uploadUrl, FRAGMENT_MULTIPLE, total, content.subarray(FRAGMENT_MULTIPLE))).status,
    ).toBe(201);
    expect(graph.file(await driveId('work'), path)!.content.equals(content)).toBe(true);
  });

  it('answers an injected 503 with Retry-After without touching the session', async () => {
    const s = await session('work', freshPath());
    graph.server.faults.failNext(503, { method: 'PUT', path: '^/up/', retryAfterSeconds: 7 });
    const res = await fetch(s.uploadUrl, {
      method: 'PUT',
      headers: { 'Content-Range': 'bytes 0-0/1' },
      body: 'x',
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect((await status(s.uploadUrl)).body.nextExpectedRanges).toEqual(['0-']);
  });
});
