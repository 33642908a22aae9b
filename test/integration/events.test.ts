// Event-driven backups through the real handlers, against Azurite and the Graph emulator: blob
// events are recorded, settle, and hand the blob to the same uploader the planner feeds; bursts,
// duplicates and reordering copy each version once and never an older one over a newer; deletions
// propagate only for jobs that ask, and never for a blob that exists again; events outside the job
// and forged ones do nothing; the scheduled run, still the safety net, counts what events missed.
import { QUEUES } from '../../src/app/queues';
import { handlePlanMessage } from '../../src/backup/planner';
import { startRun } from '../../src/backup/scheduler';
import type { Run } from '../../src/store/runs';
import { content, useGraph, type GraphFixture } from './backupHarness';
import {
  blobEvent,
  deliverEvent,
  drain,
  driveFiles,
  eventsWorld,
  graphRequests,
  settle,
  SETTLE_SECONDS,
  uploadsOf,
  write,
  type EventsWorld,
} from './eventsWorld';

let fx: GraphFixture;
const logLines: Array<Record<string, unknown>> = [];
const logged = (event: string): Array<Record<string, unknown>> => logLines.filter((l) => l.event === event);

useGraph(
  'work',
  (started) => (fx = started),
  (line) => void logLines.push(JSON.parse(line) as Record<string, unknown>),
);
beforeEach(() => {
  logLines.length = 0;
});

async function eventsRuns(w: EventsWorld): Promise<Run[]> {
  return (await w.backup.runs.listForJob(w.job.id)).filter((r) => r.trigger === 'events');
}

/** Delivers the (one) planner message queued, and nothing it queues. */
async function deliverPlanPage(w: EventsWorld): Promise<void> {
  const index = w.queue.findIndex((m) => m.queue === QUEUES.plan);
  const [{ message }] = w.queue.splice(index, 1);
  await handlePlanMessage(w.backup, message);
}

async function scheduledRun(w: EventsWorld): Promise<Run> {
  const started = await startRun(w.backup, w.job.id, 'schedule');
  await drain(w);
  return (await w.backup.runs.get(w.job.id, started.id))!.value;
}

describe('blob created', () => {
  it('copies a new blob once it settled, in an events run, with nothing uploaded before the settle time', async () => {
    const w = await eventsWorld(fx);
    const data = content(3000);
    await write(w, 'docs/a.txt', data);
    await deliverEvent(w, blobEvent(w, 'created', 'docs/a.txt'));
    await drain(w);
    expect(uploadsOf(w, 'a.txt')).toBe(0);
    expect(w.queue.map((m) => m.queue)).toEqual([QUEUES.blobSettle]);

    await settle(w);
    expect(driveFiles(w).get('docs/a.txt')?.equals(data)).toBe(true);
    expect(uploadsOf(w, 'a.txt')).toBe(1);
    const [run] = await eventsRuns(w);
    expect(run).toMatchObject({ trigger: 'events', kind: 'backup', status: 'running' });
    const live = await w.backup.runs.totals(run.id);
    expect(live.totals).toMatchObject({ plannedFiles: 1, uploadedFiles: 1, uploadedBytes: 3000 });
    expect((await w.backup.manifest.get(w.job.id, 'docs/a.txt'))?.size).toBe(3000);
  });

  it('uploads a burst of writes to one blob once, the last version, after it stopped changing', async () => {
    const w = await eventsWorld(fx);
    let last = content(10);
    for (let i = 0; i < 5; i += 1) {
      last = content(100 + i);
      await write(w, 'burst.bin', last);
      await deliverEvent(w, blobEvent(w, 'created', 'burst.bin'));
      w.clock.advance(1000);
      await drain(w);
    }
    await settle(w);
    expect(uploadsOf(w, 'burst.bin')).toBe(1);
    expect(driveFiles(w).get('burst.bin')?.equals(last)).toBe(true);
    // Four of the five checks found a newer event and did nothing.
    expect(w.outcomes.filter((o) => o === 'superseded')).toHaveLength(4);
    expect(w.outcomes.filter((o) => o === 'queued')).toHaveLength(1);
  });

  it('waits again while the blob keeps changing, whatever the events say', async () => {
    const w = await eventsWorld(fx);
    // The test clock runs 3 s behind Azurite's (wall-clock) last-modified stamps.
    w.clock.advance(-3000);
    await write(w, 'busy.log', content(50));
    await deliverEvent(w, blobEvent(w, 'created', 'busy.log'));
    // The check comes due, but the blob was written again a moment ago (its event not yet delivered).
    w.clock.advance(SETTLE_SECONDS * 1000);
    const now = content(60);
    await write(w, 'busy.log', now);
    await drain(w);
    expect(w.outcomes).toEqual(['waiting']);
    expect(uploadsOf(w, 'busy.log')).toBe(0);
    await settle(w);
    expect(driveFiles(w).get('busy.log')?.equals(now)).toBe(true);
    expect(uploadsOf(w, 'busy.log')).toBe(1);
  });

  it('leaves a burst to its last event: an earlier check due meanwhile reads nothing and waits for nothing', async () => {
    const w = await eventsWorld(fx);
    let reads = 0;
    const source = w.backup.source;
    w.backup.source = (job) => {
      const real = source(job);
      return { ...real, properties: async (name) => ((reads += 1), real.properties(name)) };
    };
    w.clock.advance(-3000);
    await write(w, 'series.csv', content(30));
    await deliverEvent(w, blobEvent(w, 'created', 'series.csv'));
    w.clock.advance(SETTLE_SECONDS * 1000);
    // The first check is due, but the blob was written again and that event arrived first.
    const last = content(31);
    await write(w, 'series.csv', last);
    await deliverEvent(w, blobEvent(w, 'created', 'series.csv'));
    await drain(w);
    expect(w.outcomes).toEqual(['superseded']);
    expect(reads).toBe(0);
    await settle(w);
    expect(w.outcomes).toEqual(['superseded', 'queued']);
    expect(driveFiles(w).get('series.csv')?.equals(last)).toBe(true);
  });

  it('does nothing for duplicated deliveries of an event, before or after the copy', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'dup.txt', content(20));
    const event = blobEvent(w, 'created', 'dup.txt');
    for (let i = 0; i < 3; i += 1) await deliverEvent(w, event);
    await settle(w);
    expect(uploadsOf(w, 'dup.txt')).toBe(1);
    const before = graphRequests(w);
    await deliverEvent(w, event);
    await settle(w);
    expect(w.outcomes.at(-1)).toBe('unchanged');
    expect(graphRequests(w)).toBe(before);
  });

  it('never copies an older version over a newer one when events arrive out of order', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'order.txt', content(10));
    const first = blobEvent(w, 'created', 'order.txt');
    w.clock.advance(2000);
    const newer = content(11);
    await write(w, 'order.txt', newer);
    const second = blobEvent(w, 'created', 'order.txt');
    // The newer event first; the older one arrives after the newer version was copied.
    await deliverEvent(w, second);
    await settle(w);
    expect(driveFiles(w).get('order.txt')?.equals(newer)).toBe(true);
    await deliverEvent(w, first);
    await settle(w);
    expect(uploadsOf(w, 'order.txt')).toBe(1);
    expect(driveFiles(w).get('order.txt')?.equals(newer)).toBe(true);
    expect((await w.backup.manifest.get(w.job.id, 'order.txt'))?.size).toBe(11);
  });

  it('copies a second change of a copied blob in the same events run, counting both copies', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'twice.txt', content(5));
    await deliverEvent(w, blobEvent(w, 'created', 'twice.txt'));
    await settle(w);
    const changed = content(6);
    await write(w, 'twice.txt', changed);
    await deliverEvent(w, blobEvent(w, 'created', 'twice.txt'));
    await settle(w);
    expect(uploadsOf(w, 'twice.txt')).toBe(2);
    expect(driveFiles(w).get('twice.txt')?.equals(changed)).toBe(true);
    const runs = await eventsRuns(w);
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe('running');
    expect((await w.backup.runs.totals(runs[0].id)).totals).toMatchObject({
      plannedFiles: 2,
      uploadedFiles: 2,
    });
  });
});

describe('blob deleted', () => {
  it('removes the copy (to the recycle bin) and its manifest row for a mirror that propagates deletions', async () => {
    const w = await eventsWorld(fx, { propagateDeletes: true });
    await write(w, 'gone.txt', content(7));
    await deliverEvent(w, blobEvent(w, 'created', 'gone.txt'));
    await settle(w);
    expect(driveFiles(w).has('gone.txt')).toBe(true);
    await w.container.deleteBlob('gone.txt');
    await deliverEvent(w, blobEvent(w, 'deleted', 'gone.txt'));
    await settle(w);
    expect(w.outcomes.at(-1)).toBe('removed');
    expect(driveFiles(w).has('gone.txt')).toBe(false);
    expect(fx.graph.recycleBin(fx.driveId).some((r) => r.path.endsWith(`${w.jobFolder}/gone.txt`))).toBe(
      true,
    );
    expect(await w.backup.manifest.get(w.job.id, 'gone.txt')).toBeUndefined();
  });

  it('ignores a deletion of a blob that was re-created, and copies its new content', async () => {
    const w = await eventsWorld(fx, { propagateDeletes: true });
    await write(w, 'again.txt', content(7));
    await deliverEvent(w, blobEvent(w, 'created', 'again.txt'));
    await settle(w);
    await w.container.deleteBlob('again.txt');
    const reborn = content(8);
    await write(w, 'again.txt', reborn);
    // The deletion's event arrives after the re-creation (or the creation's event was lost).
    await deliverEvent(w, blobEvent(w, 'deleted', 'again.txt'));
    await settle(w);
    expect(logged('events.delete.ignored')).toHaveLength(1);
    expect(driveFiles(w).get('again.txt')?.equals(reborn)).toBe(true);
    expect(fx.graph.recycleBin(fx.driveId).some((r) => r.path.endsWith(`${w.jobFolder}/again.txt`))).toBe(
      false,
    );
  });

  it('keeps the copy when the job does not propagate deletions', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'kept.txt', content(7));
    await deliverEvent(w, blobEvent(w, 'created', 'kept.txt'));
    await settle(w);
    await w.container.deleteBlob('kept.txt');
    await deliverEvent(w, blobEvent(w, 'deleted', 'kept.txt'));
    await settle(w);
    expect(driveFiles(w).has('kept.txt')).toBe(true);
    // Written again and deleted before its check came due: the check finds it gone, and keeps the copy.
    await write(w, 'kept.txt', content(8));
    await deliverEvent(w, blobEvent(w, 'created', 'kept.txt'));
    await w.container.deleteBlob('kept.txt');
    await settle(w);
    expect(w.outcomes.at(-1)).toBe('gone');
    expect(driveFiles(w).has('kept.txt')).toBe(true);
    expect(await w.backup.manifest.get(w.job.id, 'kept.txt')).toBeDefined();
  });
});

describe('events that are not the job’s', () => {
  it('ignores blobs outside the job’s prefix or container, and jobs on the schedule alone', async () => {
    const w = await eventsWorld(fx, { source: { container: 'placeholder', prefix: 'in/' } });
    // The job reads the world's container under in/.
    await w.backup.jobs.save({ ...w.job, source: { container: w.container.containerName, prefix: 'in/' } });
    await write(w, 'out/x.txt', content(3));
    await deliverEvent(w, blobEvent(w, 'created', 'out/x.txt'));
    await deliverEvent(
      w,
      blobEvent(w, 'created', 'in/y.txt', {
        subject: '/blobServices/default/containers/othercontainer/blobs/in/y.txt',
        data: { url: `http://127.0.0.1:10000/devstoreaccount1/othercontainer/in/y.txt` },
      }),
    );
    expect(w.queue).toHaveLength(0);
    expect(logged('events.ignored')).toHaveLength(2);

    await w.backup.jobs.save({
      ...w.job,
      source: { container: w.container.containerName, prefix: 'in/' },
      trigger: 'schedule',
    });
    await write(w, 'in/z.txt', content(3));
    await deliverEvent(w, blobEvent(w, 'created', 'in/z.txt'));
    expect(w.queue).toHaveLength(0);
  });

  it('drops a settle check once its job was disabled after the event', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'late.txt', content(3));
    await deliverEvent(w, blobEvent(w, 'created', 'late.txt'));
    expect(w.queue).toHaveLength(1);
    await w.backup.jobs.save({ ...w.job, enabled: false });
    await settle(w);
    expect(w.outcomes).toEqual(['not-for-events']);
    expect(uploadsOf(w, 'late.txt')).toBe(0);
  });

  it('refuses forged events with the reason and does nothing for them', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'target.txt', content(3));
    const forged = [
      // Another storage account than the app expects.
      blobEvent(w, 'created', 'target.txt', {
        topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/evilaccount',
        data: { url: `http://127.0.0.1:10000/evilaccount/${w.container.containerName}/target.txt` },
      }),
      // Not a storage account at all.
      blobEvent(w, 'created', 'target.txt', {
        topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v',
      }),
      // A subject that is not a blob of the blob service.
      blobEvent(w, 'created', 'target.txt', {
        subject: `/containers/${w.container.containerName}/target.txt`,
      }),
      // Path tricks in the blob name.
      blobEvent(w, 'created', '../target.txt'),
      blobEvent(w, 'created', 'a/./target.txt'),
      // The URL names another blob than the subject.
      blobEvent(w, 'created', 'target.txt', {
        data: { url: `http://127.0.0.1:10000/devstoreaccount1/${w.container.containerName}/other.txt` },
      }),
      'not an event',
    ];
    for (const event of forged) await deliverEvent(w, event);
    expect(w.queue).toHaveLength(0);
    const reasons = logged('events.refused').map((l) => l.reason);
    expect(reasons).toEqual([
      'events from storage account evilaccount are not expected',
      'the topic is not a storage account',
      'the subject is not a blob of the blob service',
      'the blob name holds a . or .. segment',
      'the blob name holds a . or .. segment',
      'data.url names another blob than the subject',
      'the event is not a JSON object',
    ]);
  });

  it('refuses a settle check that names no recorded event', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'quiet.txt', content(3));
    w.queue.push({
      queue: QUEUES.blobSettle,
      message: { v: 1, jobId: w.job.id, blobName: 'quiet.txt', token: 'forgedtoken123', waits: 0 },
      visibleAt: 0,
    });
    await settle(w);
    expect(w.outcomes).toEqual(['superseded']);
    expect(uploadsOf(w, 'quiet.txt')).toBe(0);
  });
});

describe('the scheduled run as the safety net', () => {
  it('counts the files events missed, and none that events copied', async () => {
    const w = await eventsWorld(fx);
    await write(w, 'seen.txt', content(4));
    await deliverEvent(w, blobEvent(w, 'created', 'seen.txt'));
    await settle(w);
    // Its event was lost: written after events began, never announced.
    await write(w, 'missed.txt', content(5));
    // Long enough ago that its event and upload would have been done.
    w.clock.advance(10 * 60 * 1000);
    const run = await scheduledRun(w);
    expect(run.status).toBe('succeeded');
    expect(run.totals).toMatchObject({
      plannedFiles: 1,
      skippedFiles: 1,
      uploadedFiles: 1,
      missedByEvents: 1,
    });
    expect(driveFiles(w).has('missed.txt')).toBe(true);
  });

  it('counts nothing as missed for a job on the schedule alone, or for files changed before events began', async () => {
    const w = await eventsWorld(fx, { trigger: 'schedule' });
    await write(w, 'plain.txt', content(4));
    w.clock.advance(10 * 60 * 1000);
    expect((await scheduledRun(w)).totals?.missedByEvents).toBeUndefined();

    const v = await eventsWorld(fx);
    await write(v, 'old.txt', content(4));
    // The job turned to events after the file was written.
    await v.backup.jobs.save({ ...v.job, eventsSince: new Date(v.clock.now() + 60_000).toISOString() });
    v.clock.advance(10 * 60 * 1000);
    expect((await scheduledRun(v)).totals?.missedByEvents).toBeUndefined();
  });

  it('does not remove a file that events copied while a propagating scheduled run was listing', async () => {
    const w = await eventsWorld(fx, { propagateDeletes: true });
    await write(w, 'during.txt', content(4));
    await deliverEvent(w, blobEvent(w, 'created', 'during.txt'));
    await settle(w);
    await write(w, 'other.txt', content(3));
    w.clock.advance(60_000);
    const started = await startRun(w.backup, w.job.id, 'schedule');
    // The planner lists both: during.txt unchanged (seen by the scheduled run), other.txt to upload.
    await deliverPlanPage(w);
    const pending = w.queue.splice(0, w.queue.length);
    expect(pending.map((m) => m.queue)).toEqual([QUEUES.upload]);
    // Then during.txt changes and its event copies it before the scheduled run ends.
    const changed = content(9);
    await write(w, 'during.txt', changed);
    await deliverEvent(w, blobEvent(w, 'created', 'during.txt'));
    await settle(w);
    w.queue.push(...pending);
    await drain(w);
    const run = (await w.backup.runs.get(w.job.id, started.id))!.value;
    expect(run.status).toBe('succeeded');
    expect(driveFiles(w).get('during.txt')?.equals(changed)).toBe(true);
    expect(await w.backup.manifest.get(w.job.id, 'during.txt')).toBeDefined();
  });
});
