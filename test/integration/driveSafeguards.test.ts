// What a run does when the drive or the service pushes back, through the product's real handlers
// against Azurite and the Graph emulator (a OneDrive for Business drive, which rewrites Office
// documents as SharePoint does):
//   - Office documents: stored under a suffix by default and restored byte for byte; with
//     officeFiles: native, stored under their own name and recorded as rewritten by SharePoint;
//   - quota: a run that cannot fit fails before any upload, with the numbers and an alert; a 507
//     during a run stops the uploads that remain;
//   - permanent errors (a missing container, a revoked consent, a missing snapshot) end the run at
//     its first delivery with the reason on the run record;
//   - throttling: a 429 on one upload holds the connection's other uploads too, and the run's
//     figures count it.
import { LOCAL_BLOB_ENDPOINTS, localAdmin } from '../helpers/blobEndpoints';
import { APP_FOLDER_NAME } from '../../src/graph/names';
import type { ContainerClient } from '@azure/storage-blob';
import { BlobServiceClient } from '@azure/storage-blob';
import { QUEUES } from '../../src/app/queues';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps, QuotaAlert } from '../../src/backup/deps';
import { handlePlanMessage } from '../../src/backup/planner';
import { startRun } from '../../src/backup/scheduler';
import { uploadFile } from '../../src/backup/upload';
import { SharedBackoff } from '../../src/graph/backoff';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import { restoreJob, type RestoreApiDeps } from '../../src/restore/api';
import type { RestoreDeps } from '../../src/restore/deps';
import { tableListingLedger } from '../../src/restore/listing/ledger';
import type { RestoreMessage } from '../../src/restore/messages';
import { runStoreRecorder } from '../../src/restore/runRecorder';
import { blockBlobTarget } from '../../src/restore/target/blockBlobTarget';
import { handleRestoreMessage } from '../../src/restore/worker';
import { ManualClock, type Clock } from '../../src/runtime/clock';
import { DEFAULT_RETRY_POLICY } from '../../src/runtime/retry';
import { createLogger, setLogSink } from '../../src/log/logger';
import type { HttpRequestLike } from '../../src/http/types';
import type { TableClient } from '@azure/data-tables';
import { JobStore, type Job } from '../../src/store/jobs';
import { ManifestStore } from '../../src/store/manifest';
import { RunStore, type Run } from '../../src/store/runs';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import {
  azuriteTable,
  backupDeps,
  content,
  createBackupJob,
  deliverAll,
  memoryQueue,
  MiB,
  newContainer,
  putBlob,
  useGraph,
  uploadOptions,
  type GraphFixture,
  type QueuedMessage,
  singleFileTasks,
} from './backupHarness';

const ROOT = 'Apps/Backup';
let fx: GraphFixture;

useGraph('work', (started) => (fx = started));

interface World {
  deps: BackupDeps;
  clock: ManualClock;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
  admin: AdminDeps;
  alerts: QuotaAlert[];
  manifestTable: TableClient;
}

async function world(jobInput: Record<string, unknown> = {}): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.now());
  const { queue, send } = memoryQueue();
  const alerts: QuotaAlert[] = [];
  const manifestTable = azuriteTable('manifest');
  const stores = {
    jobs: new JobStore(azuriteTable('jobs')),
    runs: new RunStore(
      { runs: azuriteTable('runs'), progress: azuriteTable('prog'), files: azuriteTable('files') },
      () => new Date(clock.now()),
    ),
    manifest: new ManifestStore(manifestTable),
  };
  const deps: BackupDeps = {
    ...backupDeps({ fx, clock, send, stores, rootFolder: ROOT, plannerPageSize: 50, logName: 'safeguards' }),
    backoff: new SharedBackoff(),
    onQuotaAlert: async (alert) => void alerts.push(alert),
  };
  const job = await createBackupJob(
    deps,
    { name: 'guarded', container: container.containerName, now: new Date(clock.now()) },
    jobInput,
  );
  return {
    deps,
    clock,
    queue,
    container,
    job,
    admin: localAdmin(deps),
    alerts,
    manifestTable,
  };
}

async function runOnce(w: World): Promise<Run & Record<string, unknown>> {
  const started = await startRun(w.deps, w.job.id, 'manual');
  await deliverAll(w.deps, w.queue);
  return shownRun(w, started.id);
}

async function shownRun(w: World, runId: string): Promise<Run & Record<string, unknown>> {
  const shown = await jobsApi.run(w.admin, runId);
  expect(shown.status).toBe(200);
  return shown.body as Run & Record<string, unknown>;
}

const auth = (): Record<string, string> => ({ authorization: `Bearer ${fx.token}` });

/** The drive's file under the job's folder, by its stored (encoded) name. */
async function driveChildren(folder: string): Promise<Array<{ name: string; id: string; size: number }>> {
  const path = `${ROOT}/${folder}`.split('/').map(encodeURIComponent).join('/');
  const res = await fetch(`${fx.apiBaseUrl}/drives/${fx.driveId}/root:/${path}:/children`, {
    headers: auth(),
  });
  expect(res.status).toBe(200);
  // The app's own folder (the run index) is not a backed-up file.
  return ((await res.json()) as { value: Array<{ name: string; id: string; size: number }> }).value.filter(
    (item) => item.name !== APP_FOLDER_NAME,
  );
}

async function driveBytes(itemId: string): Promise<Buffer> {
  const res = await fetch(`${fx.apiBaseUrl}/drives/${fx.driveId}/items/${itemId}/content`, {
    headers: auth(),
  });
  return Buffer.from(await res.arrayBuffer());
}

async function quota(): Promise<{ used: number; remaining: number; total: number }> {
  const res = await fetch(`${fx.apiBaseUrl}/drives/${fx.driveId}`, { headers: auth() });
  return ((await res.json()) as { quota: { used: number; remaining: number; total: number } }).quota;
}

const hashOf = (data: Buffer): string => new QuickXorHash().update(data).digest();

// ---- restore, for the Office round trips ----

function restoreWorld(w: World): { api: RestoreApiDeps; queue: RestoreMessage[]; restore: RestoreDeps } {
  const queue: RestoreMessage[] = [];
  const blobs = BlobServiceClient.fromConnectionString(azuriteConnectionString());
  const restore: RestoreDeps = {
    runs: runStoreRecorder(w.deps.runs, () => new Date(w.clock.now())),
    ledger: tableListingLedger(azuriteTable('listings')),
    manifest: new ManifestStore(w.manifestTable),
    drive: async () => ({
      graphBaseUrl: fx.apiBaseUrl,
      driveId: fx.driveId,
      rootFolder: ROOT,
      driveType: 'business',
      tokens: fx.tokens,
    }),
    target: (spec, blobName) => blockBlobTarget(blobs.getContainerClient(spec.targetContainer), blobName),
    ensureContainer: async (spec) =>
      void (await blobs.getContainerClient(spec.targetContainer).createIfNotExists()),
    send: async (message) => void queue.push(JSON.parse(JSON.stringify(message)) as RestoreMessage),
    settings: {
      blockSize: 4 * MiB,
      invocationBudgetSeconds: 600,
      requestTimeoutMs: 60_000,
      manifestPageSize: 50,
      sendConcurrency: 2,
    },
    clock: w.clock,
    retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
    log: createLogger({ test: 'safeguards-restore' }),
  };
  return {
    api: { restore, job: (id) => w.deps.jobs.require(id), blobEndpoints: LOCAL_BLOB_ENDPOINTS },
    queue,
    restore,
  };
}

function restoreRequest(body: unknown): HttpRequestLike {
  return {
    method: 'POST',
    url: 'http://localhost/api/jobs/x/restore',
    params: {},
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

async function restoreInto(
  w: World,
  body: Record<string, unknown>,
): Promise<{ run: Run & Record<string, unknown>; target: ContainerClient; deliveries: number }> {
  const r = restoreWorld(w);
  const targetContainer = uniqueName('restored');
  const started = await restoreJob(r.api, w.job.id, restoreRequest({ targetContainer, ...body }));
  expect(started.status).toBe(202);
  let deliveries = 0;
  while (r.queue.length) {
    deliveries += 1;
    await handleRestoreMessage(r.restore, r.queue.shift());
  }
  const run = await shownRun(w, (started.body as { runId: string }).runId);
  const target =
    BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(targetContainer);
  return { run, target, deliveries };
}

// ---- Office documents ----

describe('Office documents on a business drive (SharePoint rewrites them after upload)', () => {
  it('by default keeps them under a suffix SharePoint leaves alone: verified, stored and restored byte for byte', async () => {
    const w = await world();
    expect(w.job.officeFiles).toBe('exact');
    const small = content(3000);
    const large = content(5 * MiB + 123); // an upload session
    await putBlob(w.container, 'docs/report.docx', small);
    await putBlob(w.container, 'docs/deck.pptx', large);
    await putBlob(w.container, 'docs/notes.txt', small);

    const run = await runOnce(w);
    expect(run).toMatchObject({ status: 'succeeded', failures: [], rewritten: [] });

    const stored = await driveChildren(`${w.job.destinationFolder}/docs`);
    expect(stored.map((i) => i.name).sort()).toEqual(['deck.pptx\u201B', 'notes.txt', 'report.docx\u201B']);
    const byName = new Map(stored.map((i) => [i.name, i]));
    expect(await driveBytes(byName.get('report.docx\u201B')!.id)).toEqual(small);
    expect(hashOf(await driveBytes(byName.get('deck.pptx\u201B')!.id))).toBe(hashOf(large));

    const { run: restored, target } = await restoreInto(w, {});
    expect(restored).toMatchObject({ status: 'succeeded', failures: [] });
    expect(await target.getBlobClient('docs/report.docx').downloadToBuffer()).toEqual(small);
    expect(hashOf(await target.getBlobClient('docs/deck.pptx').downloadToBuffer())).toBe(hashOf(large));
  });

  it('with officeFiles: native keeps their own name, succeeds, and records them as rewritten by SharePoint', async () => {
    const w = await world({ officeFiles: 'native' });
    const sent = content(4000);
    await putBlob(w.container, 'report.docx', sent);

    const run = await runOnce(w);
    expect(run.status).toBe('succeeded');
    const [item] = await driveChildren(w.job.destinationFolder);
    expect(item.name).toBe('report.docx');
    expect(item.size).not.toBe(sent.length);
    const file = await w.deps.runs.getFile(run.id, 'report.docx');
    expect(file).toMatchObject({ status: 'uploaded', rewritten: true });
    expect(file!.reason).toContain('Rewritten by SharePoint');
    expect(file!.reason).toContain(`${item.size} bytes`);
    expect(run.rewritten).toEqual([{ file: 'report.docx', reason: file!.reason }]);
    const entry = await w.deps.manifest.get(w.job.id, 'report.docx');
    expect(entry).toMatchObject({ rewritten: true, driveSize: item.size, size: sent.length });

    // The restore brings back the library's bytes, verified against its hash, and says so.
    const { run: restored, target } = await restoreInto(w, {});
    expect(restored.status).toBe('succeeded');
    const back = await target.getBlobClient('report.docx').downloadToBuffer();
    expect(back).toEqual(await driveBytes(item.id));
    const restoredFile = await w.deps.runs.getFile(restored.id, 'report.docx');
    expect(restoredFile).toMatchObject({ status: 'uploaded', rewritten: true });
    expect(restoredFile!.reason).toContain('rewritten copy');
  });
});

// ---- quota ----

describe('drive quota', () => {
  afterEach(() => fx.graph.setQuota(fx.driveId, 1024 * 1024 * 1024 * 1024));

  it('fails a run whose planned bytes do not fit before any upload, with the numbers and an alert', async () => {
    const w = await world();
    for (const name of ['a.bin', 'b.bin', 'c.bin']) await putBlob(w.container, name, content(2000));
    const { used } = await quota();
    fx.graph.setQuota(fx.driveId, used + 5000);

    const started = await startRun(w.deps, w.job.id, 'manual');
    const before = fx.graph.server.requests.length;
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    expect(w.queue).toEqual([]); // no upload was queued
    expect(fx.graph.server.requests.slice(before).filter((r) => r.method === 'PUT')).toEqual([]);

    const run = await shownRun(w, started.id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'QuotaExceeded' });
    expect(run.error).toContain('6000 bytes');
    expect(run.error).toContain('5000 bytes');
    expect(run.quota).toMatchObject({ neededBytes: 6000, remaining: 5000, state: expect.any(String) });
    expect(w.alerts).toEqual([
      expect.objectContaining({
        jobId: w.job.id,
        runId: started.id,
        neededBytes: 6000,
        remainingBytes: 5000,
      }),
    ]);
  });

  it('a run the planner stops keeps its failure even when marking it running was slow', async () => {
    const w = await world();
    await putBlob(w.container, 'a.bin', content(2000));
    fx.graph.setQuota(fx.driveId, (await quota()).used + 1000);
    // The mark is sent while the page is listed; here it is still on its way when the quota check fails.
    const update = w.deps.runs.update.bind(w.deps.runs);
    w.deps.runs.update = async (jobId, runId, patch, etag) => {
      if (patch.status === 'running') await new Promise((resolve) => setTimeout(resolve, 300));
      return update(jobId, runId, patch, etag);
    };
    const started = await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await shownRun(w, started.id)).toMatchObject({ status: 'failed', errorCode: 'QuotaExceeded' });
  });

  it('stops the remaining uploads of a run when the drive fills up during it (507)', async () => {
    const w = await world();
    for (const name of ['a.bin', 'b.bin', 'c.bin']) await putBlob(w.container, name, content(2000));
    const started = await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    // One task per file, delivered in turn (a batch would send its files at once).
    const tasks = singleFileTasks(w.queue.splice(0));
    expect(tasks.filter((m) => m.queue === QUEUES.upload)).toHaveLength(3);
    // Something else fills the drive after planning: room for one file only.
    fx.graph.setQuota(fx.driveId, (await quota()).used + 2500);

    const before = fx.graph.server.requests.length;
    await deliverAll(w.deps, tasks);
    const puts = fx.graph.server.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.status)).toEqual([201, 507]); // the third file was never sent

    const run = await shownRun(w, started.id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'QuotaExceeded' });
    expect(run.error).toContain('out of space');
    expect(run.quota).toMatchObject({ state: 'exceeded' });
    expect(w.alerts).toHaveLength(1);
  });
});

// ---- permanent errors fail fast ----

describe('permanent errors end the run at their first delivery, with the reason', () => {
  it('a job whose container does not exist', async () => {
    const w = await world();
    const gone = { ...w.job, id: uniqueName('job'), source: { container: uniqueName('gone') } };
    await w.deps.jobs.create(gone);
    const started = await startRun(w.deps, gone.id, 'manual');
    // One delivery: the handler does not throw (no retry, no poison queue) and the run is over.
    await expect(handlePlanMessage(w.deps, w.queue.shift()!.message)).resolves.toBeUndefined();
    const run = await shownRun(w, started.id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'NotFound' });
    expect(run.error).toContain(`container "${gone.source.container}" was not found`);
    expect(run.advice).toContain('Check the job source');
    expect(run.error).not.toContain('poison');
    // And the jobs API refuses such a source up front.
    const created = await jobsApi.create(w.admin, {
      method: 'POST',
      url: '/api/jobs',
      params: {},
      query: new URLSearchParams(),
      headers: {},
      body: JSON.stringify({
        name: 'x',
        connectionId: 'conn-1',
        source: { container: gone.source.container },
        destinationFolder: 'x',
        schedule: '0 0 2 * * *',
      }),
    });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({
      error: { field: 'source.container', message: expect.stringContaining('does not exist') },
    });
  });

  it('a run stopped for a missing container keeps its failure even when marking it running was slow', async () => {
    const w = await world();
    const gone = { ...w.job, id: uniqueName('job'), source: { container: uniqueName('gone') } };
    await w.deps.jobs.create(gone);
    const update = w.deps.runs.update.bind(w.deps.runs);
    w.deps.runs.update = async (jobId, runId, patch, etag) => {
      if (patch.status === 'running') await new Promise((resolve) => setTimeout(resolve, 300));
      return update(jobId, runId, patch, etag);
    };
    const started = await startRun(w.deps, gone.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await shownRun(w, started.id)).toMatchObject({ status: 'failed', errorCode: 'NotFound' });
  });

  it('a consent that was revoked (403) stops the run instead of retrying every file', async () => {
    const w = await world();
    for (const name of ['a.bin', 'b.bin']) await putBlob(w.container, name, content(1000));
    await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    w.queue.splice(0, w.queue.length, ...singleFileTasks(w.queue));
    fx.graph.server.faults.add({
      kind: 'status',
      method: 'PUT',
      path: '/content',
      status: 403,
      code: 'accessDenied',
    });
    const started = (await w.deps.runs.listForJob(w.job.id))[0];
    const before = fx.graph.server.requests.length;
    await deliverAll(w.deps, w.queue); // throws if any delivery asked for a retry
    expect(fx.graph.server.requests.slice(before).filter((r) => r.method === 'PUT')).toHaveLength(1);
    const run = await shownRun(w, started.id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ConsentRequired' });
    expect(run.advice).toContain('admin consent');
  });

  it('a batch of small files starts no more of its files once one meets a revoked consent', async () => {
    const w = await world();
    const names = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, '0')}.bin`);
    for (const name of names) await putBlob(w.container, name, content(1000));
    fx.graph.server.faults.add({
      kind: 'status',
      method: 'PUT',
      path: '/content',
      status: 403,
      code: 'accessDenied',
    });
    const started = await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    expect(w.queue).toHaveLength(1); // one batch task for the thirty files
    const before = fx.graph.server.requests.length;
    await deliverAll(w.deps, w.queue);
    // Those already on the wire when the first answer came back, not thirty.
    const puts = fx.graph.server.requests.slice(before).filter((r) => r.method === 'PUT').length;
    expect(puts).toBeGreaterThanOrEqual(1);
    expect(puts).toBeLessThanOrEqual(8);
    const run = await shownRun(w, started.id);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ConsentRequired' });
    expect(run.advice).toContain('admin consent');
  });

  it('a restore from a snapshot that does not exist', async () => {
    const w = await world({ mode: 'snapshot' });
    await putBlob(w.container, 'a.bin', content(100));
    expect((await runOnce(w)).status).toBe('succeeded');
    const { run, deliveries } = await restoreInto(w, { snapshot: '2001-01-01T00-00-00Z' });
    expect(deliveries).toBe(1);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'NotFound' });
    expect(run.error).toContain('No snapshot folder "2001-01-01T00-00-00Z"');
    expect(run.advice).toContain('Snapshots found');
  });
});

// ---- throttling ----

/** The real clock, recording each wait (Retry-After is in whole seconds, so a test waits ~1 s). */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    sleep: (ms) => {
      sleeps.push(ms);
      return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
    },
  };
}

describe('throttling (429 with Retry-After)', () => {
  it("holds the connection's other uploads while one of them waits out a 429", async () => {
    const folder = uniqueName('throttle');
    fx.graph.server.faults.add({
      kind: 'status',
      method: 'PUT',
      path: `${folder}/first`,
      status: 429,
      retryAfterSeconds: 1,
    });
    const gate = new SharedBackoff();
    const clock = recordingClock();
    const upload = (name: string, key: string) =>
      uploadFile(
        {
          target: { apiBaseUrl: fx.apiBaseUrl, driveId: fx.driveId, encodedPath: `${folder}/${name}` },
          size: 1000,
          read: async () => Buffer.alloc(1000, 7),
          tokens: fx.tokens,
        },
        uploadOptions({ clock: clock as unknown as ManualClock, backoff: { gate, key } }),
      );
    // The second upload starts once the first has been told to wait (its retry is logged): the
    // gate, not timing luck, must hold it back.
    let throttled!: () => void;
    const told = new Promise<void>((resolve) => (throttled = resolve));
    const quiet = setLogSink((line) => {
      if (line.includes('"graph.retry"')) throttled();
    });
    const first = upload('first', 'conn-1');
    await told;
    setLogSink(quiet);
    const throttledAt = fx.graph.server.requests.find((r) => r.path.includes(`${folder}/first`))!.at;
    const secondStartedAt = Date.now();
    const [a, b, c] = await Promise.all([first, upload('second', 'conn-1'), upload('elsewhere', 'conn-2')]);

    expect(a.stats).toMatchObject({ throttles: 1 });
    expect(b.stats.throttles).toBe(0);
    // The second upload waited out what was left of the first's Retry-After when it started (a
    // bound from the observed times, not a fixed share of the second: a loaded machine starts it
    // later, and then it has less left to wait).
    expect(b.stats.throttledMs).toBeGreaterThanOrEqual(throttledAt + 1000 - secondStartedAt - 20);
    const secondSent = fx.graph.server.requests.find((r) => r.path.includes(`${folder}/second`))!.at;
    expect(secondSent - throttledAt).toBeGreaterThanOrEqual(900);
    // Another connection's upload is not held.
    expect(c.stats.throttledMs).toBe(0);
  });

  it("counts the run's throttling in its figures", async () => {
    const w = await world();
    await putBlob(w.container, 'slow.bin', content(1000));
    await putBlob(w.container, 'fast.bin', content(1000));
    fx.graph.server.faults.add({
      kind: 'status',
      method: 'PUT',
      path: 'slow.bin',
      status: 429,
      retryAfterSeconds: 3,
    });
    const run = await runOnce(w);
    expect(run.status).toBe('succeeded');
    expect(run.totals).toMatchObject({ throttles: 1 });
    expect(run.totals!.throttledMs).toBeGreaterThanOrEqual(3000);
  });
});

describe('changing where a job writes', () => {
  const patch = (w: World, body: unknown) =>
    jobsApi.update(w.admin, w.job.id, {
      method: 'PATCH',
      url: `/api/jobs/${w.job.id}`,
      params: { id: w.job.id },
      query: new URLSearchParams(),
      headers: {},
      body: JSON.stringify(body),
    });
  /** The change, a second after the last run (the test clock stands still otherwise). */
  const move = async (w: World, body: unknown) => {
    w.clock.advance(1000);
    const answer = await patch(w, body);
    w.clock.advance(1000);
    return answer;
  };

  it('a new destination folder gets every file at the next run, not only the changed ones', async () => {
    const w = await world();
    const data = { 'a.txt': content(10), 'dir/b.bin': content(2000), 'c.csv': content(30) };
    for (const [name, bytes] of Object.entries(data)) await putBlob(w.container, name, bytes);
    expect((await runOnce(w)).totals).toMatchObject({ uploadedFiles: 3 });
    const before = w.job.destinationFolder;

    expect((await move(w, { destinationFolder: `${before}-moved` })).status).toBe(200);
    const moved = await runOnce(w);
    expect(moved.status).toBe('succeeded');
    expect(moved.totals).toMatchObject({ uploadedFiles: 3, skippedFiles: 0 });
    expect((await driveChildren(`${before}-moved`)).map((c) => c.name).sort()).toEqual([
      'a.txt',
      'c.csv',
      'dir',
    ]);
    const [b] = await driveChildren(`${before}-moved/dir`);
    expect((await driveBytes(b.id)).equals(data['dir/b.bin'])).toBe(true);
    // The old folder keeps its copies, and the next run finds everything unchanged again.
    expect((await driveChildren(before)).map((c) => c.name).sort()).toEqual(['a.txt', 'c.csv', 'dir']);
    expect((await runOnce(w)).totals).toMatchObject({ uploadedFiles: 0, skippedFiles: 3 });
  });

  it("a deletion at the source after the move leaves the old folder's copy alone", async () => {
    const w = await world({ propagateDeletes: true });
    await putBlob(w.container, 'keep.txt', content(5));
    await putBlob(w.container, 'gone.txt', content(6));
    expect((await runOnce(w)).totals).toMatchObject({ uploadedFiles: 2 });
    const before = w.job.destinationFolder;
    expect((await move(w, { destinationFolder: `${before}-moved` })).status).toBe(200);
    await w.container.deleteBlob('gone.txt');
    const moved = await runOnce(w);
    expect(moved.status).toBe('succeeded');
    expect((await driveChildren(`${before}-moved`)).map((c) => c.name)).toEqual(['keep.txt']);
    // The job no longer writes there: what it left in the old folder is the person's to keep.
    expect((await driveChildren(before)).map((c) => c.name).sort()).toEqual(['gone.txt', 'keep.txt']);
  });
});
