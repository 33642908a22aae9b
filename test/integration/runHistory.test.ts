// Run history retention against Azurite: old runs go with every row they left (per-file rows, page
// rows, restore index rows, saved upload sessions), the runs the product still reads stay, and a
// clean-up cut short by its time budget loses nothing and finishes at the next firing.
import { TableClient } from '@azure/data-tables';
import { pruneRunHistory } from '../../src/history/prune';
import type { HistoryDeps } from '../../src/history/deps';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { ManualClock } from '../../src/runtime/clock';
import { RunStore, type Run } from '../../src/store/runs';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T03:30:00Z');
const tables: TableClient[] = [];
let previousSink: LogSink;
const logLines: string[] = [];

beforeAll(() => {
  previousSink = setLogSink((line) => logLines.push(line));
});
afterAll(async () => {
  setLogSink(previousSink);
  await Promise.all(tables.map((t) => t.deleteTable().catch(() => undefined)));
});

async function table(prefix: string): Promise<TableClient> {
  const client = TableClient.fromConnectionString(azuriteConnectionString(), uniqueName(prefix), {
    allowInsecureConnection: true,
  });
  await client.createTable();
  tables.push(client);
  return client;
}

async function rowsOf(client: TableClient, partitionKey: string): Promise<number> {
  let n = 0;
  for await (const _ of client.listEntities({
    queryOptions: { filter: `PartitionKey eq '${partitionKey}'` },
  }))
    n += 1;
  return n;
}

interface World {
  runs: RunStore;
  clients: {
    runs: TableClient;
    progress: TableClient;
    files: TableClient;
    index: TableClient;
    sessions: TableClient;
  };
  clock: ManualClock;
  deps(budgetMs?: number, keepDays?: number): HistoryDeps;
}

async function world(): Promise<World> {
  const clients = {
    runs: await table('hruns'),
    progress: await table('hprog'),
    files: await table('hfiles'),
    index: await table('hindex'),
    sessions: await table('hsess'),
  };
  const runs = new RunStore({ runs: clients.runs, progress: clients.progress, files: clients.files });
  const clock = new ManualClock(NOW);
  return {
    runs,
    clients,
    clock,
    deps: (budgetMs = 60_000, keepDays = 90) => ({
      runs,
      runTables: [clients.index, clients.sessions],
      clock,
      log: createLogger({ test: 'history' }),
      settings: { keepDays, budgetMs },
    }),
  };
}

/** A run of `jobId` that ended `ageDays` ago with `files` per-file rows and one page row. */
async function seedRun(
  w: World,
  jobId: string,
  ageDays: number,
  files: number,
  extra: Partial<Run> = {},
): Promise<Run> {
  const created = NOW - ageDays * DAY;
  // Run ids sort newest first, as the product's do.
  const id = `${String(9_999_999_999_999 - created).padStart(13, '0')}-${jobId}`;
  const run: Run = {
    id,
    jobId,
    kind: 'backup',
    trigger: 'schedule',
    status: 'succeeded',
    createdAt: new Date(created).toISOString(),
    endedAt: new Date(created + 60_000).toISOString(),
    planningComplete: true,
    pagesPlanned: 1,
    ...extra,
  };
  await w.runs.create(run);
  await w.runs.planFiles(
    id,
    Array.from({ length: files }, (_, i) => ({ blobName: `dir/file-${i}.bin`, size: i })),
  );
  await w.runs.recordPage(id, 0, { files, bytes: 0, skippedFiles: 0, skippedBytes: 0, last: true });
  await w.clients.index.createEntity({ partitionKey: id, rowKey: 'a', name: 'a' });
  await w.clients.sessions.createEntity({ partitionKey: id, rowKey: 's', sealed: 'x' });
  return run;
}

async function holdsRun(
  w: World,
  run: Run,
): Promise<{ row: boolean; files: number; progress: number; index: number; sessions: number }> {
  return {
    row: (await w.runs.get(run.jobId, run.id)) !== undefined,
    files: await rowsOf(w.clients.files, run.id),
    progress: await rowsOf(w.clients.progress, run.id),
    index: await rowsOf(w.clients.index, run.id),
    sessions: await rowsOf(w.clients.sessions, run.id),
  };
}

jest.setTimeout(180_000);

it('deletes old finished runs with all their rows and keeps what is still read', async () => {
  const w = await world();
  // Job A: a run a day for 120 days; the oldest holds 1,250 file rows (more than one page of keys).
  const a: Run[] = [];
  for (let day = 0; day < 120; day++) a.push(await seedRun(w, 'job-a', day, day === 119 ? 1250 : 2));
  // Job B: 25 runs a year old, the newest 20 kept whatever their age; a run a year old still
  // running is never touched; job C's only backup is old and kept as the folder's last backup.
  const b: Run[] = [];
  for (let i = 0; i < 25; i++) b.push(await seedRun(w, 'job-b', 365 + i, 1));
  const stuck = await seedRun(w, 'job-b', 400, 1, { status: 'running', endedAt: undefined });
  const cOld = await seedRun(w, 'job-c', 300, 1);
  const cFailed = await seedRun(w, 'job-c', 299, 1, { status: 'failed' });

  const result = await pruneRunHistory(w.deps());
  // Job A: days 91..119 (29 runs); job B: the 5 oldest finished; job C: nothing (the failed run is
  // among its newest 20 too).
  expect(result).toMatchObject({ deletedRuns: 29 + 5, complete: true });
  for (const run of a.slice(0, 91)) expect((await holdsRun(w, run)).row).toBe(true);
  for (const run of [...a.slice(91), ...b.slice(20)])
    expect(await holdsRun(w, run)).toEqual({ row: false, files: 0, progress: 0, index: 0, sessions: 0 });
  expect(await holdsRun(w, a[90])).toEqual({ row: true, files: 2, progress: 1, index: 1, sessions: 1 });
  for (const run of b.slice(0, 20)) expect((await holdsRun(w, run)).row).toBe(true);
  expect((await holdsRun(w, stuck)).row).toBe(true);
  expect((await holdsRun(w, cOld)).row).toBe(true);
  expect((await holdsRun(w, cFailed)).row).toBe(true);
  expect(logLines.some((line) => line.includes('history.pruned'))).toBe(true);

  // A second clean-up finds nothing more to do.
  expect(await pruneRunHistory(w.deps())).toMatchObject({ deletedRuns: 0, deletedRows: 0, complete: true });
});

it('a clean-up cut short by its budget keeps the run row and finishes at the next firing', async () => {
  const w = await world();
  const kept: Run[] = [];
  for (let i = 0; i < 20; i++) kept.push(await seedRun(w, 'job-d', i, 1));
  const big = await seedRun(w, 'job-d', 200, 450);
  // Each clock read moves time on, so the budget runs out inside the big run's file rows.
  let reads = 0;
  const clock = w.clock;
  const base = w.deps(2_500);
  const ticking: HistoryDeps = {
    ...base,
    clock: { now: () => clock.now() + reads++ * 500, sleep: (ms) => clock.sleep(ms) },
  };
  const first = await pruneRunHistory(ticking);
  expect(first.complete).toBe(false);
  expect(first.deletedRuns).toBe(0);
  const midway = await holdsRun(w, big);
  expect(midway.row).toBe(true);
  expect(midway.files).toBeGreaterThan(0);
  expect(midway.files).toBeLessThan(450);

  const second = await pruneRunHistory(w.deps());
  expect(second).toMatchObject({ deletedRuns: 1, complete: true });
  expect(await holdsRun(w, big)).toEqual({ row: false, files: 0, progress: 0, index: 0, sessions: 0 });
  for (const run of kept) expect((await holdsRun(w, run)).row).toBe(true);
});

it('RUN_HISTORY_DAYS=0 keeps every run', async () => {
  const w = await world();
  const old = await seedRun(w, 'job-e', 5000, 1);
  for (let i = 0; i < 25; i++) await seedRun(w, 'job-e', 4000 + i, 1);
  expect(await pruneRunHistory(w.deps(60_000, 0))).toEqual({
    deletedRuns: 0,
    deletedRows: 0,
    complete: true,
  });
  expect((await holdsRun(w, old)).row).toBe(true);
});
