// A mirror rerun that changes nothing writes nothing per file: no upload task, no run-file row, no
// manifest write, and no new run index (the folder's newest one still describes it, and a restore
// reads that one). A rerun that only refreshes a file's tags writes a new index.
import type { ContainerClient } from '@azure/storage-blob';
import type { BackupDeps } from '../../src/backup/deps';
import { startRun } from '../../src/backup/scheduler';
import { RUN_INDEX_FOLDER } from '../../src/graph/runIndex';
import { setLogSink, type LogSink } from '../../src/log/logger';
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
