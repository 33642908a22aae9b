// The backup pipeline end to end through its handlers (scheduler → planner → uploader → completion)
// against Azurite tables and blobs and the Graph emulator, with an in-memory queue drained by the
// test so every delivery, redelivery and poison path can be driven precisely.
import { localAdmin } from '../helpers/blobEndpoints';
import type { ContainerClient } from '@azure/storage-blob';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import { handlePlanMessage } from '../../src/backup/planner';
import { handleUploadPoison } from '../../src/backup/poison';
import { runScheduler, startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { ManualClock } from '../../src/runtime/clock';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import { decodeDrivePath } from '../../src/graph/names';
import type { Job } from '../../src/store/jobs';
import type { UploadContinuation } from '../../src/backup/upload/types';
import type { UploadMessage } from '../../src/backup/messages';
import { QUEUES } from '../../src/app/queues';
import { createBlobSource } from '../../src/sources/blobSource';
import { startCountingBlobProxy, type StorageRequest } from '../helpers/storageProxy';
import {
  backupDeps,
  content,
  createBackupJob,
  deliverAll,
  memoryQueue,
  MiB,
  newContainer,
  putBlob,
  useGraph,
  UNIT,
  type GraphFixture,
  type QueuedMessage,
  fileRequests as countFileRequests,
  singleFileTasks,
} from './backupHarness';

let fx: GraphFixture;

interface World {
  deps: BackupDeps;
  clock: ManualClock;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
  admin: AdminDeps;
}

async function world(jobInput: Record<string, unknown> = {}, budgetSeconds = 480): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const { queue, send } = memoryQueue();
  const deps = backupDeps({
    fx,
    clock,
    send,
    rootFolder: 'Apps/Backup',
    invocationBudgetSeconds: budgetSeconds,
    plannerPageSize: 3,
    logName: 'pipeline',
  });
  const job = await createBackupJob(
    deps,
    { name: 'nightly', container: container.containerName, now: new Date(clock.now()) },
    jobInput,
  );
  return {
    deps,
    clock,
    queue,
    container,
    job,
    admin: localAdmin(deps),
  };
}

/** Delivers queued messages until none are left; returns how many uploads were handled. */
async function drain(w: World): Promise<number> {
  return deliverAll(w.deps, w.queue);
}

const fileRequests = (): number => countFileRequests(fx);

function driveFile(
  w: World,
  blobName: string,
): { content: Buffer; item: Record<string, unknown> } | undefined {
  const prefix = `Apps/Backup/${w.job.destinationFolder}/`;
  const found = fx.graph.listFiles(fx.driveId).filter((f) => {
    const path = f.path.replace(/^\//, '');
    return path.startsWith(prefix) && decodeDrivePath(path.slice(prefix.length)) === blobName;
  });
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0];
}

useGraph('work', (started) => (fx = started));

const NAMES = [
  'plain.txt',
  'a:b*c?.txt',
  'quote"s<and>pipes|.bin',
  'CON',
  'deep/er/and/deeper/folder/file.dat',
  'unicode/日本語/naïve café.txt',
  ' leading and trailing ',
  'desktop.ini',
  '~$lockfile.docx',
  'folder./x.txt',
];

describe('a backup run', () => {
  it('copies every file byte-identical, then uploads nothing when nothing changed, then only what changed', async () => {
    const w = await world();
    const files = new Map<string, Buffer>();
    const sizes = [0, 1, 4 * MiB, 4 * MiB + 1, 3 * MiB + 17];
    for (const [i, name] of NAMES.entries()) files.set(name, content(sizes[i % sizes.length]));
    for (const [name, data] of files) await putBlob(w.container, name, data);

    const run = await startRun(w.deps, w.job.id, 'manual');
    expect(await drain(w)).toBe(files.size);
    for (const [name, data] of files) {
      const file = driveFile(w, name);
      expect(file).toBeDefined();
      expect(file!.content.equals(data)).toBe(true);
      expect((file!.item.file as { hashes: { quickXorHash: string } }).hashes.quickXorHash).toBe(
        QuickXorHash.of(data),
      );
    }
    const done = await w.deps.runs.get(w.job.id, run.id);
    expect(done!.value.status).toBe('succeeded');
    expect(done!.value.totals).toMatchObject({
      plannedFiles: files.size,
      uploadedFiles: files.size,
      failedFiles: 0,
    });
    expect((await w.deps.jobs.get(w.job.id))!.activeRunId).toBeUndefined();

    // Second run, nothing changed: no upload tasks, no Graph upload requests.
    const before = fileRequests();
    const second = await startRun(w.deps, w.job.id, 'manual');
    expect(await drain(w)).toBe(0);
    expect(fileRequests()).toBe(before);
    const secondDone = await w.deps.runs.get(w.job.id, second.id);
    expect(secondDone!.value).toMatchObject({
      status: 'succeeded',
      totals: { skippedFiles: files.size, uploadedFiles: 0 },
    });

    // Change one file: only it goes.
    const changed = content(2 * MiB);
    await putBlob(w.container, 'plain.txt', changed);
    await startRun(w.deps, w.job.id, 'manual');
    expect(await drain(w)).toBe(1);
    expect(driveFile(w, 'plain.txt')!.content.equals(changed)).toBe(true);
  });

  it('a redelivered task of a finished file changes nothing', async () => {
    const w = await world();
    await putBlob(w.container, 'one.bin', content(5 * MiB));
    await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    const task = w.queue.shift()!.message;
    await handleUploadMessage(w.deps, task);
    const before = fx.graph.server.requests.length;
    await handleUploadMessage(w.deps, task);
    expect(fx.graph.server.requests.length).toBe(before);
  });

  it('a task redelivered after its file was recorded but before the completion check still ends the run', async () => {
    const w = await world();
    await putBlob(w.container, 'last.bin', content(1024));
    await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    const task = w.queue.shift()!.message;
    // The host dies right after the file's result is written: the completion check never runs.
    jest.spyOn(w.deps.runs, 'totals').mockRejectedValueOnce(new Error('host killed'));
    await expect(handleUploadMessage(w.deps, task)).rejects.toThrow('host killed');
    expect((await w.deps.runs.listForJob(w.job.id))[0].status).not.toBe('succeeded');
    const before = fileRequests();
    await handleUploadMessage(w.deps, task);
    const [run] = await w.deps.runs.listForJob(w.job.id);
    expect(run.status).toBe('succeeded');
    expect(run.totals).toMatchObject({ uploadedFiles: 1, failedFiles: 0 });
    expect(fileRequests()).toBe(before);
  });

  it('a file too large for one invocation finishes through queued continuations', async () => {
    const w = await world({}, 0);
    const data = content(6 * MiB + 3);
    await putBlob(w.container, 'big.bin', data);
    await startRun(w.deps, w.job.id, 'manual');
    const deliveries = await drain(w);
    expect(deliveries).toBe(Math.ceil(data.length / (4 * UNIT)));
    expect(driveFile(w, 'big.bin')!.content.equals(data)).toBe(true);
    // The continuation messages carry no token.
    expect(JSON.stringify(w.queue)).not.toMatch(/Bearer|work/);
  });

  it("a continuation takes the blob's facts from its planned row: its storage requests are the chunk reads, pinned to the planned ETag", async () => {
    const proxy = await startCountingBlobProxy();
    try {
      const w = await world({}, 0);
      w.deps.source = (job) =>
        createBlobSource({ connectionString: proxy.connectionString, container: job.source.container });
      const data = content(6 * MiB + 3);
      const etag = await putBlob(w.container, 'big.bin', data);
      await startRun(w.deps, w.job.id, 'manual');
      const perContinuation: StorageRequest[][] = [];
      while (w.queue.length) {
        const { queue, message } = w.queue.shift()!;
        if (queue === QUEUES.plan) {
          await handlePlanMessage(w.deps, message);
          continue;
        }
        const since = proxy.requests.length;
        await handleUploadMessage(w.deps, message);
        if ((message as UploadMessage).continuation) perContinuation.push(proxy.requests.slice(since));
      }
      expect(driveFile(w, 'big.bin')!.content.equals(data)).toBe(true);
      // One chunk per delivery (a budget of 0): the first delivery and four continuations.
      expect(perContinuation).toHaveLength(Math.ceil(data.length / (4 * UNIT)) - 1);
      for (const requests of perContinuation) {
        // No listing or property read of the blob: only ranged reads of it, each pinned to the
        // planned ETag, which Azurite refuses with 412 once the blob has changed.
        expect(requests.filter((r) => r.url.includes('comp=list') || r.method === 'HEAD')).toEqual([]);
        expect(requests.length).toBeGreaterThan(0);
        for (const r of requests)
          expect(r).toMatchObject({ method: 'GET', url: expect.stringContaining('/big.bin'), ifMatch: etag });
      }
    } finally {
      await proxy.stop();
    }
  });

  it("keeps a large file's saved session until its task has recorded the file, then deletes it", async () => {
    // Budget 480 s: the file goes in its first delivery; 0 s: one chunk per delivery, through continuations.
    for (const budget of [480, 0]) {
      const w = await world({}, budget);
      const rows = new Map<string, UploadContinuation>();
      const cleared: Array<{ name: string; status?: string }> = [];
      w.deps.uploadSessions = (file) => ({
        load: async () => rows.get(file.blobName),
        save: async (session) => {
          rows.set(file.blobName, session);
        },
        clear: async () => {
          // A kill before this point must find the finished state; after it, the recorded file.
          const recorded = await w.deps.runs.getFile(file.runId, file.blobName);
          cleared.push({ name: file.blobName, status: recorded?.status });
          rows.delete(file.blobName);
        },
      });
      const data = content(6 * MiB + 3);
      await putBlob(w.container, 'big.bin', data);
      await putBlob(w.container, 'small.txt', content(100));
      await startRun(w.deps, w.job.id, 'manual');
      await drain(w);
      expect(driveFile(w, 'big.bin')!.content.equals(data)).toBe(true);
      expect(cleared).toEqual([{ name: 'big.bin', status: 'uploaded' }]);
      expect(rows.size).toBe(0);
    }
  });

  it('a path over 400 characters fails that file with the reason, and the run is partially failed', async () => {
    const w = await world();
    await putBlob(w.container, 'ok.txt', content(10));
    await putBlob(
      w.container,
      `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(120)}/long.txt`,
      content(10),
    );
    const run = await startRun(w.deps, w.job.id, 'manual');
    await drain(w);
    const response = await jobsApi.run(w.admin, run.id);
    const body = response.body as { status: string; failures: Array<{ code: string; reason: string }> };
    expect(body.status).toBe('partially-failed');
    expect(body.failures).toHaveLength(1);
    expect(body.failures[0].code).toBe('PathTooLong');
  });

  it('a malformed message is refused (to the poison path), and a poisoned task fails its file', async () => {
    const w = await world();
    await expect(handleUploadMessage(w.deps, { v: 2, runId: 'x' })).rejects.toMatchObject({
      code: 'MessageInvalid',
    });
    await putBlob(w.container, 'p.bin', content(10));
    const run = await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    await handleUploadPoison(w.deps, w.queue.shift()!.message);
    const done = await w.deps.runs.get(w.job.id, run.id);
    expect(done!.value.status).toBe('failed');
    expect((await w.deps.runs.failures(run.id))[0]).toMatchObject({ blobName: 'p.bin', code: 'Poisoned' });
  });
});

describe('scheduling', () => {
  it('never starts a second run while one is active, and times out a stuck run', async () => {
    const w = await world({ schedule: '0 */5 * * * *' });
    await putBlob(w.container, 'a.txt', content(10));
    w.clock.advance(5 * 60_000);
    const first = await runScheduler(w.deps);
    expect(first.started).toHaveLength(1);
    // Due again 30 minutes later, but the first run (never planned: its message is still queued) is active.
    w.clock.advance(30 * 60_000);
    expect((await runScheduler(w.deps)).started).toHaveLength(0);
    await expect(startRun(w.deps, w.job.id, 'manual')).rejects.toMatchObject({ code: 'Conflict' });
    // No progress for longer than the timeout (60 minutes): timed out, and the job may run again.
    w.clock.advance(31 * 60_000);
    const third = await runScheduler(w.deps);
    expect(third.timedOut).toEqual(first.started);
    expect(third.started).toHaveLength(1);
    expect((await w.deps.runs.get(w.job.id, first.started[0]))!.value.status).toBe('timed-out');
  });

  it('runs a missed schedule once, not once per miss', async () => {
    const w = await world();
    w.clock.advance(5 * 24 * 3600_000);
    expect((await runScheduler(w.deps)).started).toHaveLength(1);
    await drain(w);
    expect((await runScheduler(w.deps)).started).toHaveLength(0);
  });
});

describe('jobs API', () => {
  it('answers 400 naming the field and the rule', async () => {
    const w = await world();
    const bad = async (body: unknown): Promise<{ status: number; field?: string }> => {
      const res = await jobsApi.create(w.admin, {
        method: 'POST',
        url: '/api/jobs',
        params: {},
        query: new URLSearchParams(),
        headers: {},
        body: JSON.stringify(body),
      });
      return { status: res.status, field: (res.body as { error?: { field?: string } }).error?.field };
    };
    const valid = {
      name: 'n',
      connectionId: 'conn-1',
      source: { container: w.container.containerName },
      destinationFolder: 'x',
      schedule: '0 0 2 * * *',
    };
    expect(await bad({ ...valid, chunkSizeBytes: 1000 })).toEqual({ status: 400, field: 'chunkSizeBytes' });
    expect(await bad({ ...valid, schedule: '0 2 * * *' })).toEqual({ status: 400, field: 'schedule' });
    expect(await bad({ ...valid, mode: 'copy' })).toEqual({ status: 400, field: 'mode' });
    expect(await bad({ ...valid, source: { container: 'Bad_Name' } })).toEqual({
      status: 400,
      field: 'source.container',
    });
    expect(await bad({ ...valid, connectionId: 'nope' })).toEqual({ status: 400, field: 'connectionId' });
    // A container that does not exist is refused now, not at every run.
    expect(await bad({ ...valid, source: { container: 'no-such-container-here' } })).toEqual({
      status: 400,
      field: 'source.container',
    });
    const ok = await jobsApi.create(w.admin, {
      method: 'POST',
      url: '/api/jobs',
      params: {},
      query: new URLSearchParams(),
      headers: {},
      body: JSON.stringify(valid),
    });
    expect(ok.status).toBe(201);
  });
});

describe('a planner page redelivered after its tasks were queued', () => {
  // The queue gives a page out again when the host died before deleting it or its lease ran out.
  // Files the run already uploaded now match the manifest; counted as skipped, they would shrink
  // the run's plan, so the run would end while its other tasks were still queued.
  it('keeps the files this run already uploaded in its plan, so the run ends only after every task', async () => {
    const w = await world();
    const names = ['a.bin', 'b.bin', 'c.bin'];
    for (const name of names) await putBlob(w.container, name, content(1000));
    const run = await startRun(w.deps, w.job.id, 'manual');
    const page = w.queue.shift()!.message;
    await handlePlanMessage(w.deps, page);
    const tasks = singleFileTasks(w.queue.splice(0));
    expect(tasks).toHaveLength(names.length);
    for (const task of tasks.slice(0, 2)) await handleUploadMessage(w.deps, task.message);

    await handlePlanMessage(w.deps, page);
    expect((await w.deps.runs.get(w.job.id, run.id))!.value.status).toBe('running');
    expect((await w.deps.runs.totals(run.id)).totals).toMatchObject({ plannedFiles: 3, skippedFiles: 0 });

    // The third file's task, still queued from the first delivery, then the redelivered page's copies.
    w.queue.unshift(tasks[2]);
    await drain(w);
    const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(done.status).toBe('succeeded');
    expect(done.totals).toMatchObject({ plannedFiles: 3, uploadedFiles: 3, skippedFiles: 0, failedFiles: 0 });
  });
});
