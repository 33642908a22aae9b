// Batch upload tasks (v2): small files of one planner page travel in one message; the uploader reads
// what they share once, uploads them in parallel and records their results together. These tests
// hold the batch to what single tasks guarantee: only planned files, counted once however often
// delivered, every file of a poisoned batch failed, a tampered file failed alone.
import type { ContainerClient } from '@azure/storage-blob';
import type { BackupDeps } from '../../src/backup/deps';
import { parseUploadBatchMessage, type UploadBatchMessage } from '../../src/backup/messages';
import { handlePlanMessage } from '../../src/backup/planner';
import { handleUploadPoison } from '../../src/backup/poison';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { isAppError } from '../../src/errors';
import { setLogSink, type LogSink } from '../../src/log/logger';
import { ManualClock } from '../../src/runtime/clock';
import type { Job } from '../../src/store/jobs';
import {
  backupDeps,
  content,
  createBackupJob,
  deliverAll,
  fileRequests,
  memoryQueue,
  MiB,
  newContainer,
  putBlob,
  startGraph,
  type GraphFixture,
  type QueuedMessage,
} from './backupHarness';

let fx: GraphFixture;
let previousSink: LogSink;

beforeAll(async () => {
  previousSink = setLogSink(() => undefined);
  fx = await startGraph('work');
});
afterAll(async () => {
  setLogSink(previousSink);
  await fx.graph.stop();
});

interface World {
  deps: BackupDeps;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
  /** Calls the uploader made that a batch should make once per invocation, or never. */
  calls: { describe: number; destination: number; jobGets: number };
}

async function world(): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
  const { queue, send } = memoryQueue();
  const base = backupDeps({
    fx,
    clock,
    send,
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
  return { deps, queue, container, job, calls };
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
