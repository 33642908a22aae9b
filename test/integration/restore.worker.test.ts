// The restorer queue worker end to end against the Graph emulator and Azurite: a backup tree in
// OneDrive (encoded names, more than one page of children, a multi-block file) is restored into a
// fresh container, by walking the drive alone (disaster recovery) and from a manifest, with every
// message delivered twice to prove the handlers idempotent.
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { SharedBackoff } from '../../src/graph/backoff';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import { encodeRowKey } from '../../src/store/manifest';
import { encodeBlobPath } from '../../src/graph/names';
import { setLogSink, type LogSink } from '../../src/log/logger';
import type { RestoreDeps } from '../../src/restore/deps';
import type { RestoreMessage } from '../../src/restore/messages';
import { validateRestoreRequest } from '../../src/restore/request';
import { startRestore } from '../../src/restore/start';
import { handleRestoreMessage } from '../../src/restore/worker';
import type { Job } from '../../src/store/jobs';
import { RunStore } from '../../src/store/runs';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import {
  blobNames,
  content,
  MiB,
  putDriveFile,
  readBlob,
  restoreWorld,
  startDrive,
  type DriveFixture,
} from './restoreHarness';

const ENCODED_NAMES = [
  'db/2026-03-01/dump.sql.gz',
  'odd/a:b*c?d"e<f>g|h.txt',
  'odd/CON.txt',
  'odd/desktop.ini',
  'odd/~$lock.docx',
  'odd/x_vti_y',
  ' lead and trail ',
  'ends with dot.',
  'unicode/名前/😀 émoji.bin',
  'empty.bin',
];

let fx: DriveFixture;
const files = new Map<string, Buffer>();
const itemIds = new Map<string, string>();
const tables: TableClient[] = [];

const table = async (prefix: string): Promise<TableClient> => {
  const client = TableClient.fromConnectionString(azuriteConnectionString(), uniqueName(prefix), {
    allowInsecureConnection: true,
  });
  await client.createTable();
  tables.push(client);
  return client;
};

// Hundreds of files restored one message at a time: on a loaded 2-core machine this takes minutes, and
// the limits only guard against a hang (no timing is asserted).
jest.setTimeout(300_000);
let previousSink: LogSink;

beforeAll(async () => {
  previousSink = setLogSink(() => undefined);
  fx = await startDrive();
  for (const name of ENCODED_NAMES) files.set(name, content(name === 'empty.bin' ? 0 : 1000 + files.size));
  files.set('big/eight-mib-plus-one.bin', content(8 * MiB + 1));
  // More than one page of children (Graph pages 200 at a time).
  for (let i = 0; i < 205; i++)
    files.set(`many/file-${String(i).padStart(3, '0')}.txt`, content(10 + (i % 7)));
  for (const [name, data] of files)
    itemIds.set(name, await putDriveFile(fx, `Backups/job1/${encodeBlobPath(name)}`, data));
}, 120_000);
afterAll(async () => {
  setLogSink(previousSink);
  await Promise.all(tables.map((t) => t.deleteTable().catch(() => undefined)));
  await fx.graph.stop();
});

interface Harness {
  deps: RestoreDeps;
  runs: RunStore;
  queue: RestoreMessage[];
  /**
   * Delivers every queued message, each twice (at-least-once delivery). Checks each carries ids and
   * positions only: the spec (endpoint, container, folder) stays in the run record.
   */
  drain(): Promise<number>;
}

async function harness(manifest?: TableClient): Promise<Harness> {
  const { deps, runs, queue } = await restoreWorld(fx, 'restore-worker', {
    table,
    manifest,
    sendConcurrency: 8,
  });
  return {
    deps,
    runs,
    queue,
    async drain() {
      let delivered = 0;
      while (queue.length > 0) {
        const message = queue.shift()!;
        expect(message).not.toHaveProperty('spec');
        await handleRestoreMessage(deps, message);
        await handleRestoreMessage(deps, JSON.parse(JSON.stringify(message)));
        delivered += 1;
      }
      return delivered;
    },
  };
}

const blobService = (): BlobServiceClient =>
  BlobServiceClient.fromConnectionString(azuriteConnectionString());
const containerFor = (name: string): ContainerClient => blobService().getContainerClient(name);

async function expectContainerHolds(containerName: string, expected: Map<string, Buffer>): Promise<void> {
  const container = containerFor(containerName);
  expect(await blobNames(container)).toEqual([...expected.keys()].sort());
  for (const [name, data] of expected) expect((await readBlob(container, name)).equals(data)).toBe(true);
}

it('restores a whole tree from OneDrive alone (no manifest) into a fresh container, byte-identical', async () => {
  const h = await harness();
  const targetContainer = uniqueName('dr');
  const started = await startRestore(h.deps, {
    request: validateRestoreRequest(
      { targetContainer, folderPath: 'job1', overwrite: 'fail-if-exists' },
      { disasterRecovery: true },
    ),
    connectionId: 'conn-1',
    rootFolder: 'Backups',
  });
  expect(started.source).toBe('drive');
  const delivered = await h.drain();
  expect(delivered).toBeGreaterThan(files.size); // file tasks plus listings (two pages of many/)
  await expectContainerHolds(targetContainer, files);

  const run = await h.runs.require(started.runPartition, started.runId);
  expect(run.value).toMatchObject({ kind: 'restore', status: 'succeeded', planningComplete: true });
  // The one trusted copy of where the restore goes, written by start.
  expect(await h.deps.runs.restoreSpec(started.runPartition, started.runId)).toMatchObject({
    connectionId: 'conn-1',
    rootPath: 'Backups/job1',
    targetContainer,
    overwrite: 'fail-if-exists',
  });
  expect(run.value.totals).toMatchObject({
    plannedFiles: files.size,
    uploadedFiles: files.size,
    failedFiles: 0,
  });
}, 300_000);

it('restores only names under a prefix', async () => {
  const h = await harness();
  const targetContainer = uniqueName('prefix');
  const started = await startRestore(h.deps, {
    request: validateRestoreRequest(
      { targetContainer, folderPath: 'job1', prefix: 'odd/' },
      { disasterRecovery: true },
    ),
    connectionId: 'conn-1',
    rootFolder: 'Backups',
  });
  await h.drain();
  const expected = new Map([...files].filter(([name]) => name.startsWith('odd/')));
  await expectContainerHolds(targetContainer, expected);
  expect((await h.runs.require(started.runPartition, started.runId)).value.status).toBe('succeeded');
});

/**
 * A restore from job `jobId`'s manifest, which holds `entries` (each file's drive item, and the
 * quickXorHash the backup recorded when given), delivered to the end.
 */
async function restoreFromManifest(
  jobId: string,
  entries: Array<{ name: string; quickXorHash?: string }>,
): Promise<{ h: Harness; runId: string; source: string; targetContainer: string }> {
  const manifest = await table('manifest');
  for (const { name, quickXorHash } of entries)
    await manifest.createEntity({
      partitionKey: jobId,
      rowKey: encodeRowKey(name),
      blobName: name,
      driveItemId: itemIds.get(name)!,
      size: files.get(name)!.length,
      ...(quickXorHash ? { quickXorHash } : {}),
    });
  const h = await harness(manifest);
  const targetContainer = uniqueName('manifest');
  const job = {
    id: jobId,
    connectionId: 'conn-1',
    destinationFolder: 'job1',
    mode: 'mirror',
    source: { container: 'src' },
  } as Job;
  const started = await startRestore(h.deps, {
    request: validateRestoreRequest({ targetContainer }, { disasterRecovery: false }),
    connectionId: 'conn-1',
    rootFolder: 'Backups',
    job,
    manifestHasEntries: (await h.deps.manifest.page(jobId, undefined, 1)).entries.length > 0,
  });
  await h.drain();
  return { h, runId: started.runId, source: started.source, targetContainer };
}

it('restores from the job manifest when it has entries', async () => {
  const chosen = ['odd/a:b*c?d"e<f>g|h.txt', 'unicode/名前/😀 émoji.bin', 'big/eight-mib-plus-one.bin'];
  const { h, runId, source, targetContainer } = await restoreFromManifest(
    'job-1',
    chosen.map((name) => ({ name })),
  );
  expect(source).toBe('manifest');
  await expectContainerHolds(targetContainer, new Map(chosen.map((n) => [n, files.get(n)!])));
  const run = await h.runs.require('job-1', runId);
  expect(run.value.totals).toMatchObject({ plannedFiles: 3, uploadedFiles: 3 });
});

it('refuses a file whose drive copy is not the one the manifest says the backup wrote', async () => {
  const kept = 'odd/CON.txt';
  const changed = 'odd/desktop.ini';
  const { h, runId, targetContainer } = await restoreFromManifest('job-2', [
    { name: kept, quickXorHash: QuickXorHash.of(files.get(kept)!) },
    // As if the file had been changed in OneDrive after the backup wrote it.
    { name: changed, quickXorHash: QuickXorHash.of(Buffer.from('what the backup wrote')) },
  ]);
  await expectContainerHolds(targetContainer, new Map([[kept, files.get(kept)!]]));
  const failures = await h.runs.failures(runId);
  expect(failures.map((f) => [f.blobName, f.code])).toEqual([[changed, 'HashMismatch']]);
  expect(failures[0].reason).toMatch(/not the one the backup wrote/);
});

it('records a file that fails verification as failed, with the reason, and ends the run partially failed', async () => {
  const h = await harness();
  const targetContainer = uniqueName('bad');
  const name = 'odd/CON.txt';
  const encoded = `Backups/job1/${encodeBlobPath(name)}`;
  const item = fx.graph.file(fx.driveId, encoded)!.item;
  fx.graph.server.faults.add({
    kind: 'status',
    status: 200,
    body: { ...item, file: { hashes: { quickXorHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } } },
    path: `/items/${itemIds.get(name)}$`,
    count: -1,
  });
  try {
    const started = await startRestore(h.deps, {
      request: validateRestoreRequest(
        { targetContainer, folderPath: 'job1', prefix: 'odd/' },
        { disasterRecovery: true },
      ),
      connectionId: 'conn-1',
      rootFolder: 'Backups',
    });
    await h.drain();
    expect(await containerFor(targetContainer).getBlobClient(name).exists()).toBe(false);
    const run = await h.runs.require(started.runPartition, started.runId);
    expect(run.value.status).toBe('partially-failed');
    const failures = await h.runs.failures(started.runId);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ blobName: name, status: 'failed', code: 'HashMismatch' });
  } finally {
    fx.graph.server.faults.clear();
  }
});

/** A shared gate that remembers every hold, to see which connection a throttled answer held. */
class RecordingGate extends SharedBackoff {
  readonly holds: Array<{ key: string; until: number }> = [];
  override hold(key: string, until: number): void {
    this.holds.push({ key, until });
    super.hold(key, until);
  }
}

it("shares a throttled answer's wait with the connection's other requests (listing and downloads)", async () => {
  // Graph throttles per app and tenant: a restore's 429 must hold the backups of the same
  // connection too (https://learn.microsoft.com/graph/throttling, "Best practices").
  const h = await harness();
  const gate = new RecordingGate();
  h.deps.backoff = gate;
  const faults = fx.graph.server.faults;
  faults.failNext(429, { host: 'localhost', path: '/children', retryAfterSeconds: 3 });
  faults.failNext(429, { host: '127.0.0.1', path: '^/dl/', retryAfterSeconds: 5 });
  const targetContainer = uniqueName('gate');
  const started = await startRestore(h.deps, {
    request: validateRestoreRequest(
      { targetContainer, folderPath: 'job1', prefix: 'odd/' },
      { disasterRecovery: true },
    ),
    connectionId: 'conn-1',
    rootFolder: 'Backups',
  });
  await h.drain();
  faults.clear();
  expect(gate.holds.map((held) => held.key)).toEqual(['conn-1', 'conn-1']);
  const expected = new Map([...files].filter(([name]) => name.startsWith('odd/')));
  await expectContainerHolds(targetContainer, expected);
  expect((await h.runs.require(started.runPartition, started.runId)).value.status).toBe('succeeded');
});
