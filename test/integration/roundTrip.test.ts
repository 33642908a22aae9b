// Backup, lose the source, restore: the proof that a backup can be brought back. Every step runs
// through the product's real handlers (scheduler → planner → uploader → completion for the backup;
// the restore API → restorer worker for the restore) against Azurite and the Graph emulator. The
// queues are in-memory and drained by the test with the Functions host's semantics: a handler that
// throws gets its message again (up to host.json's maxDequeueCount of 5), then the poison handler.
//
// What is proved:
//   1. a container with every awkward name (forbidden characters, reserved names, NFC and NFD,
//      deep folders) and sizes (0 B, 1 B, over 100 MiB) comes back byte-identical under its exact
//      names after the source container is deleted;
//   2. the same with throttling, 503s, resets mid-request and mid-response and a lost upload
//      session injected on both legs, with no duplicate file left in the drive;
//   3. the same from OneDrive alone (fresh tables: no job, no manifest, no runs) through
//      POST connections/{id}/restore.
import { LOCAL_BLOB_ENDPOINTS, localAdmin } from '../helpers/blobEndpoints';
import { createHash } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QUEUES } from '../../src/app/queues';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import { handlePlanMessage } from '../../src/backup/planner';
import { handlePlanPoison, handleUploadPoison } from '../../src/backup/poison';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { ManualClock } from '../../src/runtime/clock';
import { decodeDrivePath } from '../../src/graph/names';
import { RUN_INDEX_FOLDER } from '../../src/graph/runIndex';
import type { HttpResult } from '../../src/http/types';
import { restoreFromConnection, restoreJob, type RestoreApiDeps } from '../../src/restore/api';
import type { RestoreDeps } from '../../src/restore/deps';
import type { RestoreMessage } from '../../src/restore/messages';
import { handleRestoreMessage, handleRestorePoison } from '../../src/restore/worker';
import { JobStore, type Job } from '../../src/store/jobs';
import { ManifestStore } from '../../src/store/manifest';
import { RunStore, type Run, type RunTotals } from '../../src/store/runs';
import type { FaultRule } from '../../emulators/shared/faults';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import {
  backupDeps,
  createBackupJob,
  MiB,
  newTable,
  useGraph,
  UNIT,
  type GraphFixture,
} from './backupHarness';
import { restoreDeps, restoreRequest } from './restoreWorld';

const ROOT_FOLDER = 'Apps/Backup';
const CONNECTION = 'conn-1';
/** host.json: queues.maxDequeueCount. */
const MAX_DEQUEUE = 5;
const BIG = 'big/one hundred and one MiB.bin';
const MEDIUM = 'medium/three chunks.bin';

/**
 * The source container. Sizes are chosen for the paths they take: 0 and 1 byte at the edges, small
 * files by simple upload, MEDIUM as an upload session of three 10 MiB chunks, BIG (over 100 MiB,
 * not a multiple of any chunk or block size) as a long session and a 13-block restore.
 */
const CORPUS: ReadonlyArray<[string, number]> = [
  ['empty.bin', 0],
  ['one-byte', 1],
  // Every character OneDrive refuses, plus # and % (kept out of drive names on purpose). Not the
  // backslash: Blob storage itself turns it into '/', so no blob name can hold one.
  ['forbidden/quote" star* colon: lt< gt> question? pipe| hash# percent%.txt', 1000],
  ['forbidden/:*?"<>|#%', 17],
  // Control characters (C0, DEL, C1) become Control Pictures / private-use look-alikes. Tab is the
  // only C0 one here: Azurite answers 500 to a listing holding any other (Azure escapes them).
  ['forbidden/tab\tdel\u007fc1\u0085.bin', 33],
  // Names that already contain the encoder's own look-alikes and quote mark must not decode wrongly.
  ['look-alikes/full-width：colon ‛quote ␠space ．dot.txt', 41],
  ['reserved/CON', 10],
  ['reserved/prn.txt', 11],
  ['reserved/aux', 12],
  ['reserved/NUL.tar.gz', 13],
  ['reserved/COM1', 14],
  ['reserved/LPT9.log', 15],
  ['reserved/.lock', 16],
  ['reserved/desktop.ini', 17],
  ['reserved/~$budget.xlsx', 18],
  ['reserved/x_vti_y', 19],
  ['CON/a file inside a reserved folder name.txt', 20],
  [' leading and trailing spaces ', 21],
  ['trailing dot folder./ends with dot.', 22],
  // The same words in both Unicode normalization forms (in different folders: OneDrive may treat
  // two names that differ only in normalization as one item), and an NFD folder name.
  [`unicode/nfc/${'Café Ångström naïve.txt'.normalize('NFC')}`, 100],
  [`unicode/nfd/${'Café Ångström naïve.txt'.normalize('NFD')}`, 101],
  [`unicode/${'Résumés'.normalize('NFD')}/${'über.txt'.normalize('NFD')}`, 102],
  ['unicode/日本語のフォルダ/😀 emoji 𝄞.bin', 103],
  ['deep/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/leaf.dat', 2 * MiB + 7],
  [MEDIUM, 24 * MiB + 5],
  [BIG, 101 * MiB + 3],
];

let fx: GraphFixture;
/** Name → bytes: the truth every restore is compared with. */
const source = new Map<string, Buffer>();
const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const sourceMd5 = new Map<string, string>();

const blobService = (): BlobServiceClient =>
  BlobServiceClient.fromConnectionString(azuriteConnectionString());
const containerClient = (name: string): ContainerClient => blobService().getContainerClient(name);

/** The tables of one deployment: a fresh set is a deployment that lost everything but OneDrive. */
async function newTables(): Promise<
  Record<'jobs' | 'runs' | 'progress' | 'files' | 'manifest' | 'listings', TableClient>
> {
  const [jobs, runs, progress, files, manifest, listings] = await Promise.all(
    ['jobs', 'runs', 'prog', 'files', 'manifest', 'listings'].map(newTable),
  );
  return { jobs, runs, progress, files, manifest, listings };
}

// ---- queues ----

type Handler = (message: unknown, dequeueCount: number) => Promise<void>;
interface Pending {
  queue: string;
  message: unknown;
  dequeueCount: number;
}

/**
 * The Functions host's queue semantics, in memory: FIFO delivery, a throwing handler gets the
 * message again later, and after MAX_DEQUEUE failed deliveries it goes to the poison handler.
 */
class Queues {
  private readonly pending: Pending[] = [];
  /** Messages that failed every delivery, with the last error (a test expecting none shows why). */
  readonly poisoned: Array<Pending & { error: string }> = [];

  constructor(
    private readonly handlers: Record<string, Handler>,
    private readonly poison: Record<string, Handler>,
  ) {}

  async send(queue: string, message: unknown): Promise<void> {
    // Through JSON, as a real queue would carry it: nothing but data survives.
    this.pending.push({ queue, message: JSON.parse(JSON.stringify(message)), dequeueCount: 0 });
  }

  /** Delivers until every queue is empty; `hooks` see each delivery before and after (to aim faults). */
  async drain(hooks: DeliveryHooks = {}): Promise<void> {
    while (this.pending.length > 0) {
      const delivery = this.pending.shift()!;
      delivery.dequeueCount += 1;
      hooks.before?.(delivery);
      try {
        await this.handlers[delivery.queue](delivery.message, delivery.dequeueCount);
      } catch (error) {
        if (delivery.dequeueCount >= MAX_DEQUEUE) {
          this.poisoned.push({ ...delivery, error: String(error) });
          await this.poison[delivery.queue](delivery.message, delivery.dequeueCount);
        } else {
          // Back of the queue, as a message whose visibility timeout ran out.
          this.pending.push(delivery);
        }
      } finally {
        hooks.after?.(delivery);
      }
    }
  }
}

interface DeliveryHooks {
  before?: (delivery: Pending) => void;
  after?: (delivery: Pending) => void;
}

type LiveRule = GraphFixture['graph']['server']['faults']['rules'][number];

/**
 * Fault rules that apply only while one file's task is being handled, so a fault meant for the
 * middle of BIG is not spent on whichever small file happens to download next. The rules are
 * installed before each delivery of a matching task and taken out again after it; what a rule has
 * left carries over to the next delivery.
 */
class AimedFaults {
  private readonly live: LiveRule[] = [];

  constructor(
    private readonly matches: (delivery: Pending) => boolean,
    rules: FaultRule[],
  ) {
    const faults = fx.graph.server.faults;
    for (const rule of rules) {
      faults.add(rule);
      this.live.push(faults.rules.pop()!);
    }
  }

  readonly hooks: DeliveryHooks = {
    before: (delivery) => {
      if (this.matches(delivery)) fx.graph.server.faults.rules.unshift(...this.live);
    },
    after: () => {
      const rules = fx.graph.server.faults.rules;
      for (const rule of this.live) if (rules.includes(rule)) rules.splice(rules.indexOf(rule), 1);
    },
  };

  /** Rules the file never reached (left with uses): the path they aim at was not taken. */
  unused(): Array<Pick<LiveRule, 'kind' | 'status' | 'path'>> {
    return this.live.filter((r) => r.remaining > 0).map(({ kind, status, path }) => ({ kind, status, path }));
  }
}

/** Several hook sets as one. */
const allHooks = (...sets: DeliveryHooks[]): DeliveryHooks => ({
  before: (d) => sets.forEach((h) => h.before?.(d)),
  after: (d) => sets.forEach((h) => h.after?.(d)),
});

const isTaskFor =
  (queue: string, blobName: string) =>
  (delivery: Pending): boolean =>
    delivery.queue === queue && (delivery.message as { blobName?: string }).blobName === blobName;

// ---- one deployment: backup and restore deps over one set of tables ----

interface Deployment {
  backup: BackupDeps;
  restore: RestoreDeps;
  api: RestoreApiDeps;
  admin: AdminDeps;
  queues: Queues;
  backupClock: ManualClock;
  restoreClock: ManualClock;
  manifest: TableClient;
}

async function deployment(options: { restoreBudgetSeconds?: number } = {}): Promise<Deployment> {
  const tables = await newTables();
  const backupClock = new ManualClock(Date.now());
  const restoreClock = new ManualClock(Date.now());
  const runs = new RunStore(
    { runs: tables.runs, progress: tables.progress, files: tables.files },
    () => new Date(backupClock.now()),
  );
  // The queues need the deps and the deps need the queues' send: tied up after both exist.
  const queues: Queues = new Queues(
    {
      [QUEUES.plan]: (m) => handlePlanMessage(backup, m),
      [QUEUES.upload]: (m, dequeueCount) => handleUploadMessage(backup, m, { dequeueCount }),
      [QUEUES.restore]: (m) => handleRestoreMessage(restore, m),
    },
    {
      [QUEUES.plan]: (m) => handlePlanPoison(backup, m),
      [QUEUES.upload]: (m) => handleUploadPoison(backup, m),
      [QUEUES.restore]: (m) => handleRestorePoison(restore, m),
    },
  );
  const backup: BackupDeps = backupDeps({
    fx,
    clock: backupClock,
    stores: { jobs: new JobStore(tables.jobs), runs, manifest: new ManifestStore(tables.manifest) },
    send: (queue, message) => queues.send(queue, message),
    rootFolder: ROOT_FOLDER,
    // Small pages: the corpus is planned over several planner messages.
    plannerPageSize: 7,
    logName: 'round-trip-backup',
  });
  const restore: RestoreDeps = restoreDeps({
    fx,
    runs,
    tables: { listings: tables.listings, manifest: tables.manifest },
    clock: restoreClock,
    send: (queue, message) => queues.send(queue, message),
    rootFolder: ROOT_FOLDER,
    logName: 'round-trip-restore',
    settings: { invocationBudgetSeconds: options.restoreBudgetSeconds ?? 600 },
  });
  return {
    backup,
    restore,
    api: {
      restore,
      job: (id) => backup.jobs.require(id),
      blobEndpoints: LOCAL_BLOB_ENDPOINTS,
    },
    admin: localAdmin(backup),
    queues,
    backupClock,
    restoreClock,
    manifest: tables.manifest,
  };
}

// ---- steps ----

async function fillSourceContainer(): Promise<ContainerClient> {
  const container = containerClient(uniqueName('src'));
  await container.create();
  for (const [name, data] of source) await container.getBlockBlobClient(name).uploadData(data);
  // The listing must hold exactly the corpus, under the exact names: otherwise a later mismatch
  // would be Azurite's, not the round trip's.
  expect(await blobNames(container)).toEqual([...source.keys()].sort());
  return container;
}

async function createJob(d: Deployment, container: ContainerClient): Promise<Job> {
  return createBackupJob(
    d.backup,
    { name: 'round trip', container: container.containerName, now: new Date(d.backupClock.now()) },
    { connectionId: CONNECTION, chunkSizeBytes: 32 * UNIT }, // 10 MiB, the product's default
  );
}

async function backUp(d: Deployment, job: Job, hooks?: DeliveryHooks): Promise<Run> {
  const run = await startRun(d.backup, job.id, 'manual');
  await d.queues.drain(hooks);
  const done = (await d.backup.runs.get(job.id, run.id))!.value;
  expect(done.status).toBe('succeeded');
  expect(done.totals).toMatchObject({
    plannedFiles: source.size,
    uploadedFiles: source.size,
    failedFiles: 0,
  });
  return done;
}

const request = restoreRequest;

/** Starts a restore through an API route, drains the queue, returns the run as GET runs/{id} shows it. */
async function restoreThrough(
  d: Deployment,
  start: () => Promise<HttpResult>,
  hooks?: DeliveryHooks,
): Promise<{ accepted: Record<string, unknown>; run: Run & { failures: unknown[] } }> {
  const response = await start();
  expect(response.status).toBe(202);
  const accepted = response.body as Record<string, unknown>;
  await d.queues.drain(hooks);
  const shown = await jobsApi.run(d.admin, accepted.runId as string);
  expect(shown.status).toBe(200);
  return { accepted, run: shown.body as Run & { failures: unknown[] } };
}

async function blobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

/** The container holds exactly the source: the same name strings, and bytes with the same MD5. */
async function expectByteIdentical(containerName: string): Promise<void> {
  const container = containerClient(containerName);
  expect(await blobNames(container)).toEqual([...source.keys()].sort());
  for (const [name, expected] of sourceMd5) {
    const data = await container.getBlobClient(name).downloadToBuffer();
    expect({ name, size: data.length, md5: md5(data) }).toEqual({
      name,
      size: source.get(name)!.length,
      md5: expected,
    });
  }
}

/** The job's folder in the drive holds one file per source blob, and nothing else (no `name 1.ext`). */
function expectDriveHoldsExactlyTheSource(job: Job): void {
  const prefix = `/${ROOT_FOLDER}/${job.destinationFolder}/`;
  const files = fx.graph
    .listFiles(fx.driveId)
    // The run index in the app's own folder is not a copy of a source blob.
    .filter((f) => f.path.startsWith(prefix) && !f.path.startsWith(`${prefix}${RUN_INDEX_FOLDER}/`))
    .map((f) => decodeDrivePath(f.path.slice(prefix.length)));
  expect(files.sort()).toEqual([...source.keys()].sort());
}

const expectTotals = (totals: RunTotals | undefined, expected: Partial<RunTotals>): void =>
  expect(totals).toMatchObject(expected);

function expectEveryFaultInjected(): void {
  // A rule left with uses means the path it aims at was never taken: the test would prove nothing.
  const unused = fx.graph.server.faults.rules.filter((r) => r.remaining > 0);
  expect(unused.map(({ kind, status, path }) => ({ kind, status, path }))).toEqual([]);
}

const UPLOAD_HOST = { host: '127.0.0.1', path: '^/up/', method: 'PUT' } as const;
const DOWNLOAD_HOST = { host: '127.0.0.1', path: '^/dl/', method: 'GET' } as const;
/** Lets `count` matching requests through untouched, so the rules after it land mid-file. */
const passThrough = (count: number, match: Partial<FaultRule>): FaultRule => ({
  ...match,
  kind: 'delay',
  delayMs: 0,
  count,
});

useGraph('work', (started) => (fx = started));
beforeAll(async () => {
  // Deterministic pseudo-random content (cheap for 101 MiB, distinct per file).
  for (const [i, [name, size]] of CORPUS.entries()) {
    const data = Buffer.allocUnsafe(size);
    let x = 0x9e3779b9 ^ (i * 0x85ebca6b);
    for (let o = 0; o + 4 <= size; o += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data.writeInt32LE(x | 0, o);
    }
    for (let o = size - (size % 4); o < size; o += 1) data[o] = (i * 31 + o) & 0xff;
    source.set(name, data);
    sourceMd5.set(name, md5(data));
  }
}, 60_000);

afterEach(() => fx.graph.server.faults.clear());

describe('backup → delete the source → restore', () => {
  /** The clean backup's job and its drive folder, reused by the disaster-recovery test. */
  let cleanJob: Job | undefined;

  it('restores every name and byte, files over 100 MiB included, through POST jobs/{id}/restore', async () => {
    const d = await deployment();
    const container = await fillSourceContainer();
    const job = await createJob(d, container);
    await backUp(d, job);
    expectDriveHoldsExactlyTheSource(job);
    cleanJob = job;

    await container.delete();
    expect(await container.exists()).toBe(false);

    const target = uniqueName('restored');
    const { accepted, run } = await restoreThrough(d, () =>
      restoreJob(d.api, job.id, request({ targetContainer: target })),
    );
    // The manifest the backup wrote is what the restore listed from.
    expect(accepted.source).toBe('manifest');
    expect(run).toMatchObject({ kind: 'restore', status: 'succeeded', failures: [] });
    expectTotals(run.totals, {
      plannedFiles: source.size,
      uploadedFiles: source.size,
      uploadedBytes: [...source.values()].reduce((s, b) => s + b.length, 0),
      failedFiles: 0,
      skippedFiles: 0,
    });
    expect(d.queues.poisoned).toEqual([]);
    await expectByteIdentical(target);

    // Restoring again into the same container finds every blob already identical: nothing is
    // downloaded, and the run counts each file as skipped, not as restored.
    const downloadsBefore = fx.graph.server.requests.filter((r) => r.path.startsWith('/dl/')).length;
    const again = await restoreThrough(d, () =>
      restoreJob(d.api, job.id, request({ targetContainer: target, overwrite: 'skip-existing' })),
    );
    expect(again.run.status).toBe('succeeded');
    expectTotals(again.run.totals, {
      plannedFiles: source.size,
      skippedFiles: source.size,
      uploadedFiles: 0,
      failedFiles: 0,
    });
    expect(fx.graph.server.requests.filter((r) => r.path.startsWith('/dl/')).length).toBe(downloadsBefore);
    expect(await d.backup.runs.getFile(again.accepted.runId as string, BIG)).toMatchObject({
      status: 'skipped',
      reason: 'identical',
    });
    await expectByteIdentical(target);
  }, 120_000);

  it('restores from OneDrive alone (fresh tables: no job, manifest or runs) through POST connections/{id}/restore', async () => {
    expect(cleanJob).toBeDefined(); // the first test's backup is the only thing left
    const d = await deployment();
    expect((await d.restore.manifest.page(cleanJob!.id, undefined, 1)).entries).toEqual([]);
    expect(await d.backup.jobs.get(cleanJob!.id)).toBeUndefined();

    const target = uniqueName('dr');
    const { accepted, run } = await restoreThrough(d, () =>
      restoreFromConnection(
        d.api,
        CONNECTION,
        request({ targetContainer: target, folderPath: cleanJob!.destinationFolder }),
      ),
    );
    expect(accepted).toMatchObject({
      source: 'drive',
      folder: `${ROOT_FOLDER}/${cleanJob!.destinationFolder}`,
    });
    expect(run).toMatchObject({
      kind: 'restore',
      jobId: `connection-${CONNECTION}`,
      status: 'succeeded',
      failures: [],
    });
    expectTotals(run.totals, { plannedFiles: source.size, uploadedFiles: source.size, failedFiles: 0 });
    expect(d.queues.poisoned).toEqual([]);
    await expectByteIdentical(target);
  }, 120_000);

  it('is byte-identical with throttling, 503s, resets and a lost session injected on both legs', async () => {
    // A tight restore budget: a Retry-After of 1 s does not fit, so files (BIG mid-way) hand over
    // to a continuation and the next invocation resumes from the blocks already staged.
    const d = await deployment({ restoreBudgetSeconds: 0.5 });
    const container = await fillSourceContainer();
    const job = await createJob(d, container);
    const faults = fx.graph.server.faults;

    // ---- backup leg ----
    // Simple uploads: throttled twice (Retry-After 1), then one whose file lands but whose answer
    // is cut (the retry must replace it, not add "name 1.txt"); a session creation throttled too.
    faults.failNext(429, { method: 'PUT', path: '/content$', retryAfterSeconds: 1, count: 2 });
    faults.add({ kind: 'reset-response', method: 'PUT', path: '/content$', afterBytes: 10 });
    faults.failNext(429, { method: 'POST', path: '/createUploadSession$', retryAfterSeconds: 1 });
    // BIG, mid-file: chunk 3 is reset after 2 MiB of its body, then answered 503 (Retry-After 1).
    const bigUpload = new AimedFaults(isTaskFor(QUEUES.upload, BIG), [
      passThrough(2, UPLOAD_HOST),
      { kind: 'reset-request', afterBytes: 2 * MiB, ...UPLOAD_HOST },
      { kind: 'status', status: 503, retryAfterSeconds: 1, ...UPLOAD_HOST },
    ]);
    // MEDIUM: its session vanishes after the first chunk (404): a new session, and no second file.
    const mediumUpload = new AimedFaults(isTaskFor(QUEUES.upload, MEDIUM), [
      passThrough(1, UPLOAD_HOST),
      { kind: 'status', status: 404, ...UPLOAD_HOST },
    ]);
    await backUp(d, job, allHooks(bigUpload.hooks, mediumUpload.hooks));
    expectEveryFaultInjected();
    expect([...bigUpload.unused(), ...mediumUpload.unused()]).toEqual([]);
    expect(d.backupClock.sleeps).toContain(1000); // Retry-After obeyed
    expectDriveHoldsExactlyTheSource(job);
    faults.clear();

    await container.delete();

    // ---- restore leg ----
    // Item reads: throttled twice (Retry-After 1, over the budget: the task continues later), and
    // a 503 once.
    faults.failNext(429, { method: 'GET', path: '/items/[^/]+$', retryAfterSeconds: 1, count: 2 });
    faults.failNext(503, { method: 'GET', path: '/items/[^/]+$' });
    // BIG, mid-file: a range cut after 1 MiB of its body, a reset before any answer, a 503 with
    // Retry-After 1 (over the budget: a continuation), then an expired link (404: a fresh one).
    const bigDownload = new AimedFaults(isTaskFor(QUEUES.restore, BIG), [
      passThrough(2, DOWNLOAD_HOST),
      { kind: 'reset-response', afterBytes: MiB, ...DOWNLOAD_HOST },
      { kind: 'reset-request', ...DOWNLOAD_HOST },
      { kind: 'status', status: 503, retryAfterSeconds: 1, ...DOWNLOAD_HOST },
      passThrough(1, DOWNLOAD_HOST),
      { kind: 'status', status: 404, ...DOWNLOAD_HOST },
    ]);
    const resumedAt: number[] = [];
    const target = uniqueName('faulty');
    const { run } = await restoreThrough(
      d,
      () => restoreJob(d.api, job.id, request({ targetContainer: target })),
      allHooks(bigDownload.hooks, {
        before: ({ message }) => {
          const task = message as RestoreMessage;
          if (task.kind === 'file' && task.blobName === BIG && task.continuation)
            resumedAt.push(task.continuation.nextOffset);
        },
      }),
    );
    expectEveryFaultInjected();
    expect(bigDownload.unused()).toEqual([]);
    // BIG was interrupted mid-file and resumed from its staged blocks, not from byte 0.
    expect(resumedAt.some((offset) => offset > 0)).toBe(true);
    expect(run).toMatchObject({ status: 'succeeded', failures: [] });
    expectTotals(run.totals, { plannedFiles: source.size, uploadedFiles: source.size, failedFiles: 0 });
    expect(d.queues.poisoned).toEqual([]);
    await expectByteIdentical(target);
    expectDriveHoldsExactlyTheSource(job);
  }, 120_000);
});
