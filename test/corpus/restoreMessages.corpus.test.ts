// Bad `restore` queue messages through the restorer worker (src/restore/worker.ts) and its poison
// handler. A malformed message must fail with MessageInvalid and the reason, end in the poison
// path with that reason logged, and change nothing stored. Well-formed but tampered messages (an
// item id that is not the one listed, a download URL or children nextLink pointing at another
// host) must never make the worker send a request to that host, and must never write bytes that
// are not the drive item's into the target container. What to restore and where (the spec) is the
// run's record, written when the restore was started: a message that claims another endpoint,
// container or folder is refused and poisoned, and an item id outside the restored folder fails its
// file without a byte written.
import { createHash } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { EmulatorServer } from '../../emulators/shared/server';
import { ManualClock } from '../../src/runtime/clock';
import { DEFAULT_RETRY_POLICY } from '../../src/runtime/retry';
import { isAppError } from '../../src/errors';
import { encodeBlobPath } from '../../src/graph/names';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import type { RestoreDeps } from '../../src/restore/deps';
import { tableListingLedger } from '../../src/restore/listing/ledger';
import type { FileMessage, ListMessage, RestoreMessage, RestoreSpec } from '../../src/restore/messages';
import { validateRestoreRequest } from '../../src/restore/request';
import { runStoreRecorder } from '../../src/restore/runRecorder';
import { startRestore } from '../../src/restore/start';
import { blockBlobTarget } from '../../src/restore/target/blockBlobTarget';
import { handleRestoreMessage, handleRestorePoison } from '../../src/restore/worker';
import { ManifestStore } from '../../src/store/manifest';
import { RunStore } from '../../src/store/runs';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import { isInsideFolder, parentFolderOf } from '../../src/restore/download/containment';
import { content, putDriveFile, startDrive, type DriveFixture } from '../integration/restoreHarness';

/** host.json: queues.maxDequeueCount. */
const MAX_DEQUEUE = 5;
const FILES = new Map<string, Buffer>([
  ['a.txt', content(1000)],
  ['dir/b.bin', content(70_000)],
]);

let fx: DriveFixture;
let evil: EmulatorServer;
let previousSink: LogSink;
const logs: Array<Record<string, unknown>> = [];
/** Every URL the worker fetched (its `fetch` is wrapped): the proof of where requests went. */
const fetched: string[] = [];
const itemIds = new Map<string, string>();
let otherItemId = '';
let siblingItemId = '';
const otherData = content(500);
/** Every spec the worker handed to target() or ensureContainer(): where it would have written. */
const specsUsed: RestoreSpec[] = [];

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const containerFor = (name: string): ContainerClient =>
  BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(name);

async function table(prefix: string): Promise<TableClient> {
  const client = TableClient.fromConnectionString(azuriteConnectionString(), uniqueName(prefix), {
    allowInsecureConnection: true,
  });
  await client.createTable();
  return client;
}

let deps: RestoreDeps;
let runs: RunStore;
const queue: RestoreMessage[] = [];
let targetContainer = '';
let runId = '';
let runPartition = '';
let spec: RestoreSpec;
/** A backup run: a run without a restore spec, whose ids a tampered message could borrow. */
const backupRun = { partition: 'job-backup', id: 'backup-run-1' };

beforeAll(async () => {
  previousSink = setLogSink((line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  fx = await startDrive();
  evil = await new EmulatorServer('evil').start();
  evil.route('GET', /.*/, () => ({ status: 200, body: 'not the drive item' }));
  for (const [name, data] of FILES)
    itemIds.set(name, await putDriveFile(fx, `Backups/job1/${encodeBlobPath(name)}`, data));
  // A file of the same drive outside the restored folder: a tampered item id could name it.
  otherItemId = await putDriveFile(fx, 'Private/secret-plans.txt', otherData);
  // A folder whose name starts with the restored folder's: inside by string prefix, outside by path.
  siblingItemId = await putDriveFile(fx, 'Backups/job10/other-job.txt', otherData);

  runs = new RunStore({
    runs: await table('runs'),
    progress: await table('prog'),
    files: await table('files'),
  });
  const clock = new ManualClock(Date.now());
  deps = {
    runs: runStoreRecorder(runs, () => new Date(clock.now())),
    ledger: tableListingLedger(await table('listings')),
    manifest: new ManifestStore(await table('manifest')),
    drive: async () => ({
      graphBaseUrl: fx.apiBaseUrl,
      driveId: fx.driveId,
      rootFolder: 'Backups',
      tokens: fx.tokens,
    }),
    target: (s, blobName) => {
      specsUsed.push(s);
      return blockBlobTarget(containerFor(s.targetContainer), blobName);
    },
    ensureContainer: async (s) => {
      specsUsed.push(s);
      await containerFor(s.targetContainer).createIfNotExists();
    },
    send: async (message) => void queue.push(JSON.parse(JSON.stringify(message)) as RestoreMessage),
    settings: {
      blockSize: 8 * 1024 * 1024,
      invocationBudgetSeconds: 600,
      requestTimeoutMs: 60_000,
      manifestPageSize: 100,
      sendConcurrency: 4,
    },
    clock,
    retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
    log: createLogger({ test: 'restore-corpus' }),
    fetch: (input, init) => {
      fetched.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    },
  };

  // A genuine restore first: what every tampered message below must leave exactly as it is.
  targetContainer = uniqueName('restored');
  const started = await startRestore(deps, {
    request: validateRestoreRequest(
      { targetContainer, folderPath: 'job1', overwrite: 'fail-if-exists' },
      { disasterRecovery: true },
    ),
    connectionId: 'conn-1',
    rootFolder: 'Backups',
  });
  runId = started.runId;
  runPartition = started.runPartition;
  spec = (await deps.runs.restoreSpec(runPartition, runId))!;
  expect(spec).toMatchObject({ targetContainer, rootPath: 'Backups/job1' });
  while (queue.length) await handleRestoreMessage(deps, queue.shift()!);
  expect((await runs.get(runPartition, runId))?.value.status).toBe('succeeded');
  await runs.create({
    id: backupRun.id,
    jobId: backupRun.partition,
    kind: 'backup',
    trigger: 'manual',
    status: 'running',
    createdAt: new Date().toISOString(),
    planningComplete: false,
    pagesPlanned: 0,
  });
}, 60_000);

afterAll(async () => {
  setLogSink(previousSink);
  await Promise.all([fx.graph.stop(), evil.stop()]);
});

/** Everything a message could corrupt: the restored blobs (names and bytes) and the run's record. */
async function snapshot(): Promise<unknown> {
  const blobs: Array<[string, string]> = [];
  for await (const blob of containerFor(targetContainer).listBlobsFlat())
    blobs.push([
      blob.name,
      md5(await containerFor(targetContainer).getBlobClient(blob.name).downloadToBuffer()),
    ]);
  const run = await runs.get(runPartition, runId);
  return {
    blobs,
    run: run?.value,
    outcomes: await runs.countFileOutcomes(runId),
    failures: await runs.failures(runId),
  };
}

/** The Functions host's way with a message that throws: four more deliveries, then the poison handler. */
async function deliverUntilPoison(raw: unknown): Promise<unknown> {
  let last: unknown;
  for (let attempt = 1; attempt <= MAX_DEQUEUE; attempt += 1)
    last = await handleRestoreMessage(deps, raw).then(
      () => undefined,
      (e: unknown) => e,
    );
  await handleRestorePoison(deps, raw);
  return last;
}

/** A file task as the worker queues it: ids and positions, no spec. */
const fileBase = (): FileMessage => ({
  v: 1,
  kind: 'file',
  runId,
  runPartition,
  itemId: itemIds.get('a.txt')!,
  blobName: 'a.txt',
  size: 1000,
});

/**
 * A restore of its own into a fresh, empty container, started but not listed: tampered tasks aimed
 * at it really download (nothing there to skip), and it is the run whose record they must obey.
 */
async function freshRun(): Promise<{
  runId: string;
  runPartition: string;
  target: string;
  spec: RestoreSpec;
}> {
  const target = uniqueName('fresh');
  const started = await startRestore(deps, {
    request: validateRestoreRequest(
      { targetContainer: target, folderPath: 'job1' },
      { disasterRecovery: true },
    ),
    connectionId: 'conn-1',
    rootFolder: 'Backups',
  });
  queue.length = 0; // its listing is not delivered: the tests send their own tasks
  await containerFor(target).create();
  const recorded = (await deps.runs.restoreSpec(started.runPartition, started.runId))!;
  return { runId: started.runId, runPartition: started.runPartition, target, spec: recorded };
}

/** Blob names in a container, uncommitted ones (staged blocks) included: proof no byte was written. */
async function everyBlob(container: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of containerFor(container).listBlobsFlat({ includeUncommitedBlobs: true }))
    names.push(blob.name);
  return names;
}

const poisonEvent = (): Record<string, unknown> | undefined =>
  logs.find((l) => l.event === 'restore.poison.unreadable' || l.event === 'restore.poison.refused');

describe('malformed restore messages: MessageInvalid with the reason, poisoned, nothing stored changed', () => {
  const corpus: Array<[string, () => unknown, RegExp]> = [
    ['a string that is not JSON', () => 'restore everything', /unknown version/],
    ['null', () => null, /unknown version/],
    ['an array', () => [fileBase()], /unknown version/],
    ['an unknown version', () => ({ ...fileBase(), v: 2 }), /unknown version/],
    ['no version', () => ({ ...fileBase(), v: undefined }), /unknown version/],
    ['no run id', () => ({ ...fileBase(), runId: undefined }), /no run/],
    ['no run partition', () => ({ ...fileBase(), runPartition: '' }), /no run/],
    ['a spec that is text', () => ({ ...fileBase(), spec: 'restore it all' }), /bad spec/],
    ['a spec that is an array', () => ({ ...fileBase(), spec: [spec] }), /bad spec/],
    [
      'a run that does not exist',
      () => ({ ...fileBase(), runId: 'no-such-run' }),
      /has no restore spec recorded/,
    ],
    [
      "a backup run's ids (a run without a restore spec)",
      () => ({ ...fileBase(), runId: backupRun.id, runPartition: backupRun.partition }),
      /has no restore spec recorded/,
    ],
    ['an unknown kind', () => ({ ...fileBase(), kind: 'delete' }), /unknown kind/],
    ['a file task without an item id', () => ({ ...fileBase(), itemId: '' }), /bad file task/],
    ['a file task with a size as text', () => ({ ...fileBase(), size: '1000' }), /bad file task/],
    ['a file task without a blob name', () => ({ ...fileBase(), blobName: 7 }), /bad file task/],
    [
      'a listing with an unknown source type',
      () => ({ ...fileBase(), kind: 'list', source: { type: 'ftp', page: 0 } }),
      /bad list source/,
    ],
    [
      'a manifest listing without a job',
      () => ({ ...fileBase(), kind: 'list', source: { type: 'manifest', page: 0 } }),
      /manifest listing without a job/,
    ],
  ];

  it.each(corpus)('%s', async (_label, make, reason) => {
    const before = await snapshot();
    const requests = fetched.length;
    logs.length = 0;
    const error = await deliverUntilPoison(make());
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect((error as Error).message).toMatch(reason);
    expect(JSON.stringify(poisonEvent())).toMatch(reason);
    expect(fetched.length).toBe(requests);
    expect(queue).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});

describe('tampered restore messages: no request leaves for another host, no foreign bytes are written', () => {
  const evilHost = (): string => new URL(evil.baseUrl).host;
  const toEvil = (): number => fetched.filter((u) => new URL(u).host === evilHost()).length;

  it.each([
    ['a download URL in the task', () => ({ ...fileBase(), downloadUrl: `${evil.baseUrl}/dl/x` })],
    [
      'a download URL in the continuation',
      () => ({
        ...fileBase(),
        continuation: {
          itemId: itemIds.get('a.txt')!,
          nextOffset: 0,
          hashState: '{}',
          downloadUrl: `${evil.baseUrl}/dl/x`,
        },
      }),
    ],
  ])('%s is ignored: the bytes come from the drive item', async (_label, make) => {
    // Into a fresh run and container of its own, so the restore really downloads (nothing to skip).
    const { target, ...ids } = await freshRun();
    const evilBefore = evil.requests.length;
    await handleRestoreMessage(deps, { ...make(), runId: ids.runId, runPartition: ids.runPartition });
    expect(evil.requests.length).toBe(evilBefore);
    expect(toEvil()).toBe(0);
    const restored = await containerFor(target).getBlobClient('a.txt').downloadToBuffer();
    expect(restored.equals(FILES.get('a.txt')!)).toBe(true);
  });

  it('an item id that does not exist fails the file with the reason and writes nothing', async () => {
    const before = await snapshot();
    const blobName = 'tampered/ghost.bin';
    logs.length = 0;
    await handleRestoreMessage(deps, { ...fileBase(), itemId: 'NOTANITEM0000000', blobName });
    const row = await runs.getFile(runId, blobName);
    expect(row).toMatchObject({ status: 'failed', code: 'NotFound', reason: expect.any(String) });
    expect(logs.find((l) => l.event === 'restore.file.failed')).toBeDefined();
    expect(await containerFor(targetContainer).getBlobClient(blobName).exists()).toBe(false);
    // Only the run's record of that one file changed; every restored blob is as it was.
    expect(((await snapshot()) as { blobs: unknown }).blobs).toEqual((before as { blobs: unknown }).blobs);
    expect(toEvil()).toBe(0);
  });

  it.each([
    ['path traversal', '../../../me/drive/root'],
    ['a query smuggled into the id', 'x?$select=id&redirect=https://evil.example'],
    ['a full URL as the id', 'https://evil.example/items/1'],
  ])('an item id with %s reaches only the Graph API, encoded, and fails the file', async (_label, itemId) => {
    const before = await snapshot();
    const requests = fetched.length;
    const blobName = `tampered/${uniqueName('id')}`;
    await handleRestoreMessage(deps, { ...fileBase(), itemId, blobName });
    const sent = fetched.slice(requests);
    expect(sent.length).toBeGreaterThan(0);
    for (const url of sent) {
      expect(new URL(url).origin).toBe(new URL(fx.apiBaseUrl).origin);
      expect(new URL(url).pathname).toContain(`/items/${encodeURIComponent(itemId)}`);
    }
    expect((await runs.getFile(runId, blobName))?.status).toBe('failed');
    expect(((await snapshot()) as { blobs: unknown }).blobs).toEqual((before as { blobs: unknown }).blobs);
  });

  it.each([
    ['another host', () => `${evil.baseUrl}/v1.0/drives/x/items/y/children?$skiptoken=1`],
    ['the Graph host on another path', () => `${new URL(fx.apiBaseUrl).origin}/_emulator/requests`],
    ['a look-alike host', () => `https://127.0.0.1.evil.example${new URL(fx.apiBaseUrl).pathname}/x`],
  ])('a children nextLink to %s is refused, poisoned, and never fetched', async (_label, nextLink) => {
    // A run of its own: a listing that ends in the poison path fails its run, by design.
    const started = await startRestore(deps, {
      request: validateRestoreRequest(
        { targetContainer: uniqueName('nl'), folderPath: 'job1' },
        { disasterRecovery: true },
      ),
      connectionId: 'conn-1',
      rootFolder: 'Backups',
    });
    const first = queue.shift() as ListMessage;
    expect(queue).toEqual([]);
    const requests = fetched.length;
    const evilBefore = evil.requests.length;
    const tampered: ListMessage = {
      ...first,
      source: { type: 'drive', folderId: itemIds.get('a.txt')!, relPath: '', page: 1, nextLink: nextLink() },
    };
    const error = await deliverUntilPoison(tampered);
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect((error as Error).message).toMatch(/nextLink does not point at the connection's Graph API/);
    expect(fetched.length).toBe(requests);
    expect(evil.requests.length).toBe(evilBefore);
    const run = (await runs.get(started.runPartition, started.runId))?.value;
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/kept failing/) });
    expect(queue).toEqual([]);
  });

  it.each([
    ['a file in another top-level folder', () => otherItemId, 'Private'],
    ["a file in a sibling folder whose name starts with the root's", () => siblingItemId, 'Backups/job10'],
  ])(
    'an item id of %s fails the file (MessageInvalid) and writes nothing',
    async (_label, itemId, folder) => {
      const run = await freshRun();
      const requests = fetched.length;
      logs.length = 0;
      await handleRestoreMessage(deps, {
        ...fileBase(),
        runId: run.runId,
        runPartition: run.runPartition,
        itemId: itemId(),
        blobName: 'a.txt',
        size: 500,
      });
      const row = await runs.getFile(run.runId, 'a.txt');
      expect(row).toMatchObject({ status: 'failed', code: 'MessageInvalid', driveItemId: itemId() });
      expect(row?.reason).toContain(`lies in "${folder}", outside the restored folder "Backups/job1"`);
      expect(logs.find((l) => l.event === 'restore.file.failed')).toMatchObject({
        errorCode: 'MessageInvalid',
      });
      // Not a block staged, let alone committed; the item's bytes were never downloaded.
      expect(await everyBlob(run.target)).toEqual([]);
      const sent = fetched.slice(requests);
      expect(sent.filter((u) => new URL(u).pathname.startsWith('/dl/'))).toEqual([]);
      expect(sent.filter((u) => u.endsWith('/content'))).toEqual([]);
      expect(toEvil()).toBe(0);
    },
  );

  it('an item under the restored folder named by a task is still restored: the check is no blanket refusal', async () => {
    const run = await freshRun();
    await handleRestoreMessage(deps, {
      ...fileBase(),
      runId: run.runId,
      runPartition: run.runPartition,
      itemId: itemIds.get('dir/b.bin')!,
      blobName: 'dir/b.bin',
      size: 70_000,
    });
    expect((await runs.getFile(run.runId, 'dir/b.bin'))?.status).toBe('uploaded');
    const restored = await containerFor(run.target).getBlobClient('dir/b.bin').downloadToBuffer();
    expect(restored.equals(FILES.get('dir/b.bin')!)).toBe(true);
  });
});

describe("tampered restore specs: the run's record decides where bytes go; a message that disagrees is refused", () => {
  const https = (url: string): string => url.replace(/^http:/, 'https:');
  const tamperedSpecs: Array<[string, (s: RestoreSpec, evilUrl: string) => Record<string, unknown>, string]> =
    [
      ['another blob endpoint', (s, e) => ({ ...s, blobEndpoint: https(e) }), 'blobEndpoint'],
      [
        'another target container',
        (s) => ({ ...s, targetContainer: uniqueName('elsewhere') }),
        'targetContainer',
      ],
      ['a wider root folder (the whole drive)', (s) => ({ ...s, rootPath: '' }), 'rootPath'],
      ['another connection', (s) => ({ ...s, connectionId: 'conn-2' }), 'connectionId'],
      ['another overwrite policy', (s) => ({ ...s, overwrite: 'clobber' }), 'overwrite'],
      ['a Graph base URL the record does not have', (s, e) => ({ ...s, graphBaseUrl: e }), 'graphBaseUrl'],
      [
        'only an endpoint, every other field left out',
        (_s, e) => ({ blobEndpoint: https(e) }),
        'blobEndpoint',
      ],
    ];

  it.each(tamperedSpecs)(
    'a file task with %s: MessageInvalid, poisoned, no request, no blob, no run change',
    async (_label, tamper, field) => {
      const run = await freshRun();
      const before = await snapshot();
      const runBefore = await runs.get(run.runPartition, run.runId);
      const requests = fetched.length;
      const used = specsUsed.length;
      logs.length = 0;
      const message = {
        ...fileBase(),
        runId: run.runId,
        runPartition: run.runPartition,
        spec: tamper(run.spec, evil.baseUrl),
      };
      const error = await deliverUntilPoison(message);
      expect(isAppError(error, 'MessageInvalid')).toBe(true);
      expect((error as Error).message).toMatch(new RegExp(`differs from the run's record in ${field}`));
      expect(poisonEvent()).toMatchObject({ event: 'restore.poison.refused' });
      // No target was ever asked for: not the claimed one, not even the recorded one.
      expect(specsUsed.length).toBe(used);
      expect(fetched.length).toBe(requests);
      expect(await everyBlob(run.target)).toEqual([]);
      const claimed = message.spec.targetContainer;
      if (typeof claimed === 'string' && claimed !== run.target)
        expect(await containerFor(claimed).exists()).toBe(false);
      // The poison handler recorded nothing on the run the message named.
      expect(await runs.getFile(run.runId, 'a.txt')).toBeUndefined();
      expect((await runs.get(run.runPartition, run.runId))?.value).toEqual(runBefore?.value);
      expect(await snapshot()).toEqual(before);
    },
  );

  it('a listing with a tampered spec is refused before any container is created or request sent', async () => {
    const run = await freshRun();
    const requests = fetched.length;
    const used = specsUsed.length;
    const elsewhere = uniqueName('elsewhere');
    const error = await deliverUntilPoison({
      v: 1,
      kind: 'list',
      runId: run.runId,
      runPartition: run.runPartition,
      spec: { ...run.spec, targetContainer: elsewhere },
      source: { type: 'drive', relPath: '', page: 0 },
    });
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect(specsUsed.length).toBe(used);
    expect(fetched.length).toBe(requests);
    expect(await containerFor(elsewhere).exists()).toBe(false);
    expect(queue).toEqual([]);
    // A refused listing does not fail the run it named: the poison handler refuses it too.
    expect((await runs.get(run.runPartition, run.runId))?.value.status).toBe('queued');
  });

  it("a legacy task whose spec copy equals the record is handled, with the record's target", async () => {
    const run = await freshRun();
    const used = specsUsed.length;
    await handleRestoreMessage(deps, {
      ...fileBase(),
      runId: run.runId,
      runPartition: run.runPartition,
      spec: { ...run.spec },
    });
    expect(specsUsed.slice(used)).toEqual([run.spec]);
    const restored = await containerFor(run.target).getBlobClient('a.txt').downloadToBuffer();
    expect(restored.equals(FILES.get('a.txt')!)).toBe(true);
  });

  it('the tasks a listing queues carry ids and positions only, no spec', async () => {
    const run = await freshRun();
    await handleRestoreMessage(deps, {
      v: 1,
      kind: 'list',
      runId: run.runId,
      runPartition: run.runPartition,
      source: { type: 'drive', relPath: '', page: 0 },
    });
    expect(queue.length).toBeGreaterThan(0);
    for (const message of queue.splice(0)) {
      expect(message).not.toHaveProperty('spec');
      expect(JSON.stringify(message)).not.toContain(run.target);
    }
  });
});

describe('the folder check on the paths Graph gives', () => {
  it.each([
    ['/drive/root:/Backups/job1', 'Backups/job1', true],
    ['/drive/root:/Backups/job1/deep/er', 'Backups/job1', true],
    ['/drives/b!abc/root:/Backups/job%201/x', 'Backups/job 1', true], // percent-encoded, as Graph sends it
    ['/drive/root:/backups/JOB1', 'Backups/job1', true], // OneDrive paths ignore case
    ['/drive/root:/Backups/job10', 'Backups/job1', false],
    ['/drive/root:/Backups', 'Backups/job1', false],
    ['/drive/root:', 'Backups/job1', false],
    ['/drive/root:/Private', 'Backups/job1', false],
    ['/drive/root:/Anything', '', true], // a restore of the whole drive
  ])('%s under "%s": %s', (path, root, inside) => {
    expect(isInsideFolder(parentFolderOf(path)!, root)).toBe(inside);
  });

  it('a path without the root marker is unknown, never inside', () => {
    expect(parentFolderOf(undefined)).toBeUndefined();
    expect(parentFolderOf('Backups/job1')).toBeUndefined();
  });
});
