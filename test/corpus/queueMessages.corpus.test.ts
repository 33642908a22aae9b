// Bad queue messages for the planner and the uploader (and the restorer once it exists). A message
// is data anyone with queue access can write, so each corpus entry must end in a clear error that
// the poison path records with its reason, and must change nothing stored: not the job, not the
// run, not the manifest, not the drive. Tampered continuations must never make the worker talk to
// anything but the upload session it created for that file (no SSRF, not even to another session
// on an allowed upload host), and the file they named must still be backed up correctly afterwards
// (no data lost). A task whose size or ETag disagrees with the blob must fail, not truncate.
import type { ContainerClient } from '@azure/storage-blob';
import { EmulatorServer } from '../../emulators/shared/server';
import { QUEUES } from '../../src/app/queues';
import type { BackupDeps } from '../../src/backup/deps';
import { parseUploadMessage, type UploadMessage } from '../../src/backup/messages';
import { handlePlanMessage } from '../../src/backup/planner';
import { handlePlanPoison, handleUploadPoison } from '../../src/backup/poison';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { ManualClock } from '../../src/runtime/clock';
import { sessionUrlHash } from '../../src/backup/upload/uploadUrl';
import { isAppError } from '../../src/errors';
import { QuickXorHash } from '../../src/graph/quickXorHash';
import type { Job } from '../../src/store/jobs';
import { parseRestoreMessage } from '../../src/restore/messages';
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
  fileRequests,
  takeUploadTask,
} from '../integration/backupHarness';
import { uniqueName } from '../helpers/azurite';

let fx: GraphFixture;
let evil: EmulatorServer;
const logs: Array<Record<string, unknown>> = [];

interface World {
  deps: BackupDeps;
  queue: QueuedMessage[];
  container: ContainerClient;
  job: Job;
}

async function world(): Promise<World> {
  const container = await newContainer();
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
  const { queue, send } = memoryQueue();
  const graphPort = new URL(fx.apiBaseUrl).port;
  const deps = backupDeps({
    fx,
    clock,
    send,
    rootFolder: 'Corpus',
    // What src/backup/wiring.ts allows locally: the emulator's two names, pinned to its port.
    allowedUploadHosts: [`localhost:${graphPort}`, `127.0.0.1:${graphPort}`],
    plannerPageSize: 50,
    logName: 'queue-corpus',
  });
  const job = await createBackupJob(
    deps,
    { name: 'corpus', container: container.containerName, now: new Date(clock.now()) },
    { destinationFolder: container.containerName },
  );
  return { deps, queue, container, job };
}

async function drain(w: World): Promise<void> {
  await deliverAll(w.deps, w.queue);
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

useGraph(
  'work',
  (started) => (fx = started),
  (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
);
beforeAll(async () => {
  // Stands in for any other service reachable from the worker: it must never see a request.
  evil = await new EmulatorServer('evil').start();
  evil.route('GET', /.*/, () => ({ status: 200, body: { nextExpectedRanges: ['0-'] } }));
  evil.route('PUT', /.*/, () => ({ status: 202, body: { nextExpectedRanges: ['0-'] } }));
});
afterAll(async () => {
  await evil.stop();
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
const batchFile = (i: number, size = 1000): Record<string, unknown> => ({
  blobName: `batch/f${i}.txt`,
  etag: '"0x1"',
  size,
});
const batchBase = (): Record<string, unknown> => ({
  v: 2,
  kind: 'upload-batch',
  runId: finishedRunId,
  jobId: w.job.id,
  files: [batchFile(0), batchFile(1)],
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
  ['a batch of an unknown kind', () => ({ ...batchBase(), kind: 'upload-many' }), /unknown kind/],
  ['a batch with no files', () => ({ ...batchBase(), files: [] }), /non-empty list/],
  [
    'a batch whose files are not a list',
    () => ({ ...batchBase(), files: { 0: batchFile(0) } }),
    /non-empty list/,
  ],
  [
    'a batch of 101 files',
    () => ({ ...batchBase(), files: Array.from({ length: 101 }, (_, i) => batchFile(i)) }),
    /at most 100 files/,
  ],
  [
    'a batch naming a file twice',
    () => ({ ...batchBase(), files: [batchFile(0), batchFile(0)] }),
    /named twice/,
  ],
  [
    'a batch of more than 64 MiB',
    () => ({ ...batchBase(), files: [batchFile(0, 40 * MiB), batchFile(1, 40 * MiB)] }),
    /at most 67108864 bytes/,
  ],
  [
    'a batch longer than a queue message holds',
    () => ({
      ...batchBase(),
      files: Array.from({ length: 50 }, (_, i) => ({
        ...batchFile(i),
        blobName: `${i}-${'n'.repeat(1000)}`,
      })),
    }),
    /at most 45000 characters/,
  ],
  ['a batch with a field of its own', () => ({ ...batchBase(), page: 0 }), /unknown field "page"/],
  [
    'a batch file carrying a continuation',
    () => ({
      ...batchBase(),
      files: [
        {
          ...batchFile(0),
          continuation: { uploadUrl: 'https://127.0.0.1/a', nextOffset: 0, hashState: 'x' },
        },
      ],
    }),
    /files\[0\] has an unknown field "continuation"/,
  ],
  [
    'a batch file with a negative size',
    () => ({ ...batchBase(), files: [{ ...batchFile(0), size: -5 }] }),
    /files\[0\]\.size/,
  ],
  [
    'a batch file without a name',
    () => ({ ...batchBase(), files: [{ etag: '"0x1"', size: 1 }] }),
    /files\[0\]\.blobName/,
  ],
  ['a batch with a runId that is not an id', () => ({ ...batchBase(), runId: "x' or 1 eq 1" }), /runId/],
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
      { ...batchBase(), jobId: 'other-job' },
      { ...batchBase(), runId: 'no-such-run' },
      { v: 1, runId: finishedRunId, jobId: 'other-job', page: 0 },
    ]) {
      if ('blobName' in raw || 'files' in raw) await handleUploadMessage(w.deps, raw);
      else await handlePlanMessage(w.deps, raw);
    }
    expect(w.queue).toEqual([]);
    expect(await snapshot(w, FILES)).toEqual(before);
  });
});

describe('tampered continuations: no request leaves for another session or host, and the file still arrives intact', () => {
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
    // On the allowed upload host, well formed, but not a session this worker created.
    ['a made-up session on the allowed upload host', () => `${fx.graph.server.altBaseUrl}/up/none/none`],
  ];
  // The genuine session URL with impossible positions: it passes the session binding, so these
  // prove the engine's own checks (src/backup/upload/uploadFile.ts resume) still hold behind it.
  const offsets: Array<[string, Record<string, unknown>]> = [
    ['a negative offset', { nextOffset: -327680 }],
    ['an offset past the end', { nextOffset: 6 * MiB + 1 }],
    ['a fractional offset', { nextOffset: 1.5 }],
    ['an unreadable hash state', { hashState: '%%%not-a-state%%%' }],
  ];

  async function pendingUpload(
    size = 6 * MiB,
  ): Promise<{ task: UploadMessage; data: Buffer; runId: string }> {
    const data = content(size);
    const name = `big-${uniqueName('f')}.bin`;
    await putBlob(w.container, name, data);
    const run = await startRun(w.deps, w.job.id, 'manual');
    const plan = w.queue.shift()!;
    await handlePlanMessage(w.deps, plan.message);
    const task = takeUploadTask(w.queue, name);
    // Other files of this run (none changed) were skipped; finish anything else queued.
    await drain(w);
    return { task, data, runId: run.id };
  }

  /** A real continuation: the worker's own session, one chunk in, handed over by a spent budget. */
  async function midUpload(): Promise<{ task: UploadMessage; data: Buffer; runId: string; url: string }> {
    const pending = await pendingUpload();
    const budget = w.deps.settings.invocationBudgetSeconds;
    // A zero budget: the engine sends its one guaranteed chunk, then hands over.
    w.deps.settings.invocationBudgetSeconds = 0;
    try {
      await handleUploadMessage(w.deps, pending.task);
    } finally {
      w.deps.settings.invocationBudgetSeconds = budget;
    }
    expect(w.queue).toHaveLength(1);
    const task = parseUploadMessage(w.queue.shift()!.message);
    expect(task.continuation?.nextOffset).toBe(4 * UNIT);
    return { ...pending, task, url: task.continuation!.uploadUrl };
  }

  /** What every refused or rejected continuation must end in: nothing changed, then a clean re-upload. */
  async function expectFreshRestart(
    task: UploadMessage,
    data: Buffer,
    runId: string,
    before: Awaited<ReturnType<typeof snapshot>>,
  ): Promise<void> {
    expect(await snapshot(w, [task.blobName])).toEqual(before);
    // What it queued instead is the plain task: the file starts afresh from a session of our own.
    expect(w.queue).toEqual([{ queue: QUEUES.upload, message: { ...task, continuation: undefined } }]);
    await drain(w);
    const copies = fx.graph.listFiles(fx.driveId).filter((f) => f.path.endsWith(`/${task.blobName}`));
    // One copy: the new session replaced, it did not add `name 1.bin` next to a partial one.
    expect(copies).toHaveLength(1);
    expect(copies[0].content.equals(data)).toBe(true);
    expect((copies[0].item.file as { hashes: { quickXorHash: string } }).hashes.quickXorHash).toBe(
      QuickXorHash.of(data),
    );
    expect((await w.deps.runs.get(w.job.id, runId))?.value.status).toBe('succeeded');
  }

  it('binds the session to the file row by hash only: the capability URL is never stored', async () => {
    const { task, url, runId } = await midUpload();
    const row = await w.deps.runs.getFile(runId, task.blobName);
    expect(row?.sessionUrlHash).toBe(sessionUrlHash(url));
    expect(JSON.stringify(row)).not.toContain(new URL(url).pathname);
    // Finish the file so the run ends (the next test starts a run of the same job).
    await handleUploadMessage(w.deps, task);
    await drain(w);
    expect((await w.deps.runs.get(w.job.id, runId))?.value.status).toBe('succeeded');
  });

  it.each(hostile.map(([label]) => [label]))('%s', async (label) => {
    const url = hostile.find(([l]) => l === label)![1]();
    const { task, data, runId } = await midUpload();
    const tampered: UploadMessage = { ...task, continuation: { ...task.continuation!, uploadUrl: url } };
    const before = await snapshot(w, [task.blobName]);
    const evilRequests = evil.requests.length;
    const graphRequests = fx.graph.server.requests.length;
    logs.length = 0;

    await handleUploadMessage(w.deps, tampered);

    expect(evil.requests.length).toBe(evilRequests);
    expect(fx.graph.server.requests.length).toBe(graphRequests);
    expect(logs.find((l) => l.event === 'upload.continuation.rejected')?.reason).toEqual(expect.any(String));
    // The rejection names no URL at all: it is a capability.
    expect(JSON.stringify(logs)).not.toContain('/up/');
    await expectFreshRestart(task, data, runId, before);
    expect(evil.requests.length).toBe(evilRequests);
  });

  it("another live session on the allowed upload host (another file's, or another tenant's) is never contacted", async () => {
    // A real, open upload session the worker did not create for this file: exactly what the host
    // allow-list accepts and only the session binding refuses.
    const created = await fetch(
      `${fx.apiBaseUrl}/drives/${fx.driveId}/root:/Victim/${uniqueName('v')}.bin:/createUploadSession`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${fx.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ item: { '@microsoft.graph.conflictBehavior': 'replace' } }),
      },
    );
    expect(created.status).toBe(200);
    const victim = ((await created.json()) as { uploadUrl: string }).uploadUrl;
    const victimPath = new URL(victim).pathname;
    const contacted = (): number => fx.graph.server.requests.filter((r) => r.path === victimPath).length;

    const { task, data, runId, url } = await midUpload();
    expect(new URL(victim).host).toBe(new URL(url).host);
    const before = await snapshot(w, [task.blobName]);
    const ownPath = new URL(url).pathname;
    const ownBefore = fx.graph.server.requests.filter((r) => r.path === ownPath).length;
    logs.length = 0;

    await handleUploadMessage(w.deps, {
      ...task,
      continuation: { ...task.continuation!, uploadUrl: victim },
    });

    expect(contacted()).toBe(0);
    expect(logs.find((l) => l.event === 'upload.continuation.rejected')?.reason).toMatch(/not the session/);
    expect(JSON.stringify(logs)).not.toContain(victimPath);
    await expectFreshRestart(task, data, runId, before);
    expect(contacted()).toBe(0);
    // The restart made a new session rather than resuming the abandoned one of its own.
    expect(fx.graph.server.requests.filter((r) => r.path === ownPath).length).toBe(ownBefore);
    // And the victim's session still has nothing: not a byte of ours went into it.
    const status = await fetch(victim);
    expect(((await status.json()) as { nextExpectedRanges: string[] }).nextExpectedRanges).toEqual(['0-']);
  });

  it.each(offsets.map(([label]) => [label]))('the genuine session with %s', async (label) => {
    const patch = offsets.find(([l]) => l === label)![1];
    const { task, data, runId } = await midUpload();
    const before = await snapshot(w, [task.blobName]);
    const graphPuts = fx.graph.server.count('PUT', /./);
    const graphGets = fx.graph.server.count('GET', /^\/up\//);
    logs.length = 0;

    await handleUploadMessage(w.deps, {
      ...task,
      continuation: { ...task.continuation!, ...patch } as UploadMessage['continuation'],
    });

    // Refused before its first request, even to the genuine session.
    expect(fx.graph.server.count('PUT', /./)).toBe(graphPuts);
    expect(fx.graph.server.count('GET', /^\/up\//)).toBe(graphGets);
    expect(logs.find((l) => l.event === 'upload.continuation.refused')?.reason).toEqual(expect.any(String));
    expect(JSON.stringify(logs)).not.toContain('/up/');
    await expectFreshRestart(task, data, runId, before);
  });

  it('the genuine continuation still resumes where it stopped (the binding refuses only strangers)', async () => {
    const { task, data, runId } = await midUpload();
    const puts = fx.graph.server.count('PUT', /^\/up\//);
    logs.length = 0;
    await handleUploadMessage(w.deps, task);
    expect(logs.some((l) => String(l.event).startsWith('upload.continuation.'))).toBe(false);
    expect(fx.graph.server.count('PUT', /^\/up\//) - puts).toBe(
      Math.ceil((data.length - 4 * UNIT) / (4 * UNIT)),
    );
    const file = fx.graph.listFiles(fx.driveId).find((f) => f.path.endsWith(`/${task.blobName}`));
    expect(file?.content.equals(data)).toBe(true);
    expect((await w.deps.runs.get(w.job.id, runId))?.value.status).toBe('succeeded');
  });
});

describe('a task whose size or ETag disagrees with the blob fails the file clearly, nothing truncated', () => {
  async function plannedTask(size: number): Promise<{ task: UploadMessage; data: Buffer; runId: string }> {
    const data = content(size);
    const name = `sized-${uniqueName('f')}.bin`;
    await putBlob(w.container, name, data);
    const run = await startRun(w.deps, w.job.id, 'manual');
    await handlePlanMessage(w.deps, w.queue.shift()!.message);
    const task = takeUploadTask(w.queue, name);
    await drain(w);
    return { task, data, runId: run.id };
  }

  it.each([
    // Smaller than the blob: a simple upload would read exactly this many bytes and verify them
    // against themselves, storing a truncated file as uploaded.
    [
      'a smaller size (simple upload)',
      1000,
      (t: UploadMessage) => ({ ...t, size: 400 }),
      /says 400 bytes.*has 1000/,
    ],
    [
      'a larger size (simple upload)',
      1000,
      (t: UploadMessage) => ({ ...t, size: 4000 }),
      /says 4000 bytes.*has 1000/,
    ],
    [
      'a smaller size (upload session)',
      6 * MiB,
      (t: UploadMessage) => ({ ...t, size: 5 * MiB }),
      new RegExp(`says ${5 * MiB} bytes.*has ${6 * MiB}`),
    ],
    [
      'another ETag',
      1000,
      (t: UploadMessage) => ({ ...t, etag: '"0x8D000000000BAD"' }),
      /changed or was deleted/,
    ],
  ])('%s', async (_label, size, tamper, reason) => {
    const { task, runId } = await plannedTask(size);
    const manifestBefore = await w.deps.manifest.get(w.job.id, task.blobName);
    // Requests for the user's files only: the run this file ends writes its run index.
    const graphRequests = fileRequests(fx);
    logs.length = 0;

    await handleUploadMessage(w.deps, tamper(task));

    // Nothing was sent to the drive, and the file is failed with the reason, not uploaded.
    expect(fileRequests(fx)).toBe(graphRequests);
    expect(fx.graph.listFiles(fx.driveId).some((f) => f.path.endsWith(`/${task.blobName}`))).toBe(false);
    expect(await w.deps.runs.getFile(runId, task.blobName)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(reason),
    });
    expect(logs.find((l) => l.event === 'upload.file.failed')?.reason).toMatch(reason);
    expect(await w.deps.manifest.get(w.job.id, task.blobName)).toEqual(manifestBefore);
    const run = (await w.deps.runs.get(w.job.id, runId))!.value;
    expect(run.status).toBe('partially-failed');
    expect(w.queue).toEqual([]);
  });
});

describe('restorer messages: a clear MessageInvalid before anything is touched', () => {
  // The parser is the restorer's first step (src/restore/messages.ts), so a message it refuses
  // reaches nothing stored; the corpus through the worker and its poison path is
  // test/corpus/restoreMessages.corpus.test.ts.
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
