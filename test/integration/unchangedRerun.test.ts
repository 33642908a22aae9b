// A mirror rerun that changes nothing writes nothing per file: no upload task, no run-file row, no
// manifest write, and no new run index (the folder's newest one still describes it, and a restore
// reads that one). A rerun that only refreshes a file's tags writes a new index.
import type { ContainerClient } from '@azure/storage-blob';
import type { BackupDeps } from '../../src/backup/deps';
import { QUEUES } from '../../src/app/queues';
import { handlePlanMessage } from '../../src/backup/planner';
import { startRun } from '../../src/backup/scheduler';
import { RUN_INDEX_FOLDER } from '../../src/graph/runIndex';
import { emptyStats } from '../../src/restore/download/types';
import type { IndexedFile, LoadedIndex, RestoreIndexStore } from '../../src/restore/index/indexStore';
import { loadRunIndex } from '../../src/restore/index/loadIndex';
import { DEFAULT_RETRY_POLICY } from '../../src/runtime/retry';
import { ManualClock } from '../../src/runtime/clock';
import type { Job } from '../../src/store/jobs';
import type { Run } from '../../src/store/runs';
import {
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
} from './backupHarness';

let fx: GraphFixture;
useGraph('work', (started) => (fx = started));

interface World {
  deps: BackupDeps;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
  clock: ManualClock;
}

async function world(): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
  const { queue, send } = memoryQueue();
  const deps = backupDeps({ fx, clock, send, rootFolder: 'Rerun', plannerPageSize: 500, logName: 'rerun' });
  const job = await createBackupJob(deps, {
    name: 'rerun',
    container: container.containerName,
    now: new Date(clock.now()),
  });
  return { deps, queue, container, job, clock };
}

async function runOnce(w: World): Promise<{ run: Run; uploads: number }> {
  // Run ids order runs by their start: a minute apart, as scheduled runs are.
  w.clock.advance(60_000);
  const started = await startRun(w.deps, w.job.id, 'manual');
  const uploads = await deliverAll(w.deps, w.queue);
  return { run: (await w.deps.runs.get(w.job.id, started.id))!.value, uploads };
}

const indexFiles = (w: World): string[] =>
  fx.graph
    .listFiles(fx.driveId)
    .map((f) => f.path)
    .filter((path) => path.includes(`/${w.job.destinationFolder}/${RUN_INDEX_FOLDER}/`));

function memoryIndexStore(): RestoreIndexStore & { rows: Map<string, IndexedFile> } {
  const rows = new Map<string, IndexedFile>();
  let summary: LoadedIndex | undefined;
  return {
    rows,
    putFiles: async (_run, files) => files.forEach((f) => rows.set(f.name, f)),
    get: async (_run, name) => rows.get(name),
    files: async function* () {
      yield* rows.values();
    },
    setLoaded: async (_run, loaded) => void (summary = loaded),
    loaded: async () => summary,
  };
}

it('an unchanged mirror rerun writes no index and points at the one that still describes the folder; a restore reads it', async () => {
  const w = await world();
  for (const name of ['a.txt', 'b/c.txt', 'd.txt']) await putBlob(w.container, name, content(100));
  const first = await runOnce(w);
  expect(first.run.status).toBe('succeeded');
  expect(first.run.indexPath).toMatch(new RegExp(`${RUN_INDEX_FOLDER}/${first.run.id}\\.jsonl$`));
  expect(indexFiles(w)).toHaveLength(1);

  const second = await runOnce(w);
  expect(second.uploads).toBe(0);
  expect(second.run.status).toBe('succeeded');
  expect(second.run.index).toBe(`unchanged since run ${first.run.id}: ${first.run.indexPath}`);
  expect(second.run.indexPath).toBe(first.run.indexPath);
  expect(indexFiles(w)).toHaveLength(1);
  expect([...(await collect(w.deps.runs.fileRows(second.run.id)))]).toEqual([]);

  // What a restore of the folder loads: the standing index, with every file.
  const store = memoryIndexStore();
  const folderPath = first.run.indexPath!.slice(0, first.run.indexPath!.indexOf(`/${RUN_INDEX_FOLDER}/`));
  const loaded = await loadRunIndex(
    {
      clock: new ManualClock(Date.now()),
      retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
      log: w.deps.log,
      requestTimeoutMs: 30_000,
      deadline: Number.MAX_SAFE_INTEGER,
      stats: emptyStats(),
      fetch,
    },
    store,
    {
      runId: 'restore-run',
      location: { graphBaseUrl: fx.apiBaseUrl, driveId: fx.driveId, folderPath },
      folderPath,
      tokens: fx.tokens,
    },
  );
  expect(loaded).toMatchObject({ runId: first.run.id, files: 3 });
  expect([...store.rows.keys()].sort()).toEqual(['a.txt', 'b/c.txt', 'd.txt']);

  // New tags (they leave the ETag as it is): nothing is copied, but the index must say what changed.
  await w.container.getBlockBlobClient('a.txt').setTags({ note: 'changed' });
  const third = await runOnce(w);
  expect(third.uploads).toBe(0);
  expect(third.run.indexPath).toMatch(new RegExp(`${third.run.id}\\.jsonl$`));
  expect(indexFiles(w)).toHaveLength(2);
});

it('a page listed as it was when all of it was last unchanged is not queried against the manifest again; any change to it is', async () => {
  const w = await world();
  w.deps.settings.plannerPageSize = 2;
  for (const name of ['a.txt', 'b/c.txt', 'd.txt']) await putBlob(w.container, name, content(100));
  expect((await runOnce(w)).uploads).toBeGreaterThan(0);
  const queried: string[][] = [];
  const getMany = w.deps.manifest.getMany.bind(w.deps.manifest);
  w.deps.manifest.getMany = async (jobId, names) => {
    queried.push([...names]);
    return getMany(jobId, names);
  };

  // The first run succeeded, so it recorded the digests of the pages it copied whole: the first
  // rerun reads no manifest row ...
  const second = await runOnce(w);
  expect(queried).toEqual([]);
  expect(second.uploads).toBe(0);
  // ... nor does the next one, and both count every file as skipped.
  const third = await runOnce(w);
  expect(queried).toEqual([]);
  expect(third.uploads).toBe(0);
  expect(third.run.status).toBe('succeeded');
  const totals = async (run: Run): Promise<unknown> => (await w.deps.runs.totals(run.id)).totals;
  expect(await totals(third.run)).toMatchObject({ plannedFiles: 0, skippedFiles: 3, skippedBytes: 300 });
  expect(await totals(third.run)).toEqual(await totals(second.run));
  expect(third.run.indexPath).toBe(second.run.indexPath);

  // New tags leave the ETag as it is, yet change the page's digest: its facts are refreshed.
  await w.container.getBlockBlobClient('a.txt').setTags({ note: 'changed' });
  const fourth = await runOnce(w);
  expect(queried).toEqual([['a.txt', 'b/c.txt']]);
  expect(fourth.uploads).toBe(0);
  expect(fourth.run.indexPath).not.toBe(third.run.indexPath);
  expect((await w.deps.manifest.get(w.job.id, 'a.txt'))?.facts?.tags).toEqual({ note: 'changed' });

  // Refreshed facts are in the manifest as listed, so the refreshing run recorded the page.
  queried.length = 0;
  await runOnce(w);
  expect(queried).toEqual([]);
  // New bytes: the page is queried and the file copied.
  await putBlob(w.container, 'd.txt', content(120));
  const sixth = await runOnce(w);
  // The changed page is queried (the uploader reads the file's entry too); the other one is not.
  expect(queried).toContainEqual(['d.txt']);
  expect(queried).not.toContainEqual(['a.txt', 'b/c.txt']);
  expect(sixth.run.status).toBe('succeeded');
  expect(await totals(sixth.run)).toMatchObject({ uploadedFiles: 1, skippedFiles: 2 });
});

it('a first run with a failed file records no page digest: the rerun compares every page with the manifest', async () => {
  const w = await world();
  w.deps.settings.plannerPageSize = 2;
  // Over 400 characters of drive path: the file fails for good (the run is partially failed).
  const tooLong = `${'d'.repeat(140)}/${'e'.repeat(140)}/${'f'.repeat(140)}/long.txt`;
  for (const name of ['a.txt', 'b.txt', tooLong]) await putBlob(w.container, name, content(100));
  const first = await runOnce(w);
  expect(first.run.status).toBe('partially-failed');
  expect(await w.deps.manifest.pageDigest(w.job.id, '')).toBeUndefined();
  const queried: string[][] = [];
  const getMany = w.deps.manifest.getMany.bind(w.deps.manifest);
  w.deps.manifest.getMany = async (jobId, names) => {
    queried.push([...names]);
    return getMany(jobId, names);
  };
  await runOnce(w);
  expect(queried).toContainEqual(['a.txt', 'b.txt']);
});

it('a successful run records the digest of a page it copied in part when the rest was unchanged', async () => {
  const w = await world();
  for (const name of ['a.txt', 'b.txt']) await putBlob(w.container, name, content(100));
  await runOnce(w);
  const before = await w.deps.manifest.pageDigest(w.job.id, '');
  expect(before).toBeDefined();
  await putBlob(w.container, 'b.txt', content(120));
  const second = await runOnce(w);
  expect(second.uploads).toBe(1);
  expect(second.run.status).toBe('succeeded');
  const after = await w.deps.manifest.pageDigest(w.job.id, '');
  expect(after).toBeDefined();
  expect(after).not.toBe(before);
  const queried: string[][] = [];
  const getMany = w.deps.manifest.getMany.bind(w.deps.manifest);
  w.deps.manifest.getMany = async (jobId, names) => {
    queried.push([...names]);
    return getMany(jobId, names);
  };
  const third = await runOnce(w);
  expect(queried).toEqual([]);
  expect(third.uploads).toBe(0);
});

it('a successful run records no digest for a page with a file past the maximum age (it has no entry to promise)', async () => {
  const w = await world();
  const job = { ...w.job, retention: { ...w.job.retention, mirrorMaxAgeDays: 30 } };
  await w.deps.jobs.save(job);
  w.job = job;
  for (const name of ['a.txt', 'old.txt']) await putBlob(w.container, name, content(100));
  // The listing says old.txt was last written long ago (Azurite stamps every blob with the time now).
  const listed = w.deps.source;
  w.deps.source = (j) => {
    const source = listed(j);
    return {
      ...source,
      listPage: async (token, size) => {
        const page = await source.listPage(token, size);
        const items = page.items.map((i) => (i.name === 'old.txt' ? { ...i, lastModified: new Date(0) } : i));
        return { ...page, items };
      },
    };
  };
  const first = await runOnce(w);
  expect(first.uploads).toBe(1);
  expect(first.run.status).toBe('succeeded');
  expect(await w.deps.manifest.pageDigest(w.job.id, '')).toBeUndefined();
});

it('a page with a changed file records no digest while its upload is still to happen (it may fail)', async () => {
  const w = await world();
  for (const name of ['a.txt', 'd.txt']) await putBlob(w.container, name, content(100));
  await runOnce(w);
  await runOnce(w);
  const recorded = await w.deps.manifest.pageDigest(w.job.id, '');
  expect(recorded).toBeDefined();

  await putBlob(w.container, 'd.txt', content(120));
  w.clock.advance(60_000);
  await startRun(w.deps, w.job.id, 'manual');
  // The planner runs; the upload task is lost (a crash, a failed upload): the manifest keeps the old d.txt.
  let tasks = 0;
  while (w.queue.length) {
    const { queue, message } = w.queue.shift()!;
    if (queue === QUEUES.plan) await handlePlanMessage(w.deps, message);
    else tasks += 1;
  }
  expect(tasks).toBe(1);
  expect(await w.deps.manifest.pageDigest(w.job.id, '')).toBe(recorded);
});

it('a page with files past the maximum age that were never copied records no digest (they have no entry to mark seen)', async () => {
  const container = await newContainer();
  for (const name of ['old-1.txt', 'old-2.txt']) await putBlob(container, name, content(50));
  // Three days after the blobs were written, with a maximum age of one: both are past it.
  const clock = new ManualClock(Date.now() + 3 * 86_400_000);
  const { queue, send } = memoryQueue();
  const deps = backupDeps({ fx, clock, send, rootFolder: 'Rerun', plannerPageSize: 500, logName: 'rerun' });
  const job = await createBackupJob(
    deps,
    { name: 'aged', container: container.containerName, now: new Date(clock.now()) },
    { propagateDeletes: true, retention: { mirrorMaxAgeDays: 1 } },
  );
  const w: World = { deps, queue, container, job, clock };
  for (let i = 0; i < 3; i += 1) {
    const { run, uploads } = await runOnce(w);
    expect(run.status).toBe('succeeded');
    expect(uploads).toBe(0);
  }
  expect(await deps.manifest.pageDigest(job.id, '')).toBeUndefined();
});

it('a recorded page whose files have since passed the maximum age is compared again, and the runs after their removal succeed', async () => {
  const w = await world();
  const job = {
    ...w.job,
    propagateDeletes: true,
    retention: { ...w.job.retention, mirrorMaxAgeDays: 1 },
  };
  await w.deps.jobs.save(job);
  w.job = job;
  for (const name of ['a.txt', 'b.txt']) await putBlob(w.container, name, content(100));
  expect((await runOnce(w)).uploads).toBe(2);
  expect(await w.deps.manifest.pageDigest(w.job.id, '')).toBeDefined();
  // Three days after the blobs were written: both are past the maximum age.
  w.clock.advance(Date.now() + 3 * 86_400_000 - w.clock.now());
  for (let i = 0; i < 3; i += 1) {
    const { run, uploads } = await runOnce(w);
    expect(run.status).toBe('succeeded');
    expect(uploads).toBe(0);
  }
  expect(await w.deps.manifest.get(w.job.id, 'a.txt')).toBeUndefined();
  expect(
    fx.graph.listFiles(fx.driveId).filter((f) => f.path.endsWith(`/${w.job.destinationFolder}/a.txt`)),
  ).toEqual([]);
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('the plan of a page is recorded against the run row the planner holds', () => {
  it('an unchanged rerun reads its run row once: the mark, the plan and the completion check write without reading it again', async () => {
    const w = await world();
    for (const name of ['a.txt', 'b.txt']) await putBlob(w.container, name, content(50));
    await runOnce(w);
    const reads = { get: 0, require: 0 };
    const { get, require } = w.deps.runs;
    w.deps.runs.get = (...args) => ((reads.get += 1), get.apply(w.deps.runs, args));
    w.deps.runs.require = (...args) => ((reads.require += 1), require.apply(w.deps.runs, args));
    const second = await runOnce(w);
    expect(second.uploads).toBe(0);
    expect(second.run).toMatchObject({ status: 'succeeded', planningComplete: true, pagesPlanned: 1 });
    expect(second.run.startedAt).toBeDefined();
    // The planner's own read; runOnce reads the finished run once more.
    expect(reads).toEqual({ get: 2, require: 0 });
  });

  it('a run row changed while the page was listed is read again, and the plan still advances', async () => {
    const w = await world();
    for (const name of ['a.txt', 'b.txt']) await putBlob(w.container, name, content(50));
    await runOnce(w);
    const source = w.deps.source;
    // Another writer (the quota check, a person's cancel request) changes the row mid-listing.
    w.deps.source = (job) => {
      const inner = source(job);
      return {
        ...inner,
        listPage: async (token, size) => {
          const page = await inner.listPage(token, size);
          const runs = await w.deps.runs.listForJob(job.id);
          const current = runs.find((r) => r.status === 'running' || r.status === 'queued')!;
          await w.deps.runs.update(job.id, current.id, { error: 'written by someone else' });
          return page;
        },
      };
    };
    const second = await runOnce(w);
    expect(second.run).toMatchObject({ status: 'succeeded', planningComplete: true, pagesPlanned: 1 });
  });
});
