// A restore writes only inside its own container. The storage SDK resolves a blob's URL the way a
// browser does, so a blob name with ".." segments addresses another container of the account. Each
// test aims such a name (and its relatives: "." and empty segments, backslashes) at another
// container through the real restorer, over Azurite and the Graph emulator, and checks that no
// blob or staged block appears there or in the run's own container. Names with control characters
// (which backups hold) are restored, under exactly their name, inside the run's container.
import type { TableClient } from '@azure/data-tables';
import { isAppError } from '../../src/errors';
import { setLogSink, type LogSink } from '../../src/log/logger';
import type { RestoreDeps } from '../../src/restore/deps';
import type { FileMessage, RestoreMessage } from '../../src/restore/messages';
import { validateRestoreRequest } from '../../src/restore/request';
import { startRestore } from '../../src/restore/start';
import { blockBlobTarget } from '../../src/restore/target/blockBlobTarget';
import { handleRestoreMessage, handleRestorePoison } from '../../src/restore/worker';
import type { Job } from '../../src/store/jobs';
import { encodeRowKey } from '../../src/store/manifest';
import type { RunStore } from '../../src/store/runs';
import { uniqueName } from '../helpers/azurite';
import {
  containerFor,
  content,
  putDriveFile,
  restoreWorld,
  startDrive,
  type DriveFixture,
} from '../integration/restoreHarness';

let fx: DriveFixture;
let previousSink: LogSink;
const logs: Array<Record<string, unknown>> = [];
let deps: RestoreDeps;
let runs: RunStore;
let manifestTable: TableClient;
let queue: RestoreMessage[];
const data = content(1200);
let itemId = '';
/** Another container of the same account: what a climbing name would reach. */
let victim = '';

/** Every blob name in a container, uncommitted ones (staged blocks) included. */
async function everyBlob(container: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of containerFor(container).listBlobsFlat({ includeUncommitedBlobs: true }))
    names.push(blob.name);
  return names.sort();
}

beforeAll(async () => {
  previousSink = setLogSink((line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  fx = await startDrive();
  itemId = await putDriveFile(fx, 'Backups/job1/a.txt', data);
  const world = await restoreWorld(fx, 'restore-containment');
  ({ deps, runs, queue } = world);
  manifestTable = world.manifest;
  victim = uniqueName('victim');
  await containerFor(victim).create();
}, 60_000);

afterAll(async () => {
  setLogSink(previousSink);
  await fx.graph.stop();
});

const climbing = (): Array<[string, string, RegExp]> => [
  ['".." up into another container', `../${victim}/planted.txt`, /"\.\." path segment/],
  ['".." after a folder', `x/../../${victim}/planted.txt`, /"\.\." path segment/],
  ['a "." segment', `./a.txt`, /"\." path segment/],
  ['a leading /', `/${victim}/planted.txt`, /empty path segment/],
  ['a double /', `a//planted.txt`, /empty path segment/],
  ['a trailing /', `folder/`, /empty path segment/],
  ['backslashes', `..\\${victim}\\planted.txt`, /backslash/],
  ['an empty name', ``, /empty/],
];

/** A restore of its own into a fresh, empty container (its listing not delivered), and a task for it. */
async function fileTaskOfFreshRun(
  blobName: string,
): Promise<{ target: string; runId: string; task: FileMessage }> {
  const target = uniqueName('restored');
  const started = await startRestore(deps, {
    request: validateRestoreRequest(
      { targetContainer: target, folderPath: 'job1' },
      { disasterRecovery: true },
    ),
    connectionId: 'conn-1',
    rootFolder: 'Backups',
  });
  queue.length = 0;
  await containerFor(target).create();
  const { runId, runPartition } = started;
  return {
    target,
    runId,
    task: { v: 1, kind: 'file', runId, runPartition, itemId, blobName, size: data.length },
  };
}

describe('a forged file task cannot write outside the run’s container', () => {
  it.each(climbing().map(([label]) => [label]))('%s: refused, nothing written anywhere', async (label) => {
    const [, blobName, reason] = climbing().find(([l]) => l === label)!;
    const { target, runId, task } = await fileTaskOfFreshRun(blobName);
    const error = await handleRestoreMessage(deps, task).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect((error as Error).message).toMatch(reason);
    logs.length = 0;
    await handleRestorePoison(deps, task);
    expect(logs.some((l) => l.event === 'restore.poison.unreadable')).toBe(true);
    expect(await everyBlob(victim)).toEqual([]);
    expect(await everyBlob(target)).toEqual([]);
    expect(await runs.countFileOutcomes(runId)).toMatchObject({ failedFiles: 0, uploadedFiles: 0 });
  });

  it('a name with control characters is restored under exactly that name, inside the run’s container', async () => {
    // A tab between the dots is percent-encoded, so the URL parser never sees a ".." segment.
    const blobName = 'ctl/.\t./tab\tdel\u007f.txt';
    const { target, task } = await fileTaskOfFreshRun(blobName);
    await handleRestoreMessage(deps, task);
    expect(await everyBlob(victim)).toEqual([]);
    expect(await everyBlob(target)).toEqual([blobName]);
    expect((await containerFor(target).getBlobClient(blobName).downloadToBuffer()).equals(data)).toBe(true);
  });

  it('the target refuses a climbing name itself, before any client is made for it', () => {
    let error: unknown;
    try {
      blockBlobTarget(containerFor('restored'), `x/../../${victim}/planted.txt`);
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, 'MessageInvalid')).toBe(true);
    expect((error as Error).message).toMatch(/cannot be written in container "restored"/);
  });
});

describe('a listed name that climbs out fails its file, and the rest of the restore completes', () => {
  it('a manifest entry named "../victim/…" is failed with the reason; no blob lands in the other container', async () => {
    const jobId = uniqueName('job');
    const evil = `x/../../${victim}/from-manifest.txt`;
    for (const blobName of ['a.txt', evil])
      await manifestTable.createEntity({
        partitionKey: jobId,
        rowKey: encodeRowKey(blobName),
        blobName,
        driveItemId: itemId,
        size: data.length,
      });
    const target = uniqueName('restored');
    const job = { id: jobId, destinationFolder: 'job1', mode: 'mirror', source: { container: 'src' } } as Job;
    const started = await startRestore(deps, {
      request: validateRestoreRequest({ targetContainer: target }, { disasterRecovery: false }),
      connectionId: 'conn-1',
      rootFolder: 'Backups',
      job,
      manifestHasEntries: true,
    });
    expect(started.source).toBe('manifest');
    while (queue.length) await handleRestoreMessage(deps, queue.shift()!);

    expect(await everyBlob(victim)).toEqual([]);
    expect(await everyBlob(target)).toEqual(['a.txt']);
    expect(await runs.getFile(started.runId, evil)).toMatchObject({
      status: 'failed',
      code: 'MessageInvalid',
      reason: expect.stringMatching(/"\.\." path segment/),
    });
    expect((await runs.get(started.runPartition, started.runId))?.value.status).toBe('partially-failed');
  });
});
