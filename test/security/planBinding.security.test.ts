// Plan pages and upload tasks are bound to their run. Each test performs an attack through the real
// handlers (Azurite tables and blobs, the Graph emulator's drive) and checks that it changes nothing:
// a forged `backup-plan` message (made-up continuation token, an absurd page number) cannot list an
// empty page in place of a real one, overwrite a page's record or mark the run fully planned, so
// propagated deletions never remove files the source still holds; a forged upload task for a file
// the run did not plan is neither uploaded nor counted, so it cannot end a run early; forged poison
// messages change no run. A listing that saw far fewer blobs than the manifest holds removes
// nothing unless the source confirms the blobs are gone.
import type { ContainerClient } from '@azure/storage-blob';
import { QUEUES } from '../../src/app/queues';
import type { BackupDeps } from '../../src/backup/deps';
import type { PlanMessage, UploadMessage } from '../../src/backup/messages';
import { handlePlanMessage } from '../../src/backup/planner';
import { handlePlanPoison, handleUploadPoison } from '../../src/backup/poison';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { ManualClock } from '../../src/runtime/clock';
import { isAppError } from '../../src/errors';
import type { BlobSource } from '../../src/sources/types';
import type { Job } from '../../src/store/jobs';
import {
  azuriteBlobSource,
  backupDeps,
  content,
  createBackupJob,
  deliverAll,
  memoryQueue,
  newContainer,
  putBlob,
  useGraph,
  type GraphFixture,
  type QueuedMessage,
  inAppFolder,
} from '../integration/backupHarness';

const FILES = Array.from({ length: 15 }, (_, i) => `data/file-${String(i).padStart(2, '0')}.txt`);

let fx: GraphFixture;
const logs: Array<Record<string, unknown>> = [];

interface World {
  deps: BackupDeps;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
  /** When set, the source's listing returns nothing (stands in for any listing bug). */
  brokenListing: { on: boolean };
}

async function world(): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 3));
  const { queue, send } = memoryQueue();
  const brokenListing = { on: false };
  const deps = backupDeps({
    fx,
    clock,
    send,
    rootFolder: 'Bound',
    plannerPageSize: 4,
    logName: 'plan-binding',
    source: (job): BlobSource => {
      const real = azuriteBlobSource(job);
      return {
        ...real,
        listPage: async (token, size) => (brokenListing.on ? { items: [] } : real.listPage(token, size)),
      };
    },
  });
  const job = await createBackupJob(
    deps,
    { name: 'bound', container: container.containerName, now: new Date(clock.now()) },
    { destinationFolder: container.containerName, propagateDeletes: true },
  );
  for (const name of FILES) await putBlob(container, name, content(200));
  return { deps, queue, container, job, brokenListing };
}

const mirrored = (w: World): string[] =>
  fx.graph
    .listFiles(fx.driveId)
    .map((f) => f.path)
    .filter((p) => p.includes(`/${w.job.destinationFolder}/`) && !inAppFolder(p))
    .sort();

async function manifestNames(w: World): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of w.deps.manifest.list(w.job.id)) out.push(entry.blobName);
  return out.sort();
}

async function refusal(run: () => Promise<void>): Promise<Error> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(error, 'MessageInvalid')).toBe(true);
  return error as Error;
}

/** A first full backup, so the manifest and the drive hold all FILES. */
async function mirroredWorld(): Promise<World> {
  const w = await world();
  const first = await startRun(w.deps, w.job.id, 'manual');
  await deliverAll(w.deps, w.queue);
  expect((await w.deps.runs.get(w.job.id, first.id))?.value.status).toBe('succeeded');
  expect(mirrored(w)).toHaveLength(FILES.length);
  return w;
}

useGraph(
  'work',
  (started) => (fx = started),
  (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
);

describe('forged plan messages are refused and change nothing', () => {
  it.each([
    [
      'a made-up continuation token for the next page',
      (runId: string, jobId: string) => ({ page: 1, continuationToken: 'forged', runId, jobId }),
    ],
    [
      'a made-up token on a later page',
      (runId: string, jobId: string) => ({ page: 3, continuationToken: 'zzzz', runId, jobId }),
    ],
    ['page 1e300 without a token', (runId: string, jobId: string) => ({ page: 1e300, runId, jobId })],
    ['the next page without its token', (runId: string, jobId: string) => ({ page: 1, runId, jobId })],
  ])(
    '%s: no page listed or recorded, the run not planned, no mirrored file deleted',
    async (_label, make) => {
      const w = await mirroredWorld();
      const before = { drive: mirrored(w), manifest: await manifestNames(w) };
      const run = await startRun(w.deps, w.job.id, 'manual');
      // The genuine page 0 first, so the run is mid-plan and expects page 1 with a real token.
      await handlePlanMessage(w.deps, w.queue.shift()!.message);
      const genuine = w.queue.filter((m) => m.queue === QUEUES.plan);
      expect(genuine).toHaveLength(1);
      const pageOne = await w.deps.runs.getPage(run.id, 1);
      const forged = { v: 1, ...make(run.id, w.job.id) };

      const error = await refusal(() => handlePlanMessage(w.deps, forged));
      expect(error.message).toMatch(/page|whole number/);
      expect(error.message).not.toContain('forged');
      // Nothing recorded for it, the run still mid-plan, no message queued by it.
      expect(await w.deps.runs.getPage(run.id, 1)).toEqual(pageOne);
      const mid = (await w.deps.runs.get(w.job.id, run.id))!.value;
      expect(mid.planningComplete).toBe(false);
      expect(mid.nextPage).toBe(1);
      expect(w.queue.filter((m) => m.queue === QUEUES.plan)).toEqual(genuine);

      // Its poison delivery fails nothing either.
      logs.length = 0;
      if (typeof forged.page === 'number' && Number.isSafeInteger(forged.page)) {
        await handlePlanPoison(w.deps, forged);
        expect(logs.some((l) => l.event === 'poison.plan.refused')).toBe(true);
      }
      expect((await w.deps.runs.get(w.job.id, run.id))?.value.status).toBe('running');

      // The genuine plan finishes the run, and every mirrored file is still there.
      await deliverAll(w.deps, w.queue);
      const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
      expect(done.status).toBe('succeeded');
      expect(done.pagesPlanned).toBe(Math.ceil(FILES.length / 4));
      expect(mirrored(w)).toEqual(before.drive);
      expect(await manifestNames(w)).toEqual(before.manifest);
    },
  );

  it('a plan message of a finished run that names a page it never listed is refused', async () => {
    const w = await mirroredWorld();
    const [run] = await w.deps.runs.listForJob(w.job.id);
    // Not final yet would be the dangerous case; a planned-complete run that is still running is
    // simulated by clearing the status only.
    await w.deps.runs.update(w.job.id, run.id, { status: 'running' });
    await refusal(() =>
      handlePlanMessage(w.deps, { v: 1, runId: run.id, jobId: w.job.id, page: 9, continuationToken: 'x' }),
    );
    expect(w.queue).toEqual([]);
  });

  it('a redelivered genuine page is idempotent and its first record is kept', async () => {
    const w = await mirroredWorld();
    await putBlob(w.container, 'data/new-one.txt', content(300));
    const run = await startRun(w.deps, w.job.id, 'manual');
    const pageZero = w.queue.shift()!.message as PlanMessage;
    await handlePlanMessage(w.deps, pageZero);
    const recorded = await w.deps.runs.getPage(run.id, 0);
    const pageOne = w.queue.find((m) => m.queue === QUEUES.plan)!.message as PlanMessage;
    await handlePlanMessage(w.deps, pageOne);
    const recordedOne = await w.deps.runs.getPage(run.id, 1);
    // A blob of page 0 changed since: a second listing of the page would count it as to upload.
    await putBlob(w.container, FILES[1], content(250));

    await handlePlanMessage(w.deps, pageZero);
    await handlePlanMessage(w.deps, pageOne);

    expect(await w.deps.runs.getPage(run.id, 0)).toEqual(recorded);
    expect(await w.deps.runs.getPage(run.id, 1)).toEqual(recordedOne);
    await deliverAll(w.deps, w.queue);
    const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(done.status).toBe('succeeded');
    expect(mirrored(w)).toEqual(expect.arrayContaining([expect.stringContaining('new-one.txt')]));
  });
});

describe('upload tasks count only when their run planned the file', () => {
  it('a forged task for an unplanned file is refused: nothing uploaded, nothing counted, the run not ended early', async () => {
    const w = await mirroredWorld();
    await putBlob(w.container, 'data/changed.txt', content(400));
    const run = await startRun(w.deps, w.job.id, 'manual');
    // Plan every page, but hold the one genuine upload task back.
    while (w.queue.some((m) => m.queue === QUEUES.plan)) {
      const index = w.queue.findIndex((m) => m.queue === QUEUES.plan);
      await handlePlanMessage(w.deps, w.queue.splice(index, 1)[0].message);
    }
    const genuine = w.queue.splice(0);
    expect(genuine).toHaveLength(1);
    const task = genuine[0].message as UploadMessage;
    const requests = fx.graph.server.requests.length;
    const totals = (await w.deps.runs.totals(run.id)).totals;

    for (const forged of [
      // An unchanged file of the source (skipped by the planner) and a name that does not exist.
      { ...task, blobName: FILES[0], size: 200 },
      { ...task, blobName: 'data/never-listed.txt' },
    ]) {
      const error = await refusal(() => handleUploadMessage(w.deps, forged));
      expect(error.message).toMatch(/did not plan this file/);
      logs.length = 0;
      await handleUploadPoison(w.deps, forged);
      expect(logs.some((l) => l.event === 'poison.upload.refused')).toBe(true);
    }

    expect(fx.graph.server.requests.length).toBe(requests);
    expect((await w.deps.runs.totals(run.id)).totals).toEqual(totals);
    expect(await w.deps.runs.getFile(run.id, 'data/never-listed.txt')).toBeUndefined();
    expect((await w.deps.runs.get(w.job.id, run.id))?.value.status).toBe('running');
    // The genuine task still finishes the run.
    await handleUploadMessage(w.deps, task);
    const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(done.status).toBe('succeeded');
    expect(done.totals).toMatchObject({ plannedFiles: 1, uploadedFiles: 1, failedFiles: 0 });
  });
});

describe('propagated deletions need the source to confirm a mass deletion', () => {
  it('a listing that saw nothing removes nothing while the source still holds the blobs', async () => {
    const w = await mirroredWorld();
    w.brokenListing.on = true;
    logs.length = 0;
    const run = await startRun(w.deps, w.job.id, 'manual');
    await deliverAll(w.deps, w.queue);
    const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(done.status).toBe('succeeded');
    expect(mirrored(w)).toHaveLength(FILES.length);
    expect(await manifestNames(w)).toEqual([...FILES].sort());
    expect(done.cleanup).toMatch(
      /refused to remove files deleted at source: .*listed 0 of the manifest's 15/,
    );
    expect(logs.find((l) => l.event === 'retention.mirror.refused')).toMatchObject({ wouldRemove: 15 });
  });

  it('a real mass deletion at the source, confirmed blob by blob, is propagated', async () => {
    const w = await mirroredWorld();
    const deleted = FILES.slice(0, 12);
    for (const name of deleted) await w.container.deleteBlob(name);
    const run = await startRun(w.deps, w.job.id, 'manual');
    await deliverAll(w.deps, w.queue);
    const done = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(done.status).toBe('succeeded');
    expect(done.cleanup).toBe('removed 12 file(s) from the mirror');
    expect(await manifestNames(w)).toEqual(FILES.slice(12));
    expect(mirrored(w)).toHaveLength(3);
  });
});
