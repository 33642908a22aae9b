// Batch upload tasks (v2): small files of one planner page travel in one message; the uploader reads
// what they share once, uploads them in parallel and records their results together. These tests
// hold the batch to what single tasks guarantee: only planned files, counted once however often
// delivered, every file of a poisoned batch failed, a tampered file failed alone.
import { inflateRawSync } from 'node:zlib';
import { odata, type TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { BackupDeps } from '../../src/backup/deps';
import { parseUploadBatchMessage, type UploadBatchMessage } from '../../src/backup/messages';
import { handlePlanMessage } from '../../src/backup/planner';
import { handleUploadPoison } from '../../src/backup/poison';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { isAppError } from '../../src/errors';
import { ManualClock } from '../../src/runtime/clock';
import type { Job } from '../../src/store/jobs';
import { RunStore } from '../../src/store/runs';
import {
  azuriteTable,
  backupDeps,
  backupStores,
  content,
  createBackupJob,
  deliverAll,
  fileRequests,
  memoryQueue,
  MiB,
  newContainer,
  putBlob,
  useGraph,
  type GraphFixture,
  type QueuedMessage,
} from './backupHarness';

let fx: GraphFixture;

useGraph('work', (started) => (fx = started));

interface World {
  deps: BackupDeps;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
  /** Calls the uploader made that a batch should make once per invocation, or never. */
  calls: { describe: number; destination: number; jobGets: number };
  /** The run store's files table, to see which rows planning and uploading wrote. */
  filesTable: TableClient;
}

async function world(): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
  const { queue, send } = memoryQueue();
  const filesTable = azuriteTable('files');
  const base = backupDeps({
    fx,
    clock,
    send,
    stores: {
      ...backupStores(() => new Date(clock.now())),
      runs: new RunStore(
        { runs: azuriteTable('runs'), progress: azuriteTable('prog'), files: filesTable },
        () => new Date(clock.now()),
      ),
    },
    rootFolder: 'Batches',
    plannerPageSize: 500,
    logName: 'batches',
  });
  const calls = { describe: 0, destination: 0, jobGets: 0 };
  // Counting wrappers over the real source, stores and destination (nothing is stubbed).
  const deps: BackupDeps = {
    ...base,
    source: (job) => {
      const source = base.source(job);
      return {
        ...source,
        describe: (name) => {
          calls.describe += 1;
          return source.describe(name);
        },
      };
    },
    destination: (id) => {
      calls.destination += 1;
      return base.destination(id);
    },
  };
  const get = deps.jobs.get.bind(deps.jobs);
  deps.jobs.get = (id) => {
    calls.jobGets += 1;
    return get(id);
  };
  const job = await createBackupJob(deps, {
    name: 'batches',
    container: container.containerName,
    now: new Date(clock.now()),
  });
  return { deps, queue, container, job, calls, filesTable };
}

const names = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `d/f${String(i).padStart(3, '0')}.txt`);

/** Seeds `n` small blobs, starts a run and plans it: returns the run id and the one batch task. */
async function plannedBatch(w: World, n: number): Promise<{ runId: string; batch: UploadBatchMessage }> {
  for (const name of names(n)) await putBlob(w.container, name, content(1000));
  const run = await startRun(w.deps, w.job.id, 'manual');
  await handlePlanMessage(w.deps, w.queue.shift()!.message);
  expect(w.queue).toHaveLength(1);
  return { runId: run.id, batch: parseUploadBatchMessage(w.queue.shift()!.message) };
}

it('a page of small files is one task; its files upload with one read of the job and the destination, and no property read', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 40);
  expect(batch.files.map((f) => f.blobName)).toEqual(names(40));
  // Half the batch first, so the run does not end in this invocation (its end reads them again).
  Object.assign(w.calls, { describe: 0, destination: 0, jobGets: 0 });
  await handleUploadMessage(w.deps, { ...batch, files: batch.files.slice(0, 20) });
  expect(w.calls).toEqual({ describe: 0, destination: 1, jobGets: 1 });
  await handleUploadMessage(w.deps, batch);
  const run = (await w.deps.runs.get(w.job.id, runId))!.value;
  expect(run.status).toBe('succeeded');
  expect(run.totals).toMatchObject({ plannedFiles: 40, uploadedFiles: 40, failedFiles: 0 });
  for (const name of names(40)) expect((await w.deps.manifest.get(w.job.id, name))?.facts).toBeDefined();
});

it('a redelivered batch uploads and counts nothing twice', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 12);
  // The first delivery dies after its uploads and records, before the queue deletes the message;
  // half the files, so the run is still open when the copy comes.
  const half = { ...batch, files: batch.files.slice(0, 6) };
  await handleUploadMessage(w.deps, half);
  const requests = fileRequests(fx);
  await handleUploadMessage(w.deps, half, { dequeueCount: 2 });
  expect(fileRequests(fx)).toBe(requests);
  expect((await w.deps.runs.totals(runId)).totals).toMatchObject({ plannedFiles: 12, uploadedFiles: 6 });
  await handleUploadMessage(w.deps, batch, { dequeueCount: 3 });
  const run = (await w.deps.runs.get(w.job.id, runId))!.value;
  expect(run.status).toBe('succeeded');
  expect(run.totals).toMatchObject({ plannedFiles: 12, uploadedFiles: 12, failedFiles: 0 });
});

it('a batch whose manifest was written but whose results were not records them without uploading again', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 5);
  const finishFiles = w.deps.runs.finishFiles.bind(w.deps.runs);
  w.deps.runs.finishFiles = async () => {
    throw new Error('the worker died');
  };
  await expect(handleUploadMessage(w.deps, batch)).rejects.toThrow('the worker died');
  w.deps.runs.finishFiles = finishFiles;
  const requests = fileRequests(fx);
  await handleUploadMessage(w.deps, batch, { dequeueCount: 2 });
  expect(fileRequests(fx)).toBe(requests);
  expect((await w.deps.runs.get(w.job.id, runId))!.value.totals).toMatchObject({ uploadedFiles: 5 });
});

it('a forged batch naming a file its run did not plan is refused whole; its poison fails only the planned files', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 3);
  await putBlob(w.container, 'stranger.txt', content(10));
  const forged = { ...batch, files: [...batch.files, { blobName: 'stranger.txt', etag: '"0x1"', size: 10 }] };
  const requests = fileRequests(fx);
  const error = await handleUploadMessage(w.deps, forged).catch((e: unknown) => e);
  expect(isAppError(error, 'MessageInvalid')).toBe(true);
  expect((error as Error).message).toMatch(/stranger\.txt.*did not plan/);
  expect(fileRequests(fx)).toBe(requests);
  expect(await w.deps.runs.getFile(runId, 'stranger.txt')).toBeUndefined();

  await handleUploadPoison(w.deps, forged);
  expect(await w.deps.runs.getFile(runId, 'stranger.txt')).toBeUndefined();
  const run = (await w.deps.runs.get(w.job.id, runId))!.value;
  expect(run.status).toBe('failed');
  expect(run.totals).toMatchObject({ plannedFiles: 3, uploadedFiles: 0, failedFiles: 3 });
});

it('a poisoned batch fails every file of it not yet final, once', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 6);
  // Two files made it before the batch gave up.
  await handleUploadMessage(w.deps, { ...batch, files: batch.files.slice(0, 2) });
  await handleUploadPoison(w.deps, batch);
  await handleUploadPoison(w.deps, batch);
  const run = (await w.deps.runs.get(w.job.id, runId))!.value;
  expect(run.status).toBe('partially-failed');
  expect(run.totals).toMatchObject({ plannedFiles: 6, uploadedFiles: 2, failedFiles: 4 });
  expect(await w.deps.runs.failures(runId)).toHaveLength(4);
  expect((await w.deps.runs.failures(runId))[0]).toMatchObject({ code: 'Poisoned' });
});

it('a file whose size was altered in the batch fails alone; the others upload', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 4);
  const tampered = { ...batch, files: batch.files.map((f, i) => (i === 1 ? { ...f, size: 400 } : f)) };
  await handleUploadMessage(w.deps, tampered);
  const run = (await w.deps.runs.get(w.job.id, runId))!.value;
  expect(run.status).toBe('partially-failed');
  expect(run.totals).toMatchObject({ uploadedFiles: 3, failedFiles: 1 });
  expect(await w.deps.runs.getFile(runId, batch.files[1].blobName)).toMatchObject({
    status: 'failed',
    reason: expect.stringMatching(/says 400 bytes.*has 1000/),
  });
});

it('large files keep a task of their own, small ones share one', async () => {
  const w = await world();
  for (const name of names(3)) await putBlob(w.container, name, content(1000));
  await putBlob(w.container, 'big.bin', content(5 * MiB));
  const run = await startRun(w.deps, w.job.id, 'manual');
  await handlePlanMessage(w.deps, w.queue.shift()!.message);
  const tasks = w.queue.map((m) => m.message as { v: number; blobName?: string; files?: unknown[] });
  expect(tasks.map((t) => (t.v === 2 ? `batch of ${t.files!.length}` : t.blobName)).sort()).toEqual([
    'batch of 3',
    'big.bin',
  ]);
  expect(await deliverAll(w.deps, w.queue)).toBe(4);
  expect((await w.deps.runs.get(w.job.id, run.id))!.value.totals).toMatchObject({ uploadedFiles: 4 });
});

/** Row keys of a run's partition in the files table, its counter shards left out. */
async function runRows(w: World, runId: string): Promise<string[]> {
  const keys: string[] = [];
  const filter = odata`PartitionKey eq ${runId}`;
  for await (const row of w.filesTable.listEntities({ queryOptions: { filter } }))
    if (!row.rowKey!.startsWith('~count-')) keys.push(row.rowKey!);
  return keys;
}

it('plans a batch in one plan set row, not a row per file; each file gets its row with its outcome', async () => {
  // The Table service serves one partition at up to 2,000 entities a second, and all of a run's
  // planned files share its partition: a row per planned file would cap planning there
  // (https://learn.microsoft.com/azure/storage/tables/scalability-targets).
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 40);
  expect(batch.set).toMatch(/^[0-9a-f]{64}$/);
  expect(await runRows(w, runId)).toEqual([`~set-${batch.set}`]);
  await handleUploadMessage(w.deps, batch);
  const rows = await runRows(w, runId);
  expect(rows).toHaveLength(41);
  expect(rows).toContain(`~set-${batch.set}`);
  expect((await w.deps.runs.get(w.job.id, runId))!.value.status).toBe('succeeded');
  // The set is bookkeeping: the run's file list holds the files alone.
  const listed: string[] = [];
  for await (const file of w.deps.runs.fileRows(runId)) listed.push(file.blobName);
  expect(listed.sort()).toEqual(names(40));
});

it('keeps a plan set deflated when that is shorter, and reads a set stored as plain JSON by an earlier version', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 40);
  const row = await w.filesTable.getEntity<Record<string, unknown>>(runId, `~set-${batch.set}`);
  expect(row.files).toBeUndefined();
  const json = inflateRawSync(Buffer.from(String(row.filesDeflated), 'base64')).toString('utf8');
  const entries = JSON.parse(json) as Array<{ blobName: string }>;
  expect(entries.map((e) => e.blobName)).toEqual(batch.files.map((f) => f.blobName));
  // 40 files sharing a folder and their properties: several times shorter than the JSON.
  expect(String(row.filesDeflated).length * 3).toBeLessThan(json.length);

  // The row as the version before wrote it (the JSON in `files`): its batch still uploads.
  await w.filesTable.upsertEntity(
    { partitionKey: runId, rowKey: `~set-${batch.set}`, at: row.at, filesParts: 1, files: json },
    'Replace',
  );
  await handleUploadMessage(w.deps, batch);
  expect(await runRows(w, runId)).toHaveLength(41);
  expect((await w.deps.runs.get(w.job.id, runId))!.value.status).toBe('succeeded');
});

it('a batch naming a plan set its run did not write, or none, is refused whole and nothing is uploaded', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 3);
  const requests = fileRequests(fx);
  const { set: _set, ...withoutSet } = batch;
  for (const forged of [{ ...batch, set: 'a'.repeat(64) }, withoutSet]) {
    const error = await handleUploadMessage(w.deps, forged).catch((e: unknown) => e);
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect((error as Error).message).toMatch(/did not plan/);
  }
  await expect(handleUploadMessage(w.deps, { ...batch, set: 'not-an-id' })).rejects.toThrow(/plan set id/);
  expect(fileRequests(fx)).toBe(requests);
  expect(await runRows(w, runId)).toEqual([`~set-${batch.set}`]);
});

it('the run stays open while a file of a plan set has no row yet: a page planned again from a longer listing', async () => {
  const w = await world();
  for (const name of names(3)) await putBlob(w.container, name, content(1000));
  const run = await startRun(w.deps, w.job.id, 'manual');
  const page = w.queue.shift()!.message;
  await handlePlanMessage(w.deps, page);
  const first = parseUploadBatchMessage(w.queue.shift()!.message);
  // The page is delivered again after a fourth blob arrived: its listing plans a set of four, while
  // the page's recorded plan (its first delivery's) still says three.
  await putBlob(w.container, 'd/late.txt', content(1000));
  await handlePlanMessage(w.deps, page);
  const second = parseUploadBatchMessage(w.queue.shift()!.message);
  expect(second.files).toHaveLength(4);
  expect(second.set).not.toBe(first.set);

  await handleUploadMessage(w.deps, first);
  // Three uploaded of three planned, yet d/late.txt (in the second set, no row of its own) is queued.
  expect((await w.deps.runs.countFiles(run.id)).inFlight).toBe(1);
  expect((await w.deps.runs.get(w.job.id, run.id))!.value.status).toBe('running');
  await handleUploadMessage(w.deps, second);
  expect((await w.deps.runs.countFiles(run.id)).inFlight).toBe(0);
  const ended = (await w.deps.runs.get(w.job.id, run.id))!.value;
  expect(ended.status).toBe('succeeded');
  expect(ended.totals).toMatchObject({ uploadedFiles: 4, failedFiles: 0 });
});

it('a poison message naming a plan set fails only the files it names', async () => {
  const w = await world();
  const { runId, batch } = await plannedBatch(w, 3);
  const one = { ...batch, files: batch.files.slice(0, 1) };
  await handleUploadPoison(w.deps, one);
  expect((await w.deps.runs.failures(runId)).map((f) => f.blobName)).toEqual([batch.files[0].blobName]);
  expect((await w.deps.runs.get(w.job.id, runId))!.value.status).toBe('running');
});
