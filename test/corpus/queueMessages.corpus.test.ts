// Bad queue messages for the planner and the uploader (and the restorer once it exists). A message
// is data anyone with queue access can write, so each corpus entry must end in a clear error that
// the poison path records with its reason, and must change nothing stored: not the job, not the
// run, not the manifest, not the drive. Tampered continuations must never make the worker talk to
// a host other than the upload host it expects (no SSRF), and the file they named must still be
// backed up correctly afterwards (no data lost).
import { TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { EmulatorServer } from '../../emulators/shared/server';
import { QUEUES } from '../../src/app/queues';
import type { BackupDeps } from '../../src/backup/deps';
import { parseUploadMessage, type UploadMessage } from '../../src/backup/messages';
import { handlePlanMessage } from '../../src/backup/planner';
import { handlePlanPoison, handleUploadPoison } from '../../src/backup/poison';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { ManualClock } from '../../src/backup/upload/clock';
import { quickXorAlgorithm } from '../../src/backup/upload/quickXor';
import { isAppError } from '../../src/errors';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { createBlobSource } from '../../src/sources/blobSource';
import { JobStore, validateJob, type Job } from '../../src/store/jobs';
import { ManifestStore } from '../../src/store/manifest';
import { RunStore } from '../../src/store/runs';
import { parseRestoreMessage } from '../../src/restore/messages';
import {
  content,
  MiB,
  newContainer,
  putBlob,
  startGraph,
  UNIT,
  type GraphFixture,
} from '../integration/backupHarness';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

let fx: GraphFixture;
let evil: EmulatorServer;
let previousSink: LogSink;
const logs: Array<Record<string, unknown>> = [];

const table = (prefix: string): TableClient =>
  TableClient.fromConnectionString(azuriteConnectionString(), uniqueName(prefix), {
    allowInsecureConnection: true,
  });

interface World {
  deps: BackupDeps;
  queue: Array<{ queue: string; message: unknown }>;
  container: ContainerClient;
  job: Job;
}

async function world(): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
  const queue: World['queue'] = [];
  const graphPort = new URL(fx.apiBaseUrl).port;
  const deps: BackupDeps = {
    jobs: new JobStore(table('jobs')),
    runs: new RunStore(
      { runs: table('runs'), progress: table('prog'), files: table('files') },
      () => new Date(clock.now()),
    ),
    manifest: new ManifestStore(table('manifest')),
    source: (job) =>
      createBlobSource({ connectionString: azuriteConnectionString(), container: job.source.container }),
    destination: async () => ({
      apiBaseUrl: fx.apiBaseUrl,
      driveId: fx.driveId,
      rootFolder: 'Corpus',
      driveType: 'business',
      // What src/backup/wiring.ts allows locally: the emulator's two names, pinned to its port.
      allowedUploadHosts: [`localhost:${graphPort}`, `127.0.0.1:${graphPort}`],
      tokens: fx.tokens,
    }),
    send: async (q, message) => void queue.push({ queue: q, message: JSON.parse(JSON.stringify(message)) }),
    settings: {
      simpleUploadMaxBytes: 4 * MiB,
      invocationBudgetSeconds: 480,
      plannerPageSize: 50,
      runTimeoutMinutes: 60,
      sendConcurrency: 4,
    },
    clock,
    log: createLogger({ test: 'queue-corpus' }),
  };
  const job = validateJob(
    {
      name: 'corpus',
      connectionId: 'conn-1',
      source: { container: container.containerName },
      destinationFolder: container.containerName,
      schedule: '0 0 2 * * *',
      chunkSizeBytes: 4 * UNIT,
    },
    undefined,
    uniqueName('job'),
    new Date(clock.now()),
  );
  await deps.jobs.create(job);
  return { deps, queue, container, job };
}

async function drain(w: World): Promise<void> {
  while (w.queue.length) {
    const { queue, message } = w.queue.shift()!;
    if (queue === QUEUES.plan) await handlePlanMessage(w.deps, message);
    else await handleUploadMessage(w.deps, message);
  }
}

/** Everything a message could corrupt: the job, its runs with live totals and failures, the manifest, the drive. */
async function snapshot(w: World, blobNames: string[]) {
  const runs = await w.deps.runs.listForJob(w.job.id);
  return {
    job: await w.deps.jobs.getWithEtag(w.job.id),
    runs: await Promise.all(
      runs.map(async (r) => ({
        ...r,
        live: await w.deps.runs.totals(r.id),
        failures: await w.deps.runs.failures(r.id),
      })),
    ),
    manifest: await Promise.all(blobNames.map((n) => w.deps.manifest.get(w.job.id, n))),
    drive: fx.graph.listFiles(fx.driveId).map((f) => [f.path, f.item.eTag, f.content.length]),
  };
}

beforeAll(async () => {
  previousSink = setLogSink((line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  fx = await startGraph('work');
  // Stands in for any other service reachable from the worker: it must never see a request.
  evil = await new EmulatorServer('evil').start();
  evil.route('GET', /.*/, () => ({ status: 200, body: { nextExpectedRanges: ['0-'] } }));
  evil.route('PUT', /.*/, () => ({ status: 202, body: { nextExpectedRanges: ['0-'] } }));
});

afterAll(async () => {
  setLogSink(previousSink);
  await Promise.all([fx.graph.stop(), evil.stop()]);
});

let w: World;
let finishedRunId: string;
const FILES = ['one.txt', 'two/three.bin'];

beforeAll(async () => {
  w = await world();
  await putBlob(w.container, FILES[0], content(1000));
  await putBlob(w.container, FILES[1], content(5 * MiB));
  finishedRunId = (await startRun(w.deps, w.job.id, 'manual')).id;
  await drain(w);
});

const planCorpus: Array<[string, () => unknown, RegExp]> = [
  ['a string that is not JSON', () => '{"v":1,"runId":', /not a JSON object/],
  ['a JSON array', () => [{ v: 1 }], /not a JSON object/],
  ['null', () => null, /not a JSON object/],
  [
    'an unknown version',
    () => ({ v: 2, runId: finishedRunId, jobId: w.job.id, page: 0 }),
    /unknown version 2/,
  ],
  ['no version', () => ({ runId: finishedRunId, jobId: w.job.id, page: 0 }), /unknown version/],
  ['a missing runId', () => ({ v: 1, jobId: w.job.id, page: 0 }), /runId/],
  [
    'a runId with table-query characters',
    () => ({ v: 1, runId: "x' or 1 eq 1", jobId: w.job.id, page: 0 }),
    /runId/,
  ],
  ['a negative page', () => ({ v: 1, runId: finishedRunId, jobId: w.job.id, page: -1 }), /page/],
  ['a page as text', () => ({ v: 1, runId: finishedRunId, jobId: w.job.id, page: '1' }), /page/],
  [
    'a continuation token of the wrong type',
    () => ({ v: 1, runId: finishedRunId, jobId: w.job.id, page: 1, continuationToken: {} }),
    /continuationToken/,
  ],
];

const uploadBase = (): Record<string, unknown> => ({
  v: 1,
  runId: finishedRunId,
  jobId: w.job.id,
  blobName: FILES[0],
  etag: '"0x1"',
  size: 1000,
});
const uploadCorpus: Array<[string, () => unknown, RegExp]> = [
  ['a string that is not JSON', () => 'not json at all', /not a JSON object/],
  ['an unknown version', () => ({ ...uploadBase(), v: 99 }), /unknown version 99/],
  ['a missing blob name', () => ({ ...uploadBase(), blobName: undefined }), /blobName/],
  ['a 2,000-character blob name', () => ({ ...uploadBase(), blobName: 'x'.repeat(2000) }), /blobName/],
  ['a missing etag', () => ({ ...uploadBase(), etag: '' }), /etag/],
  ['a negative size', () => ({ ...uploadBase(), size: -1 }), /size/],
  ['a fractional size', () => ({ ...uploadBase(), size: 1.5 }), /size/],
  ['a size beyond 2^53', () => ({ ...uploadBase(), size: 2 ** 60 }), /size/],
  [
    'a continuation without an upload URL',
    () => ({ ...uploadBase(), continuation: { nextOffset: 0, hashState: 'x' } }),
    /continuation/,
  ],
  [
    'a continuation with an offset as text',
    () => ({
      ...uploadBase(),
      continuation: { uploadUrl: 'https://127.0.0.1/a/b', nextOffset: '0', hashState: 'x' },
    }),
    /continuation/,
  ],
  ['a missing jobId', () => ({ ...uploadBase(), jobId: undefined }), /jobId/],
];

describe('planner messages: a clear MessageInvalid, poisoned with the reason, nothing stored changed', () => {
  it.each(planCorpus)('%s', async (_label, make, reason) => {
    const before = await snapshot(w, FILES);
    const raw = make();
    const error = await handlePlanMessage(w.deps, raw).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect((error as Error).message).toMatch(reason);
    // Every delivery fails the same way, so the host moves it to backup-plan-poison; its handler
    // records the reason and touches nothing it cannot read.
    logs.length = 0;
    await handlePlanPoison(w.deps, raw);
    expect(logs.find((l) => l.event === 'poison.plan.unreadable')?.reason).toMatch(reason);
    expect(w.queue).toEqual([]);
    expect(await snapshot(w, FILES)).toEqual(before);
  });
});

describe('uploader messages: a clear MessageInvalid, poisoned with the reason, nothing stored changed', () => {
  it.each(uploadCorpus)('%s', async (_label, make, reason) => {
    const before = await snapshot(w, FILES);
    const raw = make();
    const error = await handleUploadMessage(w.deps, raw).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect((error as Error).message).toMatch(reason);
    logs.length = 0;
    await handleUploadPoison(w.deps, raw);
    expect(logs.find((l) => l.event === 'poison.upload.unreadable')?.reason).toMatch(reason);
    expect(w.queue).toEqual([]);
    expect(await snapshot(w, FILES)).toEqual(before);
  });

  it('well-formed messages naming another job, or a run that does not exist, change nothing', async () => {
    const before = await snapshot(w, FILES);
    for (const raw of [
      { ...uploadBase(), jobId: 'other-job' },
      { ...uploadBase(), runId: 'no-such-run' },
      { v: 1, runId: finishedRunId, jobId: 'other-job', page: 0 },
    ]) {
      if ('blobName' in raw) await handleUploadMessage(w.deps, raw);
      else await handlePlanMessage(w.deps, raw);
    }
    expect(w.queue).toEqual([]);
    expect(await snapshot(w, FILES)).toEqual(before);
  });
});

describe('tampered continuations: no request leaves for another host, and the file still arrives intact', () => {
  // Built lazily: the emulators' ports are known only once beforeAll has run.
  const port = (): string => new URL(fx.apiBaseUrl).port;
  const hostile: Array<[string, () => string]> = [
    ['another host', () => 'https://evil.example/up/session/1'],
    [
      'the cloud metadata endpoint over http',
      () => 'http://169.254.169.254/metadata/instance?api-version=2021-02-01',
    ],
    ['the cloud metadata endpoint over https', () => 'https://169.254.169.254/latest/meta-data/'],
    ['an allowed name as a subdomain of another', () => `https://127.0.0.1.evil.example:${port()}/up/x/y`],
    ['credentials smuggled in the URL', () => `https://attacker@127.0.0.1:${port()}/up/x/y`],
    ['the upload host name on another port (another local service)', () => `${evil.altBaseUrl}/up/session/1`],
    ['the API host name on another port', () => `${evil.baseUrl}/up/session/1`],
    ['plain http to the upload host', () => `http://127.0.0.1:${port()}/up/x/y`],
    ['not a URL', () => 'javascript:alert(1)'],
  ];
  const offsets: Array<[string, Record<string, unknown>]> = [
    ['a negative offset', { nextOffset: -327680 }],
    ['an offset past the end', { nextOffset: 6 * MiB + 1 }],
    ['a fractional offset', { nextOffset: 1.5 }],
    ['an unreadable hash state', { hashState: '%%%not-a-state%%%' }],
  ];

  async function pendingUpload(): Promise<{ task: UploadMessage; data: Buffer; runId: string }> {
    const data = content(6 * MiB);
    const name = `big-${uniqueName('f')}.bin`;
    await putBlob(w.container, name, data);
    const run = await startRun(w.deps, w.job.id, 'manual');
    const plan = w.queue.shift()!;
    await handlePlanMessage(w.deps, plan.message);
    const index = w.queue.findIndex((m) => (m.message as UploadMessage).blobName === name);
    const task = parseUploadMessage(w.queue.splice(index, 1)[0].message);
    // Other files of this run (none changed) were skipped; finish anything else queued.
    await drain(w);
    return { task, data, runId: run.id };
  }

  const cases = (): Array<[string, (task: UploadMessage) => UploadMessage]> => [
    ...hostile.map(([label, url]): [string, (t: UploadMessage) => UploadMessage] => [
      label,
      (t) => ({
        ...t,
        continuation: {
          uploadUrl: url(),
          nextOffset: 4 * UNIT,
          hashState: quickXorAlgorithm.create().save(),
        },
      }),
    ]),
    ...offsets.map(([label, patch]): [string, (t: UploadMessage) => UploadMessage] => [
      label,
      (t) => ({
        ...t,
        continuation: {
          uploadUrl: `${fx.graph.server.altBaseUrl}/up/none/none`,
          nextOffset: 0,
          hashState: quickXorAlgorithm.create().save(),
          ...patch,
        } as UploadMessage['continuation'],
      }),
    ]),
  ];

  it.each(cases().map(([label]) => [label]))('%s', async (label) => {
    const tamper = cases().find(([l]) => l === label)![1];
    const { task, data, runId } = await pendingUpload();
    const before = await snapshot(w, [task.blobName]);
    const evilRequests = evil.requests.length;
    const graphPuts = fx.graph.server.count('PUT', /./);
    logs.length = 0;

    await handleUploadMessage(w.deps, tamper(task));

    expect(evil.requests.length).toBe(evilRequests);
    expect(fx.graph.server.count('PUT', /./)).toBe(graphPuts);
    const refused = logs.find((l) => l.event === 'upload.continuation.refused');
    expect(refused?.reason).toEqual(expect.any(String));
    // The refusal names at most the host, never the capability URL itself.
    expect(JSON.stringify(logs)).not.toContain('/up/session/1');
    expect(await snapshot(w, [task.blobName])).toEqual(before);
    // What it queued instead is the plain task: the file starts afresh from a session of our own.
    expect(w.queue).toEqual([{ queue: QUEUES.upload, message: { ...task, continuation: undefined } }]);
    await drain(w);
    const file = fx.graph.listFiles(fx.driveId).find((f) => f.path.endsWith(`/${task.blobName}`));
    expect(file?.content.equals(data)).toBe(true);
    expect((file?.item.file as { hashes: { quickXorHash: string } }).hashes.quickXorHash).toBe(
      QuickXorHash.of(data),
    );
    expect((await w.deps.runs.get(w.job.id, runId))?.value.status).toBe('succeeded');
    expect(evil.requests.length).toBe(evilRequests);
  });
});

describe('restorer messages: a clear MessageInvalid before anything is touched', () => {
  // The parser is the restorer's first step (src/restore/messages.ts), so a message it refuses
  // reaches nothing stored; the full restore corpus (poison path, tampered download URLs through
  // the worker) is still to be written against src/restore/worker.ts.
  it.each([
    ['a string that is not JSON', 'restore me'],
    ['null', null],
    ['an array', [{ v: 1 }]],
    ['an unknown version', { v: 7 }],
    ['no fields at all', { v: 1 }],
  ])('%s', (_label, raw) => {
    let error: unknown;
    try {
      parseRestoreMessage(raw);
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect((error as Error).message).toMatch(/Restore message refused: .+/);
  });
});
