// Retention and deletions at the end of a run, through the real handlers against
// Azurite and the Graph emulator: snapshot folders per run and their pruning (keep the last N, a
// maximum age), the recycle bin by default, permanentDelete only when the job asks and the drive
// can, and mirror mode's propagated deletions and maximum age with their manifest rows.
import type { ContainerClient } from '@azure/storage-blob';
import { QUEUES } from '../../src/app/queues';
import type { BackupDeps } from '../../src/backup/deps';
import { snapshotFolderName } from '../../src/graph/snapshotFolders';
import { handlePlanMessage } from '../../src/backup/planner';
import { handlePlanPoison } from '../../src/backup/poison';
import { startRun } from '../../src/backup/scheduler';
import { ManualClock } from '../../src/runtime/clock';
import { setLogSink, type LogSink } from '../../src/log/logger';
import type { Job } from '../../src/store/jobs';
import type { Run } from '../../src/store/runs';
import {
  azuriteBlobSource,
  backupDeps,
  content,
  createBackupJob,
  deliverAll,
  memoryQueue,
  MiB,
  newContainer,
  putBlob,
  startGraph,
  type GraphFixture,
  type QueuedMessage,
  inAppFolder,
} from './backupHarness';

const DAY = 86_400_000;
const ROOT = 'Apps/Backup';

let business: GraphFixture;
let personal: GraphFixture;
let previousSink: LogSink;
const logLines: Array<Record<string, unknown>> = [];

interface World {
  deps: BackupDeps;
  fx: GraphFixture;
  clock: ManualClock;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
  /** The test's clock time a blob was written at: the source reports it as the blob's lastModified. */
  writtenAt: Map<string, Date>;
  jobFolder: string;
  /** The emulator's request log length when this world began (tests in a file share emulators). */
  requestsBefore: number;
}

async function world(fx: GraphFixture, jobInput: Record<string, unknown>): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 2, 0, 0));
  const { queue, send } = memoryQueue();
  const writtenAt = new Map<string, Date>();
  const deps = backupDeps({
    fx,
    clock,
    send,
    rootFolder: ROOT,
    driveType: fx.token === 'personal' ? 'personal' : 'business',
    source: (job) => {
      const real = azuriteBlobSource(job);
      // Azurite stamps blobs with the wall clock; the runs here move through weeks of the test's
      // clock, so the listing reports the test-clock time each blob was written at instead.
      return {
        ...real,
        container: real.container,
        prefix: real.prefix,
        listPage: async (token, size) => {
          const page = await real.listPage(token, size);
          return {
            ...page,
            items: page.items.map((i) => ({ ...i, lastModified: writtenAt.get(i.name) ?? i.lastModified })),
          };
        },
      };
    },
    // Small pages: every run here plans over several planner messages, as a big container would.
    plannerPageSize: 2,
    logName: 'retention',
  });
  const job = await createBackupJob(
    deps,
    { name: 'retention', container: container.containerName, now: new Date(clock.now()) },
    jobInput,
  );
  return {
    deps,
    fx,
    clock,
    queue,
    container,
    job,
    writtenAt,
    jobFolder: `${ROOT}/${job.destinationFolder}`,
    requestsBefore: fx.graph.server.requests.length,
  };
}

async function write(w: World, name: string, data: Buffer): Promise<void> {
  await putBlob(w.container, name, data);
  w.writtenAt.set(name, new Date(w.clock.now()));
}

/** Starts a run, delivers every queued message, and returns the finished run. */
async function backup(w: World): Promise<Run> {
  const started = await startRun(w.deps, w.job.id, 'manual');
  await deliverAll(w.deps, w.queue);
  const run = (await w.deps.runs.get(w.job.id, started.id))!.value;
  expect(run.status).toBe('succeeded');
  return run;
}

const strip = (path: string): string => path.replace(/^\/+/, '');

/** Live files below the job's folder: relative path → bytes. */
function driveFiles(w: World): Map<string, Buffer> {
  const prefix = `${w.jobFolder}/`;
  return new Map(
    w.fx.graph
      .listFiles(w.fx.driveId)
      .map((f) => ({ path: strip(f.path), content: f.content }))
      .filter((f) => f.path.startsWith(prefix) && !inAppFolder(f.path))
      .map((f) => [f.path.slice(prefix.length), f.content]),
  );
}

/** Snapshot folders that hold files now, oldest first. */
function snapshotFolders(w: World): string[] {
  return [...new Set([...driveFiles(w).keys()].map((p) => p.split('/')[0]))].sort();
}

/** What sits in the recycle bin below the job's folder (relative paths). */
function recycled(w: World): string[] {
  const prefix = `${w.jobFolder}/`;
  return w.fx.graph
    .recycleBin(w.fx.driveId)
    .map((r) => strip(r.path))
    .filter((p) => p.startsWith(prefix))
    .map((p) => p.slice(prefix.length))
    .sort();
}

/** permanentDelete requests this world's job sent (the emulators are shared across tests). */
function permanentDeletes(w: World): number {
  return w.fx.graph.server.requests
    .slice(w.requestsBefore)
    .filter((r) => r.method === 'POST' && /\/permanentDelete$/.test(r.path)).length;
}

function logged(event: string): Array<Record<string, unknown>> {
  return logLines.filter((l) => l.event === event);
}

beforeAll(async () => {
  previousSink = setLogSink((line) => void logLines.push(JSON.parse(line) as Record<string, unknown>));
  [business, personal] = await Promise.all([startGraph('work'), startGraph('personal')]);
});
afterAll(async () => {
  setLogSink(previousSink);
  await Promise.all([business.graph.stop(), personal.graph.stop()]);
});

describe('snapshot mode', () => {
  it('puts each run in its own dated folder and keeps only the last N, older ones to the recycle bin', async () => {
    const w = await world(business, { mode: 'snapshot', retention: { keepLast: 2 } });
    const data = { 'a.txt': content(1000), 'dir/b.bin': content(5 * MiB + 3), 'c.dat': content(0) };
    for (const [name, bytes] of Object.entries(data)) await write(w, name, bytes);

    const names: string[] = [];
    for (let day = 0; day < 4; day += 1) {
      const run = await backup(w);
      names.push(snapshotFolderName(new Date(w.clock.now())));
      // The run's folder is named for its start, and every file of the source is in it, whole.
      expect(run.snapshotFolder).toBe(names[day]);
      const files = driveFiles(w);
      for (const [name, bytes] of Object.entries(data))
        expect(files.get(`${names[day]}/${name}`)?.equals(bytes)).toBe(true);
      expect(snapshotFolders(w)).toEqual(names.slice(Math.max(0, day - 1)));
      w.clock.advance(DAY);
    }
    // Whole folders went to the recycle bin (one entry each), nothing was destroyed.
    expect(recycled(w)).toEqual([names[0], names[1]]);
    expect(permanentDeletes(w)).toBe(0);
    const runs = await w.deps.runs.listForJob(w.job.id);
    expect(runs.map((r) => r.cleanup).sort()).toEqual([
      'removed 0 snapshot folder(s)',
      'removed 0 snapshot folder(s)',
      'removed 1 snapshot folder(s)',
      'removed 1 snapshot folder(s)',
    ]);
  });

  it('removes snapshot folders older than the maximum age, however few there are', async () => {
    const w = await world(business, { mode: 'snapshot', retention: { maxAgeDays: 3 } });
    await write(w, 'only.txt', content(10));
    const names: string[] = [];
    for (const gap of [0, 2 * DAY, 2 * DAY]) {
      w.clock.advance(gap);
      await backup(w);
      names.push(snapshotFolderName(new Date(w.clock.now())));
    }
    // Day 0 is 4 days old at the third run (past 3 days); day 2 is 2 days old and stays.
    expect(snapshotFolders(w)).toEqual([names[1], names[2]]);
    expect(recycled(w)).toEqual([names[0]]);
  });

  it('uses permanentDelete when the job asks for hard delete and the drive is business', async () => {
    const w = await world(business, { mode: 'snapshot', retention: { keepLast: 1 }, hardDelete: true });
    await write(w, 'x.bin', content(300));
    await backup(w);
    const first = snapshotFolderName(new Date(w.clock.now()));
    w.clock.advance(DAY);
    await backup(w);
    const second = snapshotFolderName(new Date(w.clock.now()));

    expect(snapshotFolders(w)).toEqual([second]);
    expect(recycled(w)).toEqual([]); // gone for good, not in the recycle bin
    expect(permanentDeletes(w)).toBe(1);
    expect(first).not.toBe(second);
  });

  it('on a personal drive, hard delete falls back to the recycle bin and says so', async () => {
    const w = await world(personal, { mode: 'snapshot', retention: { keepLast: 1 }, hardDelete: true });
    await write(w, 'x.bin', content(300));
    await backup(w);
    const first = snapshotFolderName(new Date(w.clock.now()));
    w.clock.advance(DAY);
    const run = await backup(w);

    expect(snapshotFolders(w)).toEqual([run.snapshotFolder]);
    expect(recycled(w)).toEqual([first]);
    expect(permanentDeletes(w)).toBe(0); // never tried: the emulator (like Graph) would answer 400
    const notes = logged('retention.hardDelete.unavailable').filter((l) => l.jobId === w.job.id);
    expect(notes.length).toBe(2); // once per run's cleanup
    expect(notes[0]).toMatchObject({ driveType: 'personal' });
    const stored = (await w.deps.runs.get(w.job.id, run.id))!.value;
    expect(stored.cleanup).toMatch(
      /removed 1 snapshot folder\(s\) to the recycle bin \(hard delete is not available/,
    );
  });
});

describe('mirror mode', () => {
  it('with propagateDeletes, moves files whose blob was deleted to the recycle bin and drops their manifest rows', async () => {
    const w = await world(business, { mode: 'mirror', propagateDeletes: true });
    const data = new Map<string, Buffer>([
      ['keep.txt', content(100)],
      ['gone.txt', content(200)],
      ['deep/gone-too.bin', content(5 * MiB)],
      ['deep/changed.txt', content(300)],
      ['z-last.txt', content(1)],
    ]);
    for (const [name, bytes] of data) await write(w, name, bytes);
    await backup(w);
    expect([...driveFiles(w).keys()].sort()).toEqual([...data.keys()].sort());

    // Between runs: two blobs deleted, one changed, one added.
    await w.container.deleteBlob('gone.txt');
    await w.container.deleteBlob('deep/gone-too.bin');
    const changed = content(400);
    await write(w, 'deep/changed.txt', changed);
    const added = content(50);
    await write(w, 'new.txt', added);
    w.clock.advance(DAY);
    const run = await backup(w);

    const files = driveFiles(w);
    expect([...files.keys()].sort()).toEqual(['deep/changed.txt', 'keep.txt', 'new.txt', 'z-last.txt']);
    // What this run uploaded (the new and the changed file) is not mistaken for a leftover.
    expect(files.get('deep/changed.txt')!.equals(changed)).toBe(true);
    expect(files.get('new.txt')!.equals(added)).toBe(true);
    expect(files.get('keep.txt')!.equals(data.get('keep.txt')!)).toBe(true);
    expect(recycled(w)).toEqual(['deep/gone-too.bin', 'gone.txt']);
    expect(permanentDeletes(w)).toBe(0);
    expect(await w.deps.manifest.get(w.job.id, 'gone.txt')).toBeUndefined();
    expect(await w.deps.manifest.get(w.job.id, 'deep/gone-too.bin')).toBeUndefined();
    const rows: string[] = [];
    for await (const entry of w.deps.manifest.list(w.job.id)) rows.push(entry.blobName);
    expect(rows.sort()).toEqual(['deep/changed.txt', 'keep.txt', 'new.txt', 'z-last.txt']);
    expect(run.cleanup).toBe('removed 2 file(s) from the mirror');

    // The next run with no change deletes nothing more and uploads nothing.
    w.clock.advance(DAY);
    const quiet = await backup(w);
    expect(quiet.cleanup).toBe('removed 0 file(s) from the mirror');
    expect(quiet.totals).toMatchObject({ uploadedFiles: 0, skippedFiles: 4 });
    expect(driveFiles(w).size).toBe(4);
  });

  it('a run that could not list the whole source deletes nothing', async () => {
    const w = await world(business, { mode: 'mirror', propagateDeletes: true });
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) await write(w, name, content(10));
    await backup(w);
    await w.container.deleteBlob('a.txt');

    // Page 0 (a deleted, b listed) plans; page 1 fails on every delivery, so c and d were never seen.
    const started = await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    const next = w.queue.shift()!;
    expect(next.queue).toBe(QUEUES.plan);
    await handlePlanPoison(w.deps, next.message);

    const run = (await w.deps.runs.get(w.job.id, started.id))!.value;
    expect(run.status).toBe('failed');
    expect(run.cleanup).toBeUndefined();
    expect([...driveFiles(w).keys()].sort()).toEqual(['a.txt', 'b.txt', 'c.txt', 'd.txt']);
    expect(recycled(w)).toEqual([]);
  });

  it('without propagateDeletes, a deleted blob stays in the drive', async () => {
    const w = await world(business, { mode: 'mirror' });
    await write(w, 'a.txt', content(10));
    await write(w, 'b.txt', content(20));
    await backup(w);
    await w.container.deleteBlob('a.txt');
    const run = await backup(w);
    expect([...driveFiles(w).keys()].sort()).toEqual(['a.txt', 'b.txt']);
    expect(recycled(w)).toEqual([]);
    expect(run.cleanup).toBeUndefined();
    expect(await w.deps.manifest.get(w.job.id, 'a.txt')).toBeDefined();
  });

  it('removes files past the mirror maximum age (and no longer copies them), keeping newer ones', async () => {
    const w = await world(business, { mode: 'mirror', retention: { mirrorMaxAgeDays: 30 } });
    await write(w, 'old.txt', content(10));
    await write(w, 'fresh.txt', content(20));
    await backup(w);
    expect(driveFiles(w).size).toBe(2);

    w.clock.advance(31 * DAY);
    const rewritten = content(30);
    await write(w, 'fresh.txt', rewritten); // modified today: young again
    const run = await backup(w);
    expect([...driveFiles(w).keys()]).toEqual(['fresh.txt']);
    expect(driveFiles(w).get('fresh.txt')!.equals(rewritten)).toBe(true);
    expect(recycled(w)).toEqual(['old.txt']);
    expect(await w.deps.manifest.get(w.job.id, 'old.txt')).toBeUndefined();
    expect(run.cleanup).toBe('removed 1 file(s) from the mirror');

    // The old blob is still in the source: the next run neither copies it back nor removes more.
    const next = await backup(w);
    expect(driveFiles(w).has('old.txt')).toBe(false);
    expect(next.totals).toMatchObject({ uploadedFiles: 0 });
    expect(next.cleanup).toBe('removed 0 file(s) from the mirror');
  });
});
