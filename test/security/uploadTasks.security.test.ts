// Attacks on the upload tasks' file facts. Anyone who can write to `backup-upload` can resend a
// genuine task of a file its run planned, with the names, ETag and size right and the rest altered.
// What the manifest keeps of the file (its source time and MD5) decides what later runs do: a mirror
// with a maximum age removes a copy whose source time is old, and a matching MD5 makes a changed
// blob count as copied. So both come from what the run recorded of the blob (its planned row, or
// the ETag-pinned listing of it), never from the message: a batch (v2) and a large file's
// continuation (v1) with a forged `lastModified` and `contentMd5` leave the true values in the
// manifest, and the copies stay in the drive after the run's housekeeping.
import type { ContainerClient } from '@azure/storage-blob';
import { QUEUES } from '../../src/app/queues';
import type { BackupDeps } from '../../src/backup/deps';
import type { UploadBatchMessage, UploadMessage } from '../../src/backup/messages';
import { handlePlanMessage } from '../../src/backup/planner';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { ManualClock } from '../../src/runtime/clock';
import type { Job } from '../../src/store/jobs';
import {
  backupDeps,
  content,
  createBackupJob,
  deliverAll,
  inAppFolder,
  memoryQueue,
  MiB,
  newContainer,
  putBlob,
  startGraph,
  type GraphFixture,
  type QueuedMessage,
} from '../integration/backupHarness';

const FORGED_TIME = '2001-01-01T00:00:00.000Z';
const FORGED_MD5 = Buffer.alloc(16, 7).toString('base64');

let fx: GraphFixture;

beforeAll(async () => {
  fx = await startGraph('work');
});
afterAll(async () => {
  await fx.graph.stop();
});

interface World {
  deps: BackupDeps;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
}

async function world(invocationBudgetSeconds?: number): Promise<World> {
  const container = await newContainer();
  // The real time: the blobs' own times are now, far inside the mirror's maximum age.
  const clock = new ManualClock(Date.now());
  const { queue, send } = memoryQueue();
  const deps = backupDeps({
    fx,
    clock,
    send,
    rootFolder: 'Forged',
    logName: 'forged-facts',
    plannerPageSize: 100,
    invocationBudgetSeconds,
  });
  const job = await createBackupJob(
    deps,
    { name: 'forged', container: container.containerName, now: new Date(clock.now()) },
    { destinationFolder: container.containerName, retention: { mirrorMaxAgeDays: 30 } },
  );
  return { deps, queue, container, job };
}

async function planAll(w: World): Promise<void> {
  while (w.queue.some((m) => m.queue === QUEUES.plan)) {
    const index = w.queue.findIndex((m) => m.queue === QUEUES.plan);
    await handlePlanMessage(w.deps, w.queue.splice(index, 1)[0].message);
  }
}

const mirrored = (w: World): string[] =>
  fx.graph
    .listFiles(fx.driveId)
    .map((f) => f.path)
    .filter((p) => p.includes(`/${w.job.destinationFolder}/`) && !inAppFolder(p))
    .sort();

/** The manifest holds the blob's own time and MD5, whatever the task claimed. */
async function expectTrueFacts(w: World, names: string[]): Promise<void> {
  for (const name of names) {
    const props = await w.container.getBlobClient(name).getProperties();
    const entry = await w.deps.manifest.get(w.job.id, name);
    expect(entry).toBeDefined();
    expect(entry!.lastModified).toBe(props.lastModified!.toISOString());
    expect(entry!.lastModified).not.toBe(FORGED_TIME);
    expect(entry!.contentMd5).toBe(
      props.contentMD5 ? Buffer.from(props.contentMD5).toString('base64') : undefined,
    );
    expect(entry!.contentMd5).not.toBe(FORGED_MD5);
  }
}

describe('an upload task cannot set what the manifest records of a file', () => {
  it('a batch with forged times and MD5s records the blobs’ own, and the copies outlive the housekeeping', async () => {
    const w = await world();
    const names = ['a/one.txt', 'a/two.txt', 'b/three.txt'];
    for (const name of names) await putBlob(w.container, name, content(300));
    const run = await startRun(w.deps, w.job.id, 'manual');
    await planAll(w);
    const tasks = w.queue.splice(0);
    expect(tasks).toHaveLength(1);
    const genuine = tasks[0].message as UploadBatchMessage;
    expect(genuine.kind).toBe('upload-batch');
    const forged: UploadBatchMessage = {
      ...genuine,
      files: genuine.files.map((f) => ({ ...f, lastModified: FORGED_TIME, contentMd5: FORGED_MD5 })),
    };

    await handleUploadMessage(w.deps, forged);
    await deliverAll(w.deps, w.queue);

    const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(done.status).toBe('succeeded');
    await expectTrueFacts(w, names);
    // With the forged time the run's housekeeping would have removed all three as past 30 days.
    expect(mirrored(w)).toHaveLength(names.length);
  });

  it('a large file’s continuation with a forged time and MD5 records the blob’s own', async () => {
    // A budget of 0 seconds: each invocation sends one chunk, then hands over a continuation.
    const w = await world(0);
    const name = 'big/file.bin';
    await putBlob(w.container, name, content(4 * MiB + 1000));
    const run = await startRun(w.deps, w.job.id, 'manual');
    await planAll(w);
    await handleUploadMessage(w.deps, w.queue.splice(0, 1)[0].message);
    const next = w.queue.splice(0);
    expect(next).toHaveLength(1);
    const continuation = next[0].message as UploadMessage;
    expect(continuation.continuation).toBeDefined();

    w.queue.push({
      queue: QUEUES.upload,
      message: { ...continuation, lastModified: FORGED_TIME, contentMd5: FORGED_MD5 },
    });
    // Every later continuation copies the forged fields along, as the worker passes them on.
    await deliverAll(w.deps, w.queue);

    expect((await w.deps.runs.get(w.job.id, run.id))!.value.status).toBe('succeeded');
    await expectTrueFacts(w, [name]);
    expect(mirrored(w)).toHaveLength(1);
  });

  it('a batch with a forged size fails that file with its planned size, so the run’s byte totals stay true', async () => {
    const w = await world();
    await putBlob(w.container, 'c/real.txt', content(500));
    await putBlob(w.container, 'c/other.txt', content(700));
    const run = await startRun(w.deps, w.job.id, 'manual');
    await planAll(w);
    const genuine = w.queue.splice(0)[0].message as UploadBatchMessage;
    const forged: UploadBatchMessage = {
      ...genuine,
      files: genuine.files.map((f) => (f.blobName === 'c/real.txt' ? { ...f, size: 60 * MiB } : f)),
    };

    await handleUploadMessage(w.deps, forged);
    await deliverAll(w.deps, w.queue);

    const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(done.totals).toMatchObject({
      plannedBytes: 1200,
      failedFiles: 1,
      failedBytes: 500,
      uploadedBytes: 700,
    });
    const failed = await w.deps.runs.getFile(run.id, 'c/real.txt');
    expect(failed).toMatchObject({ status: 'failed', code: 'MessageInvalid', size: 500 });
  });

  it('a continuation with a forged size fails the file with its planned size', async () => {
    const w = await world(0);
    const name = 'big/sized.bin';
    const size = 4 * MiB + 1000;
    await putBlob(w.container, name, content(size));
    const run = await startRun(w.deps, w.job.id, 'manual');
    await planAll(w);
    await handleUploadMessage(w.deps, w.queue.splice(0, 1)[0].message);
    const continuation = w.queue.splice(0)[0].message as UploadMessage;
    expect(continuation.continuation).toBeDefined();

    await handleUploadMessage(w.deps, { ...continuation, size: 2 ** 50 });
    await deliverAll(w.deps, w.queue);

    const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(done.totals).toMatchObject({ plannedBytes: size, failedFiles: 1, failedBytes: size });
    expect(await w.deps.runs.getFile(run.id, name)).toMatchObject({
      status: 'failed',
      code: 'MessageInvalid',
      size,
    });
  });
});
