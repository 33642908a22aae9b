// The planner lists a run's next page while it writes the current one (src/backup/pagePrefetch.ts):
// on Azurite, each page of a three-page container is listed once, the next page's listing starts
// before its message is handled, a forged message for that page is refused without using it, and
// the run still uploads every file.
import { QUEUES } from '../../src/app/queues';
import type { BackupDeps } from '../../src/backup/deps';
import { PagePrefetch } from '../../src/backup/pagePrefetch';
import { handlePlanMessage } from '../../src/backup/planner';
import { startRun } from '../../src/backup/scheduler';
import { ManualClock } from '../../src/runtime/clock';
import type { BlobSource } from '../../src/sources/types';
import {
  azuriteBlobSource,
  backupDeps,
  content,
  createBackupJob,
  deliverAll,
  memoryQueue,
  newContainer,
  putBlob,
  useGraph,
  type GraphFixture,
  type QueuedMessage,
} from './backupHarness';

let fx: GraphFixture;
useGraph('work', (started) => (fx = started));

function takePlanMessage(queue: QueuedMessage[]): Record<string, unknown> {
  const at = queue.findIndex((m) => m.queue === QUEUES.plan);
  expect(at).toBeGreaterThanOrEqual(0);
  return queue.splice(at, 1)[0].message as Record<string, unknown>;
}

describe('planning with the next page listed ahead', () => {
  it('lists each page once, the next one before its message comes, and plans every file', async () => {
    const container = await newContainer();
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt'])
      await putBlob(container, name, content(100));
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
    const { queue, send } = memoryQueue();
    // Every listing the planner asks the source for, by continuation token (undefined: the first).
    const listings: Array<string | undefined> = [];
    const source = (job: Parameters<BackupDeps['source']>[0]): BlobSource => {
      const real = azuriteBlobSource(job);
      return Object.assign(Object.create(real) as BlobSource, {
        listPage: (token: string | undefined, size: number) => {
          listings.push(token);
          return real.listPage(token, size);
        },
      });
    };
    const deps: BackupDeps = {
      ...backupDeps({
        fx,
        clock,
        send,
        rootFolder: 'Prefetch',
        plannerPageSize: 2,
        logName: 'prefetch',
        source,
      }),
      pagePrefetch: new PagePrefetch(clock),
    };
    const job = await createBackupJob(deps, {
      name: 'prefetch',
      container: container.containerName,
      now: new Date(clock.now()),
    });
    const run = await startRun(deps, job.id, 'manual');

    await handlePlanMessage(deps, takePlanMessage(queue));
    // Page 0 listed, and page 1 already asked for with the token page 0 gave.
    expect(listings).toHaveLength(2);
    expect(listings[0]).toBeUndefined();
    const page1 = takePlanMessage(queue);
    expect(listings[1]).toBe(page1.continuationToken);

    // A message for page 1 with another token is refused before any listing is taken or made.
    await expect(
      handlePlanMessage(deps, { ...page1, continuationToken: `${String(page1.continuationToken)}x` }),
    ).rejects.toMatchObject({ code: 'MessageInvalid' });
    expect(listings).toHaveLength(2);

    // The real page 1 uses the listing made ahead, and starts page 2's.
    await handlePlanMessage(deps, page1);
    expect(listings).toHaveLength(3);
    await handlePlanMessage(deps, takePlanMessage(queue));
    expect(listings).toHaveLength(3);

    expect(await deliverAll(deps, queue)).toBe(5);
    const done = (await deps.runs.get(job.id, run.id))!.value;
    expect(done).toMatchObject({
      status: 'succeeded',
      pagesPlanned: 3,
      totals: { plannedFiles: 5, uploadedFiles: 5 },
    });
    expect(
      fx.graph
        .listFiles(fx.driveId)
        .map((f) => f.path.split('/').pop())
        .filter((name) => name?.endsWith('.txt'))
        .sort(),
    ).toEqual(['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt']);
  });
});
