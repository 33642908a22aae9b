// A backup is lossless: what a blob is besides its bytes (the five HTTP properties and the content
// type, user metadata, index tags) comes back on restore, from a job and from OneDrive alone, and
// OneDrive shows each file with the source's last-modified date. Every step runs through the real
// handlers (scheduler → planner → uploader → completion; the restore API → restorer) against
// Azurite and the Graph emulator, as the round trip does. The run index in the drive is what makes
// it possible without the manifest; the tests read it, delete a file behind its back, add one it
// does not know, and see the restore report both.
import { LOCAL_BLOB_ENDPOINTS, localAdmin } from '../helpers/blobEndpoints';
import { gunzipSync } from 'node:zlib';
import type { BlobHTTPHeaders, ContainerClient } from '@azure/storage-blob';
import { QUEUES } from '../../src/app/queues';
import { jobsApi, type AdminDeps } from '../../src/backup/admin';
import type { BackupDeps } from '../../src/backup/deps';
import { handlePlanMessage } from '../../src/backup/planner';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { graphPath } from '../../src/graph/names';
import { parseRunIndexLine, RUN_INDEX_FOLDER, type RunIndexFile } from '../../src/graph/runIndex';
import type { HttpResult } from '../../src/http/types';
import { restoreFromConnection, restoreJob, type RestoreApiDeps } from '../../src/restore/api';
import type { RestoreReport } from '../../src/restore/index/report';
import { HASH_METADATA_KEY } from '../../src/restore/target/blockBlobTarget';
import { handleRestoreMessage } from '../../src/restore/worker';
import { ManualClock } from '../../src/runtime/clock';
import { JobStore, type Job } from '../../src/store/jobs';
import { ManifestStore } from '../../src/store/manifest';
import { RunStore, type Run } from '../../src/store/runs';
import { uniqueName } from '../helpers/azurite';
import {
  backupDeps,
  content,
  createBackupJob,
  MiB,
  newTable,
  useGraph,
  UNIT,
  type GraphFixture,
} from './backupHarness';
import { containerClient, restoreDeps, restoreRequest } from './restoreWorld';

const ROOT_FOLDER = 'Apps/Lossless';
const CONNECTION = 'conn-1';

interface BlobSpec {
  size: number;
  headers?: BlobHTTPHeaders;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
}

/** Every property set, metadata keys and tag keys of every awkward kind, on both upload paths. */
const CORPUS: Record<string, BlobSpec> = {
  'docs/report.html': {
    size: 1000,
    headers: {
      blobContentType: 'text/html; charset=utf-8',
      blobContentEncoding: 'identity',
      blobContentLanguage: 'de-CH',
      blobCacheControl: 'max-age=3600, must-revalidate',
      blobContentDisposition: 'attachment; filename="Bericht 2026.html"',
    },
    metadata: {
      MixedCase: 'Value With Spaces',
      lowercase: 'x',
      emptyvalue: '',
      // Metadata travels in HTTP headers, so Blob storage takes ASCII only: unicode text is stored
      // percent-encoded by whoever writes it, and must come back exactly so.
      unicode: encodeURIComponent('Zürich – 日本 😀'),
      // (HTTP trims a header value's edges, so Blob storage cannot keep edge spaces either.)
      punctuation: 'inner  spaces, "quotes", ;,=&?%+ and a tab\there',
      long: 'L'.repeat(4000),
    },
    tags: { Project: 'Lossless', env: 'prod-1', 'a.b/c:d=e_f+g': 'x y/z:1=2_3+4', empty: '' },
  },
  // Over the simple-upload limit: an upload session, with its date in the session's item.
  'big/session.bin': {
    size: 5 * MiB + 3,
    headers: { blobContentType: 'application/x-custom', blobCacheControl: 'no-cache' },
    metadata: { Owner: 'Team-A' },
    tags: { Retain: '7y' },
  },
  'empty.txt': { size: 0, headers: { blobContentType: 'text/plain' }, metadata: { Zero: 'bytes' } },
  'plain/no facts.bin': { size: 10 },
  // A user blob under the app's own folder name: backed up under an encoded name, restored as it was.
  '.azure-onedrive-backup/runs/mine.jsonl': { size: 5, metadata: { kind: 'user' } },
};

let fx: GraphFixture;
const bytes = new Map<string, Buffer>();

interface Deployment {
  clock: ManualClock;
  backup: BackupDeps;
  api: RestoreApiDeps;
  admin: AdminDeps;
  drain(): Promise<void>;
}

/** One deployment over fresh tables (a fresh one is a deployment that lost everything but OneDrive). */
async function deployment(): Promise<Deployment> {
  const [jobs, runsTable, progress, files, manifest, listings, index] = await Promise.all(
    ['jobs', 'runs', 'prog', 'files', 'manifest', 'listings', 'index'].map(newTable),
  );
  const clock = new ManualClock(Date.now());
  const runs = new RunStore({ runs: runsTable, progress, files }, () => new Date(clock.now()));
  const queue: Array<{ queue: string; message: unknown }> = [];
  const send = async (name: string, message: unknown): Promise<void> =>
    void queue.push({ queue: name, message: JSON.parse(JSON.stringify(message)) });
  const backup = backupDeps({
    fx,
    clock,
    stores: { jobs: new JobStore(jobs), runs, manifest: new ManifestStore(manifest) },
    send,
    rootFolder: ROOT_FOLDER,
    plannerPageSize: 2,
    logName: 'lossless-backup',
  });
  const restore = restoreDeps({
    fx,
    runs,
    tables: { listings, manifest, index },
    clock,
    send,
    rootFolder: ROOT_FOLDER,
    logName: 'lossless-restore',
    settings: { blockSize: 4 * MiB, manifestPageSize: 2 },
  });
  // No faults here: a handler that throws is a failure of the test, not a redelivery.
  const drain = async (): Promise<void> => {
    while (queue.length) {
      const { queue: name, message } = queue.shift()!;
      if (name === QUEUES.plan) await handlePlanMessage(backup, message);
      else if (name === QUEUES.upload) await handleUploadMessage(backup, message);
      else await handleRestoreMessage(restore, message);
    }
  };
  return {
    clock,
    backup,
    api: { restore, job: (id) => backup.jobs.require(id), blobEndpoints: LOCAL_BLOB_ENDPOINTS },
    admin: localAdmin(backup),
    drain,
  };
}

async function fillSource(): Promise<ContainerClient> {
  const container = containerClient(uniqueName('src'));
  await container.create();
  for (const [name, spec] of Object.entries(CORPUS)) {
    const blob = container.getBlockBlobClient(name);
    await blob.uploadData(bytes.get(name)!, {
      blobHTTPHeaders: spec.headers,
      metadata: spec.metadata,
      tags: spec.tags,
    });
  }
  return container;
}

/** What the source says of each blob, read back from the service (the truth restores are held to). */
async function readFacts(container: ContainerClient): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for await (const blob of container.listBlobsFlat({ includeMetadata: true, includeTags: true })) {
    const p = blob.properties;
    out.set(blob.name, {
      contentType: p.contentType,
      contentEncoding: p.contentEncoding,
      contentLanguage: p.contentLanguage,
      cacheControl: p.cacheControl,
      contentDisposition: p.contentDisposition,
      metadata: blob.metadata ?? {},
      tags: blob.tags ?? {},
      lastModified: p.lastModified.toISOString(),
      size: p.contentLength,
    });
  }
  return out;
}

const request = restoreRequest;

async function restoreThrough(
  d: Deployment,
  start: () => Promise<HttpResult>,
): Promise<Run & { report: RestoreReport }> {
  const response = await start();
  expect(response.status).toBe(202);
  await d.drain();
  const shown = await jobsApi.run(d.admin, (response.body as { runId: string }).runId);
  const run = shown.body as Run & { failures: unknown[] };
  expect(run.restoreReport).toBeDefined();
  return { ...run, report: JSON.parse(run.restoreReport!) as RestoreReport };
}

/** The restored container holds the source's blobs with every property, metadata key and tag. */
async function expectLossless(
  target: string,
  truth: Map<string, Record<string, unknown>>,
  names = [...truth.keys()],
  others: string[] = [],
): Promise<void> {
  const restored = await readFacts(containerClient(target));
  expect([...restored.keys()].sort()).toEqual([...names, ...others].sort());
  for (const name of names) {
    const want = truth.get(name)!;
    const got = restored.get(name)!;
    const data = await containerClient(target).getBlobClient(name).downloadToBuffer();
    expect(data.equals(bytes.get(name)!)).toBe(true);
    const { lastModified: _a, metadata: wantMeta, ...wantRest } = want;
    const { lastModified: _b, metadata: gotMeta, ...gotRest } = got;
    expect({ name, ...gotRest }).toEqual({ name, ...wantRest });
    // The verified hash joins the blob's own metadata; nothing of the source's is missing or changed.
    const { [HASH_METADATA_KEY]: hash, ...userMeta } = gotMeta as Record<string, string>;
    expect(hash).toEqual(expect.any(String));
    expect({ name, metadata: userMeta }).toEqual({ name, metadata: wantMeta });
  }
}

async function readIndex(job: Job, runId: string, snapshot?: string): Promise<RunIndexFile[]> {
  const backupFolder = [ROOT_FOLDER, job.destinationFolder, snapshot].filter(Boolean).join('/');
  const folder = `/${backupFolder}/${RUN_INDEX_FOLDER}/`;
  const files = fx.graph.listFiles(fx.driveId).filter((f) => f.path.startsWith(folder));
  const file = files.find((f) => f.path.slice(folder.length).startsWith(runId));
  expect(file).toBeDefined();
  const text = file!.path.endsWith('.gz') ? gunzipSync(file!.content).toString() : file!.content.toString();
  const lines = text.trimEnd().split('\n').map(parseRunIndexLine);
  expect(lines[0]).toMatchObject({ kind: 'header', runId, jobId: job.id });
  return lines.slice(1) as RunIndexFile[];
}

useGraph('work', (started) => (fx = started));
beforeAll(async () => {
  for (const [name, spec] of Object.entries(CORPUS)) bytes.set(name, content(spec.size));
}, 60_000);

describe('a backup keeps what a blob is besides its bytes', () => {
  let job: Job;
  let truth: Map<string, Record<string, unknown>>;
  /** The deployment that made the backup: its manifest lists the files for the job restore. */
  let first: Deployment;

  it('shows the source dates in OneDrive and writes a run index with every property, metadata key and tag', async () => {
    const d = await deployment();
    first = d;
    const container = await fillSource();
    truth = await readFacts(container);
    // The corpus reached Azurite intact: a later difference is the backup's, not the fixture's.
    expect(truth.get('docs/report.html')).toMatchObject({
      metadata: CORPUS['docs/report.html'].metadata,
      tags: CORPUS['docs/report.html'].tags,
    });
    job = await createBackupJob(
      d.backup,
      { name: 'lossless', container: container.containerName, now: new Date() },
      { connectionId: CONNECTION, chunkSizeBytes: 8 * UNIT },
    );
    const patchesBefore = fx.graph.server.count('PATCH', /\/items\//);
    const run = await startRun(d.backup, job.id, 'manual');
    await d.drain();
    const done = (await d.backup.runs.get(job.id, run.id))!.value;
    expect(done).toMatchObject({ status: 'succeeded', totals: { uploadedFiles: 5, failedFiles: 0 } });
    expect(done.index).toContain(`${RUN_INDEX_FOLDER}/${run.id}.jsonl`);

    // The date a person sees in OneDrive is the blob's, on both upload paths.
    const prefix = `/${ROOT_FOLDER}/${job.destinationFolder}/`;
    const inDrive = fx.graph.listFiles(fx.driveId).filter((f) => f.path.startsWith(prefix));
    for (const [name, facts] of truth) {
      const file = inDrive.find(
        (f) => f.content.equals(bytes.get(name)!) && !f.path.includes(`/${RUN_INDEX_FOLDER}/`),
      );
      const shown = (file?.item as { fileSystemInfo?: { lastModifiedDateTime?: string } })?.fileSystemInfo;
      expect({ name, at: Date.parse(shown?.lastModifiedDateTime ?? '') }).toEqual({
        name,
        at: Date.parse(facts.lastModified as string),
      });
    }
    // One PATCH per simple upload (4 files), none for the session upload or the index.
    expect(fx.graph.server.count('PATCH', /\/items\//) - patchesBefore).toBe(4);

    const index = await readIndex(job, run.id);
    expect(index.map((l) => l.name).sort()).toEqual([...truth.keys()].sort());
    const report = index.find((l) => l.name === 'docs/report.html')!;
    expect(report.facts).toEqual({
      properties: {
        contentType: 'text/html; charset=utf-8',
        contentEncoding: 'identity',
        contentLanguage: 'de-CH',
        cacheControl: 'max-age=3600, must-revalidate',
        contentDisposition: 'attachment; filename="Bericht 2026.html"',
      },
      metadata: CORPUS['docs/report.html'].metadata,
      tags: CORPUS['docs/report.html'].tags,
      lastModified: truth.get('docs/report.html')!.lastModified,
    });
    expect(report).toMatchObject({
      size: 1000,
      quickXorHash: expect.any(String),
      contentMd5: expect.any(String),
    });

    // Tags change without a new ETag, so the next run copies nothing yet must index the new tags.
    await container.getBlobClient('big/session.bin').setTags({ Retain: '10y', Reviewed: 'yes' });
    truth = await readFacts(container);
    // A later run: its id sorts before the first's, so the restore takes its index as the newest.
    d.clock.advance(60_000);
    const second = await startRun(d.backup, job.id, 'manual');
    await d.drain();
    const secondDone = (await d.backup.runs.get(job.id, second.id))!.value;
    expect(secondDone).toMatchObject({ status: 'succeeded', totals: { uploadedFiles: 0, skippedFiles: 5 } });
    const secondIndex = await readIndex(job, second.id);
    expect(secondIndex.find((l) => l.name === 'big/session.bin')!.facts!.tags).toEqual({
      Retain: '10y',
      Reviewed: 'yes',
    });
    await container.delete();
  }, 120_000);

  it('restores every property, metadata key and tag through POST jobs/{id}/restore', async () => {
    const d = first;
    const target = uniqueName('lossless');
    const response = () => restoreJob(d.api, job.id, request({ targetContainer: target }));
    const run = await restoreThrough(d, response);
    expect(run).toMatchObject({ status: 'succeeded', kind: 'restore' });
    expect(run.report).toMatchObject({
      index: expect.stringMatching(/\.jsonl$/),
      indexedFiles: truth.size,
      missingFromDrive: { count: 0, first: [] },
      notInIndex: { count: 0, first: [] },
      restoredWithoutProperties: { count: 0, first: [] },
      notRestorable: expect.stringContaining('last-modified'),
    });
    await expectLossless(target, truth);
  }, 120_000);

  it('restores them from OneDrive alone through POST connections/{id}/restore, and reports what the index and the drive disagree on', async () => {
    const d = await deployment();
    const target = uniqueName('dr');
    const run = await restoreThrough(d, () =>
      restoreFromConnection(
        d.api,
        CONNECTION,
        request({ targetContainer: target, folderPath: job.destinationFolder }),
      ),
    );
    expect(run).toMatchObject({ status: 'succeeded', report: { missingFromDrive: { count: 0 } } });
    // Exactly the source's blobs: the index folder itself was not restored as files.
    await expectLossless(target, truth);

    // A file deleted from the drive behind the backup's back, and one the backup never wrote.
    const folder = `${ROOT_FOLDER}/${job.destinationFolder}`;
    const auth = { authorization: `Bearer ${fx.token}` };
    const drive = `${fx.apiBaseUrl}/drives/${fx.driveId}/root:/`;
    const gone = await fetch(`${drive}${graphPath(`${folder}/plain/no facts.bin`)}`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(gone.status).toBe(204);
    const added = await fetch(`${drive}${graphPath(`${folder}/stranger.txt`)}:/content`, {
      method: 'PUT',
      headers: auth,
      body: 'not from a backup',
    });
    expect(added.ok).toBe(true);
    bytes.set('stranger.txt', Buffer.from('not from a backup'));

    const again = uniqueName('dr');
    const second = await restoreThrough(d, () =>
      restoreFromConnection(
        d.api,
        CONNECTION,
        request({ targetContainer: again, folderPath: job.destinationFolder }),
      ),
    );
    // The index promised a file the drive no longer holds: not a success, and named.
    expect(second.status).toBe('partially-failed');
    expect(second.report).toMatchObject({
      missingFromDrive: { count: 1, first: ['plain/no facts.bin'] },
      notInIndex: { count: 1, first: ['stranger.txt'] },
    });
    const names = [...truth.keys()].filter((n) => n !== 'plain/no facts.bin');
    await expectLossless(again, truth, names, ['stranger.txt']);
  }, 120_000);

  it("keeps a snapshot's index in its snapshot folder and restores its facts from there", async () => {
    const d = await deployment();
    const container = await fillSource();
    const snapshotTruth = await readFacts(container);
    const snapshotJob = await createBackupJob(
      d.backup,
      { name: 'lossless snapshots', container: container.containerName, now: new Date() },
      { connectionId: CONNECTION, mode: 'snapshot', retention: { keepLast: 2 } },
    );
    const run = await startRun(d.backup, snapshotJob.id, 'manual');
    await d.drain();
    const done = (await d.backup.runs.get(snapshotJob.id, run.id))!.value;
    expect(done).toMatchObject({ status: 'succeeded', totals: { uploadedFiles: snapshotTruth.size } });
    const index = await readIndex(snapshotJob, run.id, done.snapshotFolder);
    expect(index.map((l) => l.name).sort()).toEqual([...snapshotTruth.keys()].sort());
    await container.delete();

    const target = uniqueName('snap');
    const restored = await restoreThrough(d, () =>
      restoreJob(d.api, snapshotJob.id, request({ targetContainer: target })),
    );
    expect(restored).toMatchObject({
      status: 'succeeded',
      report: { indexedFiles: snapshotTruth.size, missingFromDrive: { count: 0 }, notInIndex: { count: 0 } },
    });
    await expectLossless(target, snapshotTruth);
  }, 120_000);
});
