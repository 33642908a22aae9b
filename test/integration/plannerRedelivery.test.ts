// A planner page delivered twice (its first delivery queued the upload tasks, then the queue gave
// the message out again: the host died before deleting it, or its lease ran out). Files the run
// already uploaded now match the manifest; counted as skipped, they would shrink the run's plan so
// the run ended while its other tasks were still queued. Against Azurite and the Graph emulator.
import { handlePlanMessage } from '../../src/backup/planner';
import { startRun } from '../../src/backup/scheduler';
import { handleUploadMessage } from '../../src/backup/uploader';
import { ManualClock } from '../../src/backup/upload/clock';
import { QUEUES } from '../../src/app/queues';
import { setLogSink, type LogSink } from '../../src/log/logger';
import {
  backupDeps,
  content,
  createBackupJob,
  deliverAll,
  memoryQueue,
  newContainer,
  putBlob,
  startGraph,
  type GraphFixture,
} from './backupHarness';

let fx: GraphFixture;
let previousSink: LogSink;

beforeAll(async () => {
  previousSink = setLogSink(() => undefined);
  fx = await startGraph('work');
});
afterAll(async () => {
  setLogSink(previousSink);
  await fx.graph.stop();
});

describe('a planner page redelivered after its tasks were queued', () => {
  it('keeps the files this run already uploaded in its plan, so the run ends only after every task', async () => {
    const container = await newContainer();
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const { queue, send } = memoryQueue();
    const deps = backupDeps({
      fx,
      clock,
      send,
      rootFolder: 'Apps/Redelivery',
      plannerPageSize: 10,
      logName: 'planner-redelivery',
    });
    const job = await createBackupJob(deps, {
      name: 'mirror',
      container: container.containerName,
      now: new Date(clock.now()),
    });
    const names = ['a.bin', 'b.bin', 'c.bin'];
    for (const name of names) await putBlob(container, name, content(1000));
    const run = await startRun(deps, job.id, 'manual');

    const page = queue.shift()!;
    expect(page.queue).toBe(QUEUES.plan);
    await handlePlanMessage(deps, page.message);
    const tasks = queue.splice(0);
    expect(tasks).toHaveLength(names.length);
    // Two of the three files are uploaded before the page comes again.
    for (const task of tasks.slice(0, 2)) await handleUploadMessage(deps, task.message);

    await handlePlanMessage(deps, page.message);
    const afterRedelivery = (await deps.runs.get(job.id, run.id))!.value;
    expect(afterRedelivery.status).toBe('running');
    const live = await deps.runs.totals(run.id);
    expect(live.totals).toMatchObject({ plannedFiles: 3, skippedFiles: 0 });

    // The third file's task, still queued from the first delivery, then the redelivered page's copies.
    queue.unshift(tasks[2]);
    await deliverAll(deps, queue);
    const done = (await deps.runs.get(job.id, run.id))!.value;
    expect(done.status).toBe('succeeded');
    expect(done.totals).toMatchObject({ plannedFiles: 3, uploadedFiles: 3, skippedFiles: 0, failedFiles: 0 });
    for (const name of names) expect(await deps.manifest.get(job.id, name)).toBeDefined();
  });
});
