// The download engine against the Graph emulator and Azurite: each test restores a OneDrive file
// into a blob and compares the blob with the exact bytes put into the drive.
import type { ContainerClient } from '@azure/storage-blob';
import { AppError } from '../../src/errors';
import { SharedBackoff } from '../../src/graph/backoff';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { restoreFile } from '../../src/restore/download/restoreFile';
import type { RestoreContinuation, RestoreOutcome, RestoreTarget } from '../../src/restore/download/types';
import { blockBlobTarget, HASH_METADATA_KEY } from '../../src/restore/target/blockBlobTarget';
import {
  content,
  engineOptions,
  MiB,
  newContainer,
  putDriveFile,
  readBlob,
  startDrive,
  type DriveFixture,
} from './restoreHarness';

let fx: DriveFixture;
let container: ContainerClient;
const logLines: string[] = [];
let previousSink: LogSink;
let counter = 0;

beforeAll(async () => {
  previousSink = setLogSink((line) => logLines.push(line));
  fx = await startDrive();
  container = await newContainer();
});
afterAll(async () => {
  setLogSink(previousSink);
  await fx.graph.stop();
});
afterEach(() => fx.graph.server.faults.clear());

const downloads = (): number => fx.graph.server.count('GET', /^\/dl\//);
/**
 * Waits until no download request has arrived for 100 ms. Each count comes after a turn of the
 * event loop's I/O phase (setImmediate runs after it): the emulator runs in this process, so after
 * a stall the timer fires before the requests that arrived meanwhile are read.
 */
async function settledDownloads(): Promise<void> {
  for (let last = -1; last !== downloads();) {
    last = downloads();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function seed(size: number): Promise<{ itemId: string; data: Buffer; name: string }> {
  const name = `file-${++counter}.bin`;
  const data = content(size);
  const itemId = await putDriveFile(fx, `Backups/${name}`, data);
  return { itemId, data, name };
}

function restore(
  itemId: string,
  target: RestoreTarget,
  options = engineOptions(),
  continuation?: RestoreContinuation,
): Promise<RestoreOutcome> {
  return restoreFile(
    { location: fx.location('Backups'), itemId, target, tokens: fx.tokens, continuation },
    options,
  );
}

async function expectRestored(name: string, data: Buffer): Promise<void> {
  const restored = await readBlob(container, name);
  expect(restored.length).toBe(data.length);
  expect(restored.equals(data)).toBe(true);
  const props = await container.getBlobClient(name).getProperties();
  expect(props.metadata?.[HASH_METADATA_KEY]).toBe(QuickXorHash.of(data));
}

describe('restoring one file', () => {
  it.each([
    ['0 B', 0, 0],
    ['1 B', 1, 1],
    ['8 MiB (one whole block)', 8 * MiB, 1],
    ['8 MiB + 1 B (a 1-byte last block)', 8 * MiB + 1, 2],
  ])('restores %s byte-identical with one range request per block', async (_label, size, blocks) => {
    const { itemId, data, name } = await seed(size);
    const before = downloads();
    const outcome = await restore(itemId, blockBlobTarget(container, name));
    expect(outcome.status).toBe('restored');
    expect(outcome.stats.rangeRequests).toBe(blocks);
    expect(downloads() - before).toBe(blocks);
    await expectRestored(name, data);
  });

  it('restores a file over 100 MiB byte-identical, in 8 MiB blocks', async () => {
    const { itemId, data, name } = await seed(100 * MiB + 12_345);
    const outcome = await restore(itemId, blockBlobTarget(container, name));
    expect(outcome.status).toBe('restored');
    expect(outcome.stats.blocksStaged).toBe(13);
    const blocks = await container.getBlockBlobClient(name).getBlockList('committed');
    expect(blocks.committedBlocks).toHaveLength(13);
    await expectRestored(name, data);
  });

  it('never sends the Authorization header to the download host', async () => {
    const { itemId, data, name } = await seed(3 * MiB);
    const seen: Array<{ host: string; authorized: boolean }> = [];
    const recording: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      seen.push({ host: new URL(String(input)).hostname, authorized: headers.has('authorization') });
      return fetch(input, init);
    };
    await restore(
      itemId,
      blockBlobTarget(container, name),
      engineOptions({ fetch: recording, blockSize: MiB }),
    );
    await expectRestored(name, data);
    expect(seen.filter((r) => r.host === '127.0.0.1')).toHaveLength(3);
    expect(seen.filter((r) => r.host === '127.0.0.1' && r.authorized)).toHaveLength(0);
    expect(seen.filter((r) => r.host === 'localhost').every((r) => r.authorized)).toBe(true);
  });

  it('follows the content redirect itself when the item carries no download URL', async () => {
    const { itemId, data, name } = await seed(2 * MiB + 7);
    const item = fx.graph.file(fx.driveId, `Backups/${name}`)!.item;
    const { ['@microsoft.graph.downloadUrl']: _url, ...withoutUrl } = item;
    void _url;
    // Both reads of the item (the first, and the one asked for a download URL) come without one.
    fx.graph.server.faults.add({
      kind: 'status',
      status: 200,
      body: withoutUrl,
      path: `/items/${itemId}$`,
      count: 2,
    });
    const contentCalls = fx.graph.server.count('GET', /\/content$/);
    await restore(itemId, blockBlobTarget(container, name), engineOptions({ blockSize: MiB }));
    expect(fx.graph.server.count('GET', /\/content$/) - contentCalls).toBe(1);
    await expectRestored(name, data);
  });
});

describe('faults', () => {
  it('obeys Retry-After on 429, backs off on 503 and re-reads a range cut mid-body', async () => {
    const { itemId, data, name } = await seed(5 * MiB + 3);
    const faults = fx.graph.server.faults;
    faults.failNext(429, { host: '127.0.0.1', path: '^/dl/', retryAfterSeconds: 7 });
    faults.failNext(503, { host: '127.0.0.1', path: '^/dl/' });
    faults.add({ kind: 'reset-response', host: '127.0.0.1', path: '^/dl/', afterBytes: 300_000 });
    faults.failNext(500, { host: '127.0.0.1', path: '^/dl/' });
    const injectedBefore = faults.total;
    const options = engineOptions({ blockSize: 2 * MiB });
    const outcome = await restore(itemId, blockBlobTarget(container, name), options);
    expect(outcome.status).toBe('restored');
    expect(faults.total - injectedBefore).toBe(4);
    expect(options.clock.sleeps).toContain(7000);
    expect(outcome.stats.retries).toBe(4);
    expect(outcome.stats.rangeRequests).toBe(3 + 4);
    await expectRestored(name, data);
  });

  it("waits while the connection's shared gate holds (another upload or restore was throttled)", async () => {
    const { itemId, data, name } = await seed(2 * MiB);
    const gate = new SharedBackoff();
    const options = engineOptions({ blockSize: MiB });
    options.backoff = { gate, key: 'conn-1' };
    gate.hold('conn-1', options.clock.now() + 9000);
    gate.hold('another connection', options.clock.now() + 60_000);
    const outcome = await restore(itemId, blockBlobTarget(container, name), options);
    expect(outcome.status).toBe('restored');
    // One wait of the held time, none for the other connection's hold.
    expect(options.clock.sleeps).toEqual([9000]);
    await expectRestored(name, data);
  });

  it('gets a fresh download URL when the URL answers 404', async () => {
    const { itemId, data, name } = await seed(3 * MiB);
    fx.graph.server.faults.failNext(404, { host: '127.0.0.1', path: '^/dl/' });
    const outcome = await restore(
      itemId,
      blockBlobTarget(container, name),
      engineOptions({ blockSize: MiB }),
    );
    expect(outcome.stats.urlRefreshes).toBe(1);
    expect(outcome.stats.graphRequests).toBe(2); // the item, then the item again for a new URL
    await expectRestored(name, data);
  });

  it('refreshes the access token once after a 401 from Graph', async () => {
    const { itemId, data, name } = await seed(10);
    fx.graph.server.faults.failNext(401, { host: 'localhost', path: `/items/${itemId}$` });
    fx.tokenCalls.length = 0;
    await restore(itemId, blockBlobTarget(container, name));
    expect(fx.tokenCalls).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
    await expectRestored(name, data);
  });

  it('commits nothing and fails with HashMismatch when the bytes do not match the item hash', async () => {
    const { itemId, name } = await seed(3 * MiB + 1);
    const item = fx.graph.file(fx.driveId, `Backups/${name}`)!.item;
    const corrupted = { ...item, file: { hashes: { quickXorHash: QuickXorHash.of(Buffer.from('other')) } } };
    fx.graph.server.faults.add({ kind: 'status', status: 200, body: corrupted, path: `/items/${itemId}$` });
    const error = await restore(
      itemId,
      blockBlobTarget(container, name),
      engineOptions({ blockSize: MiB }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('HashMismatch');
    expect(await container.getBlobClient(name).exists()).toBe(false);
  });
});

describe('interrupted restores', () => {
  it('continues after the time budget ran out, without downloading staged blocks again', async () => {
    const { itemId, data, name } = await seed(6 * MiB + 5);
    const target = blockBlobTarget(container, name);
    const first = engineOptions({ blockSize: MiB, readAhead: false, deadline: Date.UTC(2026, 0, 1) + 1000 });
    // The budget ends once three blocks are staged.
    first.onProgress = ({ staged }) => {
      if (staged >= 3 * MiB) first.clock.advance(5000);
    };
    const part = await restore(itemId, target, first);
    expect(part.status).toBe('continue');
    if (part.status !== 'continue') return;
    expect(part.continuation).toMatchObject({ itemId, nextOffset: 3 * MiB });
    expect(part.stats.rangeRequests).toBe(3);
    expect(await container.getBlobClient(name).exists()).toBe(false);

    const rest = await restore(itemId, target, engineOptions({ blockSize: MiB }), part.continuation);
    expect(rest.status).toBe('restored');
    expect(rest.stats.blocksSkipped).toBe(3);
    expect(rest.stats.rangeRequests).toBe(4); // blocks 3..6 only
    await expectRestored(name, data);
  });

  it('resumes after a crash mid-file from the staged block list alone', async () => {
    const { itemId, data, name } = await seed(5 * MiB);
    const real = blockBlobTarget(container, name);
    let staged = 0;
    const crashing: RestoreTarget = {
      ...real,
      stageBlock: async (id, bytes) => {
        if (staged === 2) throw new Error('worker killed');
        staged += 1;
        await real.stageBlock(id, bytes);
      },
    };
    await expect(restore(itemId, crashing, engineOptions({ blockSize: MiB }))).rejects.toThrow(
      'worker killed',
    );
    expect(await container.getBlobClient(name).exists()).toBe(false);

    // The crashed attempt cancels its read-ahead, but over a kept-alive connection that range GET
    // may already be on the wire and reach the emulator a moment later: let it land before counting.
    await settledDownloads();
    // Redelivered task: no continuation, the staged blocks carry the hash state.
    const before = downloads();
    const outcome = await restore(itemId, real, engineOptions({ blockSize: MiB }));
    expect(outcome.status).toBe('restored');
    expect(outcome.stats.blocksSkipped).toBe(2);
    expect(outcome.stats.rangeRequests).toBe(3);
    expect(downloads() - before).toBe(3);
    await expectRestored(name, data);
  });
});

describe('overwrite policy and redelivery', () => {
  it('treats a redelivered task for an already restored blob as a no-op', async () => {
    const { itemId, data, name } = await seed(MiB + 1);
    await restore(itemId, blockBlobTarget(container, name), engineOptions({ overwrite: 'fail-if-exists' }));
    const again = await restore(
      itemId,
      blockBlobTarget(container, name),
      engineOptions({ overwrite: 'fail-if-exists' }),
    );
    expect(again).toMatchObject({ status: 'skipped', reason: 'identical' });
    expect(again.stats.rangeRequests).toBe(0);
    await expectRestored(name, data);
  });

  it('skip-existing leaves a different blob alone; fail-if-exists refuses; overwrite replaces', async () => {
    const { itemId, data, name } = await seed(1000);
    const other = Buffer.from('not the backup');
    await container.getBlockBlobClient(name).uploadData(other);
    const skipped = await restore(
      itemId,
      blockBlobTarget(container, name),
      engineOptions({ overwrite: 'skip-existing' }),
    );
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'exists' });
    expect((await readBlob(container, name)).equals(other)).toBe(true);

    await expect(
      restore(itemId, blockBlobTarget(container, name), engineOptions({ overwrite: 'fail-if-exists' })),
    ).rejects.toMatchObject({ code: 'Conflict' });
    expect((await readBlob(container, name)).equals(other)).toBe(true);

    const replaced = await restore(
      itemId,
      blockBlobTarget(container, name),
      engineOptions({ overwrite: 'overwrite' }),
    );
    expect(replaced.status).toBe('restored');
    await expectRestored(name, data);
  });

  it('keeps tokens and pre-authenticated download URLs out of the logs', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const all = logLines.join('\n');
    expect(all).not.toMatch(/\/dl\//);
    expect(all).not.toMatch(/Bearer/);
  });
});
