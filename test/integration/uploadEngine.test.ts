// The upload engine against the real Graph emulator and Azurite blobs: every size class, every
// fault Graph documents for uploads (429/503 with Retry-After, 5xx, resets, 416, 401, lost
// sessions), budget exhaustion and continuations. Each test checks the drive holds
// exactly the source bytes with the matching quickXorHash, and nothing else (no `name (1).ext`).
import type { ContainerClient } from '@azure/storage-blob';
import { uploadFile } from '../../src/backup/upload';
import type { UploadContinuation, UploadOptions, UploadRequest } from '../../src/backup/upload/types';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import * as wire from '../../src/graph/wire';
import { createBlobSource } from '../../src/sources/blobSource';
import { AppError } from '../../src/errors';
import { azuriteConnectionString } from '../helpers/azurite';
import {
  content,
  MiB,
  newContainer,
  putBlob,
  randomName,
  startGraph,
  useGraph,
  UNIT,
  uploadOptions,
  type GraphFixture,
} from './backupHarness';

let fx: GraphFixture;
let container: ContainerClient;
const logLines: string[] = [];

useGraph(
  'personal',
  (started) => (fx = started),
  (line) => logLines.push(line),
);
beforeAll(async () => {
  container = await newContainer();
});
afterEach(() => fx.graph.server.faults.clear());

async function prepare(
  size: number,
  name = randomName(),
): Promise<{ name: string; data: Buffer; request: UploadRequest }> {
  const data = content(size);
  const etag = await putBlob(container, name, data);
  const source = createBlobSource({
    connectionString: azuriteConnectionString(),
    container: container.containerName,
  });
  return {
    name,
    data,
    request: {
      target: {
        apiBaseUrl: fx.apiBaseUrl,
        driveId: fx.driveId,
        encodedPath: `Backups/${encodeURIComponent(name)}`,
      },
      size,
      read: (offset, count, into) => source.readRange(name, offset, count, etag, into),
      tokens: fx.tokens,
    },
  };
}

function expectInDrive(name: string, data: Buffer): void {
  const file = fx.graph.file(fx.driveId, `Backups/${name}`);
  expect(file).toBeDefined();
  expect(file!.content.length).toBe(data.length);
  expect(file!.content.equals(data)).toBe(true);
  expect((file!.item.file as { hashes: { quickXorHash: string } }).hashes.quickXorHash).toBe(
    QuickXorHash.of(data),
  );
  // No duplicates: the only file whose name starts like this one is this one.
  const stem = name.replace(/\.bin$/, '');
  expect(fx.graph.listFiles(fx.driveId).filter((f) => f.path.includes(stem))).toHaveLength(1);
}

/** Runs invocations until the file completes, feeding each continuation to the next (as the queue does). */
async function untilDone(
  request: UploadRequest,
  options: (i: number) => UploadOptions,
  max = 100,
): Promise<number> {
  let continuation: UploadContinuation | undefined;
  for (let i = 1; i <= max; i++) {
    const outcome = await uploadFile({ ...request, continuation }, options(i));
    if (outcome.status === 'completed') return i;
    // Through JSON, as it travels in a queue message.
    continuation = JSON.parse(JSON.stringify(outcome.continuation)) as UploadContinuation;
  }
  throw new Error('did not finish');
}

describe('upload sizes', () => {
  it.each([
    ['0 B', 0],
    ['1 B', 1],
    ['exactly 4 MiB (simple PUT)', 4 * MiB],
    ['4 MiB + 1 (upload session)', 4 * MiB + 1],
    ['10 MiB (one full chunk)', 10 * MiB],
    ['10 MiB + 1 (a 1-byte last chunk)', 10 * MiB + 1],
    ['33 MiB + 7 (several chunks)', 33 * MiB + 7],
  ])('%s arrives byte-identical with the same quickXorHash', async (_label, size) => {
    const { name, data, request } = await prepare(size);
    const before = fx.graph.server.requests.length;
    const outcome = await uploadFile(request, uploadOptions());
    expect(outcome.status).toBe('completed');
    expectInDrive(name, data);
    const sent = fx.graph.server.requests.slice(before);
    const simple = size <= 4 * MiB;
    expect(sent.some((r) => r.path.endsWith(':/content'))).toBe(simple);
    expect(sent.filter((r) => r.path.endsWith(':/createUploadSession'))).toHaveLength(simple ? 0 : 1);
    // Chunk PUTs go to the upload host (127.0.0.1), never to the API host.
    expect(
      sent.filter((r) => r.method === 'PUT' && r.hostname === 'localhost' && !r.path.endsWith('/content')),
    ).toHaveLength(0);
    if (outcome.status === 'completed') expect(outcome.item.quickXorHash).toBe(QuickXorHash.of(data));
  });

  it('uploading the same file again replaces it instead of adding "name (1).bin"', async () => {
    const { name, data, request } = await prepare(5 * MiB);
    await uploadFile(request, uploadOptions({ chunkBytes: 2 * UNIT }));
    await uploadFile(request, uploadOptions({ chunkBytes: 2 * UNIT }));
    expectInDrive(name, data);
  });

  it('never sends the Authorization header to the upload URL', async () => {
    const { request } = await prepare(5 * MiB);
    const seen: Array<string | undefined> = [];
    const realSend = wire.sendOverWire;
    const spy = jest.spyOn(wire, 'sendOverWire').mockImplementation((sent) => {
      if (new URL(sent.url).hostname === '127.0.0.1') seen.push(sent.headers.authorization);
      return realSend(sent);
    });
    try {
      await uploadFile(request, uploadOptions({ chunkBytes: 4 * UNIT }));
    } finally {
      spy.mockRestore();
    }
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((h) => h === undefined)).toBe(true);
  });
});

describe('faults', () => {
  const size = 5 * MiB + 123;
  const chunk = 2 * UNIT;

  it('429 with Retry-After: waits exactly as told, then finishes', async () => {
    const { name, data, request } = await prepare(size);
    fx.graph.server.faults.failNext(429, { host: '127.0.0.1', method: 'PUT', retryAfterSeconds: 7 });
    const options = uploadOptions({ chunkBytes: chunk });
    await uploadFile(request, options);
    expect(options.clock.sleeps).toContain(7000);
    expect(fx.graph.server.faults.injected['status 429']).toBe(1);
    expectInDrive(name, data);
  });

  it('503 with Retry-After on createUploadSession: waits as told', async () => {
    const { name, data, request } = await prepare(size);
    fx.graph.server.faults.failNext(503, { path: 'createUploadSession', retryAfterSeconds: 3 });
    const options = uploadOptions({ chunkBytes: chunk });
    await uploadFile(request, options);
    expect(options.clock.sleeps).toEqual([3000]);
    expectInDrive(name, data);
  });

  it('500 on chunks: backs off, asks the session where it is, and resumes', async () => {
    const { name, data, request } = await prepare(size);
    fx.graph.server.faults.failNext(500, { host: '127.0.0.1', method: 'PUT', count: 2 });
    const options = uploadOptions({ chunkBytes: chunk });
    const before = fx.graph.server.requests.length;
    await uploadFile(request, options);
    expect(options.clock.sleeps).toHaveLength(2);
    expect(
      fx.graph.server.requests.slice(before).filter((r) => r.method === 'GET' && r.hostname === '127.0.0.1'),
    ).toHaveLength(2);
    expectInDrive(name, data);
  });

  it('a connection reset half-way through a chunk request: resumes from the session status', async () => {
    const { name, data, request } = await prepare(size);
    fx.graph.server.faults.add({
      kind: 'reset-request',
      afterBytes: 200_000,
      host: '127.0.0.1',
      method: 'PUT',
    });
    await uploadFile(request, uploadOptions({ chunkBytes: chunk }));
    expect(fx.graph.server.faults.injected['reset-request']).toBe(1);
    expectInDrive(name, data);
  });

  it('a lost response after the server took the chunk: the hash moves on without resending', async () => {
    const { name, data, request } = await prepare(size);
    fx.graph.server.faults.add({ kind: 'reset-response', afterBytes: 5, host: '127.0.0.1', method: 'PUT' });
    const outcome = await uploadFile(request, uploadOptions({ chunkBytes: chunk }));
    expect(outcome.stats.bytesSent).toBe(size);
    expectInDrive(name, data);
  });

  it('a lost response to the last chunk: recognises the finished file instead of uploading again', async () => {
    const { name, data, request } = await prepare(size);
    // The last chunk's Content-Range ends with "/size"; only the status header tells it apart, so
    // cut the response of every PUT carrying the final byte: the 9th chunk (index 8).
    const chunks = Math.ceil(size / chunk);
    let puts = 0;
    const realSend = wire.sendOverWire;
    const spy = jest.spyOn(wire, 'sendOverWire').mockImplementation((sent) => {
      if (sent.method === 'PUT' && new URL(sent.url).hostname === '127.0.0.1' && ++puts === chunks)
        fx.graph.server.faults.add({
          kind: 'reset-response',
          afterBytes: 5,
          host: '127.0.0.1',
          method: 'PUT',
        });
      return realSend(sent);
    });
    let outcome;
    try {
      outcome = await uploadFile(request, uploadOptions({ chunkBytes: chunk }));
    } finally {
      spy.mockRestore();
    }
    expect(outcome.status).toBe('completed');
    expect(outcome.stats.sessionsCreated).toBe(1);
    expect(outcome.stats.bytesSent).toBe(size);
    expectInDrive(name, data);
  });

  it('session gone (404) mid-upload: starts a new session and the hash from byte 0', async () => {
    const { name, data, request } = await prepare(size);
    let expired = false;
    const outcome = await uploadFile(
      request,
      uploadOptions({
        chunkBytes: chunk,
        onProgress: ({ committed }) => {
          if (committed >= 2 * chunk && !expired) {
            expired = true;
            fx.graph.expireAllSessions();
          }
        },
      }),
    );
    expect(outcome.stats.sessionsCreated).toBe(2);
    expectInDrive(name, data);
  });

  it('416 on a chunk: realigns from the session status', async () => {
    const { name, data, request } = await prepare(size);
    fx.graph.server.faults.failNext(416, { host: '127.0.0.1', method: 'PUT' });
    await uploadFile(request, uploadOptions({ chunkBytes: chunk }));
    expect(fx.graph.server.faults.injected['status 416']).toBe(1);
    expectInDrive(name, data);
  });

  it('401 on a Graph call: refreshes the token once and goes on', async () => {
    const { name, data, request } = await prepare(size);
    fx.tokenCalls.length = 0;
    fx.graph.server.faults.failNext(401, { path: 'createUploadSession' });
    await uploadFile(request, uploadOptions({ chunkBytes: chunk }));
    expect(fx.tokenCalls).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
    expectInDrive(name, data);
  });

  it('a token endpoint failure (retryable) is retried with backoff', async () => {
    const { name, data, request } = await prepare(1000);
    let calls = 0;
    const options = uploadOptions();
    await uploadFile(
      {
        ...request,
        tokens: async (o) => {
          if (++calls === 1) throw new AppError('Transient', 'token endpoint answered 500');
          return fx.tokens(o);
        },
      },
      options,
    );
    expect(calls).toBe(2);
    expect(options.clock.sleeps).toHaveLength(1);
    expectInDrive(name, data);
  });

  it('507 quota: fails the file with QuotaExceeded and does not retry', async () => {
    const quota = await startGraph('work');
    try {
      quota.graph.setQuota(quota.driveId, 1 * MiB);
      const { request } = await prepare(size);
      const before = quota.graph.server.requests.length;
      const options = uploadOptions({ chunkBytes: chunk });
      const attempt = uploadFile(
        {
          ...request,
          target: { ...request.target, apiBaseUrl: quota.apiBaseUrl, driveId: quota.driveId },
          tokens: quota.tokens,
        },
        options,
      );
      await expect(attempt).rejects.toMatchObject({ code: 'QuotaExceeded' });
      expect(options.clock.sleeps).toHaveLength(0);
      const puts = quota.graph.server.requests.slice(before).filter((r) => r.method === 'PUT');
      expect(puts.length).toBeLessThanOrEqual(1);
    } finally {
      await quota.graph.stop();
    }
  });

  it('gives up after the bounded number of attempts', async () => {
    const { request } = await prepare(size);
    fx.graph.server.faults.failNext(500, { host: '127.0.0.1', method: 'PUT', count: Infinity });
    const options = uploadOptions({ chunkBytes: chunk });
    await expect(uploadFile(request, options)).rejects.toMatchObject({ code: 'Transient' });
    expect(options.clock.sleeps.length).toBe(options.retry.maxAttempts - 1);
  });
});

describe('time budget and continuations', () => {
  const chunk = 2 * UNIT;

  it('hands over between chunks when the budget is spent, and the continuations finish the file', async () => {
    const { name, data, request } = await prepare(4 * MiB + 5);
    // A deadline already past: each invocation sends its one guaranteed chunk, then hands over.
    const invocations = await untilDone(request, () => uploadOptions({ chunkBytes: chunk, deadline: 0 }));
    expect(invocations).toBe(Math.ceil((4 * MiB + 5) / chunk));
    expectInDrive(name, data);
  });

  it('a continuation behind the server (a worker died after sending more) re-hashes from the source', async () => {
    const { name, data, request } = await prepare(4 * MiB + 5);
    const first = await uploadFile(request, uploadOptions({ chunkBytes: chunk, deadline: 0 }));
    expect(first.status).toBe('continue');
    if (first.status !== 'continue') return;
    // Another invocation sends two more chunks and dies before handing over.
    const ahead = await uploadFile(
      { ...request, continuation: first.continuation },
      uploadOptions({ chunkBytes: chunk, deadline: 0 }),
    );
    expect(ahead.status).toBe('continue');
    // The redelivered stale continuation must still end with the right hash.
    const outcome = await uploadFile(
      { ...request, continuation: first.continuation },
      uploadOptions({ chunkBytes: chunk }),
    );
    expect(outcome.status).toBe('completed');
    expectInDrive(name, data);
  });

  it('a continuation whose session expired starts a new session and finishes', async () => {
    const { name, data, request } = await prepare(4 * MiB + 5);
    const first = await uploadFile(request, uploadOptions({ chunkBytes: chunk, deadline: 0 }));
    if (first.status !== 'continue') throw new Error('expected a continuation');
    fx.graph.expireAllSessions();
    const outcome = await uploadFile(
      { ...request, continuation: first.continuation },
      uploadOptions({ chunkBytes: chunk }),
    );
    expect(outcome.stats.sessionsCreated).toBe(1);
    expectInDrive(name, data);
  });

  it('refuses a continuation whose upload URL points elsewhere, without contacting it', async () => {
    const { request } = await prepare(4 * MiB + 5);
    const first = await uploadFile(request, uploadOptions({ chunkBytes: chunk, deadline: 0 }));
    if (first.status !== 'continue') throw new Error('expected a continuation');
    const tampered = {
      ...first.continuation,
      uploadUrl: first.continuation.uploadUrl.replace('127.0.0.1', 'localhost'),
    };
    const before = fx.graph.server.requests.length;
    await expect(
      uploadFile({ ...request, continuation: tampered }, uploadOptions({ chunkBytes: chunk })),
    ).rejects.toMatchObject({
      code: 'MessageInvalid',
    });
    expect(fx.graph.server.requests.length).toBe(before);
  });

  it('a 429 whose Retry-After passes the deadline hands over instead of idling', async () => {
    const { request } = await prepare(4 * MiB + 5);
    fx.graph.server.faults.failNext(429, { host: '127.0.0.1', method: 'PUT', retryAfterSeconds: 120 });
    const options = uploadOptions({ chunkBytes: chunk });
    options.deadline = options.clock.now() + 60_000;
    const outcome = await uploadFile(request, options);
    expect(outcome.status).toBe('continue');
    expect(options.clock.sleeps).toEqual([]);
  });
});

describe('an upload the drive reports back differently', () => {
  // The emulator's fault injection stands in for a drive whose copy is not the source's: it answers
  // the final PUT with 201 and the driveItem given. A mismatch must fail the file, loudly.
  const itemAnswer = (size: number, quickXorHash: string) => ({
    id: 'ITEM-FROM-FAULT',
    name: 'file.bin',
    size,
    file: { hashes: { quickXorHash } },
  });
  /** The hash of other bytes of the same length: what a drive holding a damaged copy reports. */
  const damagedHash = (data: Buffer): string => {
    const damaged = Buffer.from(data);
    damaged[0] ^= 0xff;
    return QuickXorHash.of(damaged);
  };
  /** The final PUT of a simple upload (its only one) is answered with this driveItem. */
  const answerSimpleUpload = (item: Record<string, unknown>): void =>
    void fx.graph.server.faults.add({
      kind: 'status',
      status: 201,
      method: 'PUT',
      path: ':/content$',
      body: item,
    });
  const verifyFailures = (): number => logLines.filter((l) => l.includes('upload.verify.failed')).length;

  it('fails a simple upload whose returned quickXorHash differs', async () => {
    const { data, request } = await prepare(1000);
    answerSimpleUpload(itemAnswer(data.length, damagedHash(data)));
    const failures = verifyFailures();
    await expect(uploadFile(request, uploadOptions())).rejects.toMatchObject({
      code: 'HashMismatch',
      message: expect.stringMatching(/quickXorHash differs/),
    });
    expect(verifyFailures() - failures).toBe(1);
  });

  it('fails a session upload whose last chunk is answered with a different quickXorHash', async () => {
    const { data, request } = await prepare(4 * MiB + 1);
    // One chunk: the only PUT to the upload host is the last, which returns the driveItem.
    fx.graph.server.faults.add({
      kind: 'status',
      status: 201,
      method: 'PUT',
      host: '127.0.0.1',
      body: itemAnswer(data.length, damagedHash(data)),
    });
    const failures = verifyFailures();
    await expect(uploadFile(request, uploadOptions({ chunkBytes: 16 * UNIT }))).rejects.toMatchObject({
      code: 'HashMismatch',
    });
    expect(verifyFailures() - failures).toBe(1);
  });

  it('fails an upload whose returned size differs, even with the right quickXorHash', async () => {
    const { data, request } = await prepare(1000);
    answerSimpleUpload(itemAnswer(data.length + 1, QuickXorHash.of(data)));
    await expect(uploadFile(request, uploadOptions())).rejects.toMatchObject({
      code: 'HashMismatch',
      message: expect.stringMatching(/1001 bytes; the source has 1000/),
    });
  });

  // "In some cases hash values may not be available. If this is the case, the hash values on an
  // item will be updated after the item is downloaded."
  // (https://learn.microsoft.com/graph/api/resources/hashes): an answer without one is read again.
  const hashless = (id: string, size: number) => ({ id, name: 'file.bin', size, file: {} });
  const readsById = (id: string, from: number) =>
    fx.graph.server.requests
      .slice(from)
      .filter((r) => r.method === 'GET' && r.path.endsWith(`/items/${encodeURIComponent(id)}`)).length;

  it('an answer without a quickXorHash is checked by reading the item again', async () => {
    const { data, request } = await prepare(1000);
    const first = await uploadFile(request, uploadOptions());
    if (first.status !== 'completed') throw new Error('the first upload did not finish');
    answerSimpleUpload(hashless(first.item.id, data.length));
    const before = fx.graph.server.requests.length;
    const outcome = await uploadFile(request, uploadOptions());
    expect(outcome).toMatchObject({
      status: 'completed',
      item: { id: first.item.id, size: 1000, quickXorHash: QuickXorHash.of(data) },
    });
    expect(readsById(first.item.id, before)).toBe(1);
  });

  it('an item gone when read again is a retryable failure about the drive, not a missing blob', async () => {
    const { data, request } = await prepare(1000);
    answerSimpleUpload(hashless('ITEM-FROM-FAULT', data.length));
    const error = (await uploadFile(request, uploadOptions()).catch((e: unknown) => e)) as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'Transient',
      message: expect.stringMatching(/not on the drive when it was read back/),
    });
    expect(error.retryable).toBe(true);
  });

  it('accepts the same answer when size and quickXorHash are the source’s', async () => {
    const { data, request } = await prepare(1000);
    answerSimpleUpload(itemAnswer(data.length, QuickXorHash.of(data)));
    const outcome = await uploadFile(request, uploadOptions());
    expect(outcome).toMatchObject({ status: 'completed', item: { id: 'ITEM-FROM-FAULT', size: 1000 } });
  });
});

describe('logs', () => {
  it('never contain an upload URL or a bearer token', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(line).not.toMatch(/\/up\/[0-9a-f]+\//);
      expect(line).not.toMatch(/Bearer /);
    }
  });
});
