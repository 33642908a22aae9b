// The events run of a day stays one run however often a blob changes: each settled version is planned
// again in the same run (the earlier outcome kept as a row of its own), uploaded once and counted once;
// a redelivered or forged task of an earlier version, or its poison message, is not taken for the new
// one; and a version that changes while the previous one is still being copied waits for it.
import { QUEUES } from '../../src/app/queues';
import { handleUploadPoison } from '../../src/backup/poison';
import { handleUploadMessage } from '../../src/backup/uploader';
import { closeEventsRun, MAX_OUTGOING_RUNS, openEventsRun } from '../../src/events/eventRun';
import { EventStateStore } from '../../src/events/eventState';
import { handleSettleCheck } from '../../src/events/settleCheck';
import { newRunId, type Run } from '../../src/store/runs';
import { azuriteTable, content, startGraph, type GraphFixture } from './backupHarness';
import {
  blobEvent,
  deliverEvent,
  drain,
  driveFiles,
  eventsWorld,
  settle,
  uploadsOf,
  write,
  type EventsWorld,
} from './eventsWorld';

let fx: GraphFixture;

beforeAll(async () => {
  fx = await startGraph('work');
});
afterAll(async () => {
  await fx.graph.stop();
});

async function eventsRuns(w: EventsWorld): Promise<Run[]> {
  return (await w.backup.runs.listForJob(w.job.id)).filter((r) => r.trigger === 'events');
}

/** Records a copy of every message sent to `queue` (the world's queue drops them once delivered). */
function recordSent(w: EventsWorld, queue: string): unknown[] {
  const sent: unknown[] = [];
  const send = w.backup.send;
  w.backup.send = async (q, message, options) => {
    if (q === queue) sent.push(JSON.parse(JSON.stringify(message)));
    return send(q, message, options);
  };
  return sent;
}

/** Runs the due settle checks, keeping the upload tasks they queue out of the queue (returned). */
async function planButHold(w: EventsWorld): Promise<EventsWorld['queue']> {
  w.clock.advance(7000);
  const held: EventsWorld['queue'] = [];
  for (;;) {
    const index = w.queue.findIndex((m) => m.visibleAt <= w.clock.now());
    if (index < 0) return held;
    const [m] = w.queue.splice(index, 1);
    if (m.queue === QUEUES.upload) held.push(m);
    else if (m.queue === QUEUES.blobSettle) await handleSettleCheck(w.events, m.message);
    else throw new Error(`unexpected ${m.queue}`);
  }
}

/** Writes a new version of `name`, announces it and lets it settle and copy. */
async function change(w: EventsWorld, name: string, size: number): Promise<Buffer> {
  const data = content(size);
  await write(w, name, data);
  await deliverEvent(w, blobEvent(w, 'created', name));
  await settle(w);
  return data;
}

it('keeps one events run for the day while a blob is rewritten and copied again and again', async () => {
  const w = await eventsWorld(fx);
  let last: Buffer | undefined;
  const sizes = [100, 101, 102, 103, 104];
  for (const size of sizes) last = await change(w, 'state.json', size);
  await change(w, 'other.txt', 7);

  expect(uploadsOf(w, 'state.json')).toBe(sizes.length);
  expect(last && driveFiles(w).get('state.json')?.equals(last)).toBe(true);
  const runs = await eventsRuns(w);
  expect(runs).toHaveLength(1);
  const [run] = runs;
  expect(run.status).toBe('running');
  const bytes = sizes.reduce((a, b) => a + b, 0) + 7;
  // Each copy counts once: the totals count uploads, not distinct files.
  expect((await w.backup.runs.totals(run.id)).totals).toMatchObject({
    plannedFiles: sizes.length + 1,
    plannedBytes: bytes,
    uploadedFiles: sizes.length + 1,
    uploadedBytes: bytes,
    failedFiles: 0,
  });
  // The exact count from the file rows, taken when the run closes, says the same.
  expect(await closeEventsRun(w.events, w.job.id, run.id)).toBe(true);
  const closed = (await w.backup.runs.get(w.job.id, run.id))!.value;
  expect(closed).toMatchObject({
    status: 'succeeded',
    totals: { plannedFiles: 6, uploadedFiles: 6, uploadedBytes: bytes, failedFiles: 0 },
  });
});

it('does not take a redelivered task of an earlier version, or its poison message, for the new version', async () => {
  const w = await eventsWorld(fx);
  const tasks = recordSent(w, QUEUES.upload);
  await change(w, 'log.txt', 10);
  const oldTask = tasks[0];
  const newer = content(20);
  await write(w, 'log.txt', newer);
  await deliverEvent(w, blobEvent(w, 'created', 'log.txt'));
  // Let the check plan the new version, but hold its upload task back.
  const held = await planButHold(w);
  expect(held).toHaveLength(1);
  const [run] = await eventsRuns(w);
  expect((await w.backup.runs.getFile(run.id, 'log.txt'))?.status).toBe('planned');

  // The earlier version's task again (a redelivery or a replay), then its poison message.
  await handleUploadMessage(w.backup, oldTask);
  await handleUploadPoison(w.backup, oldTask);
  expect(uploadsOf(w, 'log.txt')).toBe(1);
  const row = await w.backup.runs.getFile(run.id, 'log.txt');
  expect(row).toMatchObject({ status: 'planned', size: 20 });

  w.queue.push(...held);
  await drain(w);
  expect(uploadsOf(w, 'log.txt')).toBe(2);
  expect(driveFiles(w).get('log.txt')?.equals(newer)).toBe(true);
  expect(await eventsRuns(w)).toHaveLength(1);
  expect((await w.backup.runs.totals(run.id)).totals).toMatchObject({
    plannedFiles: 2,
    uploadedFiles: 2,
    uploadedBytes: 30,
    failedFiles: 0,
  });
  // Once the new version is final, the old task is a duplicate: nothing moves.
  await handleUploadMessage(w.backup, oldTask);
  expect(uploadsOf(w, 'log.txt')).toBe(2);
  expect((await w.backup.runs.totals(run.id)).totals.uploadedFiles).toBe(2);
});

it('tells an earlier version’s task apart while the new version is already uploading', async () => {
  const w = await eventsWorld(fx);
  const tasks = recordSent(w, QUEUES.upload);
  await change(w, 'big.log', 10);
  await write(w, 'big.log', content(20));
  await deliverEvent(w, blobEvent(w, 'created', 'big.log'));
  const held = await planButHold(w);
  const [run] = await eventsRuns(w);
  // The new version's upload has begun (a session, some bytes acknowledged).
  await w.backup.runs.recordFileProgress(run.id, 'big.log', 20, 5, 1, 'a'.repeat(64));
  await handleUploadMessage(w.backup, tasks[0]);
  await handleUploadPoison(w.backup, tasks[0]);
  expect(await w.backup.runs.getFile(run.id, 'big.log')).toMatchObject({ status: 'uploading', bytesDone: 5 });
  expect(uploadsOf(w, 'big.log')).toBe(1);
  expect(held).toHaveLength(1);
});

it('waits while the previous version is still being copied in the run, then copies the new one in it', async () => {
  const w = await eventsWorld(fx);
  await write(w, 'busy.bin', content(30));
  await deliverEvent(w, blobEvent(w, 'created', 'busy.bin'));
  // The first version's check runs; its upload task stays in the queue (not yet delivered).
  w.clock.advance(7000);
  const upload = (): number => w.queue.findIndex((m) => m.queue === QUEUES.upload);
  while (upload() < 0) {
    const index = w.queue.findIndex((m) => m.visibleAt <= w.clock.now());
    const [m] = w.queue.splice(index, 1);
    w.outcomes.push(await handleSettleCheck(w.events, m.message));
  }
  const [first] = w.queue.splice(upload(), 1);
  const newer = content(40);
  await write(w, 'busy.bin', newer);
  await deliverEvent(w, blobEvent(w, 'created', 'busy.bin'));
  await settle(w);
  expect(w.outcomes.at(-1)).toBe('waiting');
  expect(uploadsOf(w, 'busy.bin')).toBe(0);

  // The earlier task arrives now: its version is gone, so that copy fails (the blob changed).
  await handleUploadMessage(w.backup, first.message);
  for (let i = 0; i < 3; i += 1) await settle(w);
  expect(w.outcomes.at(-1)).toBe('queued');
  expect(driveFiles(w).get('busy.bin')?.equals(newer)).toBe(true);
  const runs = await eventsRuns(w);
  expect(runs).toHaveLength(1);
  expect((await w.backup.runs.totals(runs[0].id)).totals).toMatchObject({
    plannedFiles: 2,
    uploadedFiles: 1,
    failedFiles: 1,
  });
  expect(await closeEventsRun(w.events, w.job.id, runs[0].id)).toBe(true);
  expect((await w.backup.runs.get(w.job.id, runs[0].id))!.value.totals).toMatchObject({
    plannedFiles: 2,
    uploadedFiles: 1,
    uploadedBytes: 40,
    failedFiles: 1,
  });
});

it('a settle check delivered again after its plan was written does not plan that version twice', async () => {
  const w = await eventsWorld(fx);
  await change(w, 'twice.txt', 5);
  await write(w, 'twice.txt', content(6));
  await deliverEvent(w, blobEvent(w, 'created', 'twice.txt'));
  w.clock.advance(7000);
  const [check] = w.queue.splice(
    w.queue.findIndex((m) => m.queue === QUEUES.blobSettle),
    1,
  );
  // The check plans and queues the new version, then its host dies before it forgets the event.
  const settled = w.events.state.settled.bind(w.events.state);
  w.events.state.settled = async () => {
    throw new Error('the host died');
  };
  await expect(handleSettleCheck(w.events, check.message)).rejects.toThrow('the host died');
  w.events.state.settled = settled;
  // That version's copy fails for good (its task went to the poison queue).
  const [task] = w.queue.splice(
    w.queue.findIndex((m) => m.queue === QUEUES.upload),
    1,
  );
  await handleUploadPoison(w.backup, task.message);
  const [run] = await eventsRuns(w);
  expect((await w.backup.runs.getFile(run.id, 'twice.txt'))?.status).toBe('failed');

  // The check's redelivery finds its plan written: it queues the task again and plans nothing more.
  expect(await handleSettleCheck(w.events, check.message)).toBe('queued');
  await drain(w);
  expect(uploadsOf(w, 'twice.txt')).toBe(1);
  expect(await eventsRuns(w)).toHaveLength(1);
  expect((await w.backup.runs.totals(run.id)).totals).toMatchObject({
    plannedFiles: 2,
    uploadedFiles: 1,
    failedFiles: 1,
  });
  expect(await closeEventsRun(w.events, w.job.id, run.id)).toBe(true);
  expect((await w.backup.runs.get(w.job.id, run.id))!.value).toMatchObject({
    status: 'partially-failed',
    totals: { plannedFiles: 2, uploadedFiles: 1, failedFiles: 1 },
  });
});

it('plans a version only over a final row: one in flight for another version is left as it is', async () => {
  const w = await eventsWorld(fx);
  const { run } = await openEventsRun(w.events, w.job);
  const first = { blobName: 'x.txt', size: 1, etag: '"0x1"' };
  expect(await w.backup.runs.planEventFile(run.id, 0, first)).toBe('planned');
  expect(await w.backup.runs.planEventFile(run.id, 0, first)).toBe('already');
  expect(await w.backup.runs.planEventFile(run.id, 1, { ...first, size: 2, etag: '"0x2"' })).toBe('busy');
  const row = (await w.backup.runs.getFiles(run.id, ['x.txt'])).get('x.txt');
  expect(row).toMatchObject({ file: { status: 'planned', size: 1 }, planned: { etag: '"0x1"' } });
});

/** Moves the test clock into the next UTC day (an hour past its midnight). */
function nextUtcDay(w: EventsWorld): void {
  const day = 24 * 60 * 60 * 1000;
  w.clock.advance(Math.floor(w.clock.now() / day) * day + day + 60 * 60 * 1000 - w.clock.now());
}

it('closes every outgoing events run when the day rolls twice while the oldest still has a file in flight', async () => {
  const w = await eventsWorld(fx);
  // Day 1: a file is planned, its upload task held back (in flight when the day ends).
  await write(w, 'slow.bin', content(11));
  await deliverEvent(w, blobEvent(w, 'created', 'slow.bin'));
  const held = await planButHold(w);
  expect(held).toHaveLength(1);
  const [first] = await eventsRuns(w);

  // Day 2: its run gets a file in flight too. Day 3: a file copied at once.
  nextUtcDay(w);
  await write(w, 'day2.bin', content(12));
  await deliverEvent(w, blobEvent(w, 'created', 'day2.bin'));
  held.push(...(await planButHold(w)));
  expect(held).toHaveLength(2);
  nextUtcDay(w);
  await change(w, 'day3.txt', 13);
  const open = await eventsRuns(w);
  expect(open).toHaveLength(3);
  expect(open.filter((r) => r.status === 'running')).toHaveLength(3);

  // The held files land; the next event (day 4) closes what is done and opens its own run.
  w.queue.push(...held);
  await drain(w);
  expect(driveFiles(w).has('slow.bin') && driveFiles(w).has('day2.bin')).toBe(true);
  nextUtcDay(w);
  const { run: fourth } = await openEventsRun(w.events, w.job);
  expect(await closeEventsRun(w.events, w.job.id, fourth.id)).toBe(true);

  const runs = await eventsRuns(w);
  expect(runs).toHaveLength(4);
  expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  expect((await w.backup.runs.get(w.job.id, first.id))!.value.totals).toMatchObject({
    plannedFiles: 1,
    uploadedFiles: 1,
    uploadedBytes: 11,
  });
  expect((await w.events.state.openRun(w.job.id))?.value.runId).toBe(fourth.id);
});

/** An open events run of the world's job, created directly, with `inFlight` of its files planned. */
async function openRunOf(w: EventsWorld, inFlight: number): Promise<string> {
  const at = new Date(w.clock.now());
  const id = newRunId(at);
  await w.backup.runs.create({
    id,
    jobId: w.job.id,
    kind: 'backup',
    trigger: 'events',
    status: 'running',
    createdAt: at.toISOString(),
    startedAt: at.toISOString(),
    planningComplete: false,
    pagesPlanned: 0,
  });
  for (let i = 0; i < inFlight; i += 1)
    await w.backup.runs.planEventFile(id, i, { blobName: `f${i}.txt`, size: 1, etag: `"0x${i}"` });
  return id;
}

it('reads a state row written with one previousRunId, and closes that run', async () => {
  const w = await eventsWorld(fx);
  const table = azuriteTable('blobevents');
  w.events.state = new EventStateStore(table);
  const older = await openRunOf(w, 0);
  const current = await openRunOf(w, 0);
  const day = new Date(w.clock.now()).toISOString().slice(0, 10);
  await table.createTable();
  await table.createEntity({
    partitionKey: w.job.id,
    rowKey: '~run',
    runId: current,
    day,
    seq: 0,
    previousRunId: older,
  });

  expect((await w.events.state.openRun(w.job.id))?.value.outgoingRunIds).toEqual([older]);
  const { run } = await openEventsRun(w.events, w.job);
  expect(run.id).toBe(current);
  expect((await w.backup.runs.get(w.job.id, older))!.value.status).toBe('succeeded');
  const row = await table.getEntity<Record<string, unknown>>(w.job.id, '~run');
  expect(row.previousRunId).toBeUndefined();
  expect(row.outgoingRunIds).toBe('');
});

it('keeps the day’s run past its day rather than drop an outgoing run when the list is full', async () => {
  const w = await eventsWorld(fx);
  const stuck: string[] = [];
  for (let i = 0; i < MAX_OUTGOING_RUNS; i += 1) stuck.push(await openRunOf(w, 1));
  const current = await openRunOf(w, 0);
  const day = new Date(w.clock.now()).toISOString().slice(0, 10);
  await w.events.state.saveRun(w.job.id, { runId: current, day, seq: 0, outgoingRunIds: stuck }, undefined);

  nextUtcDay(w);
  const { run, state } = await openEventsRun(w.events, w.job);
  expect(run.id).toBe(current);
  expect(state.outgoingRunIds).toEqual(stuck);
  expect(await eventsRuns(w)).toHaveLength(MAX_OUTGOING_RUNS + 1);

  // Once one of them ends, the day's run is retired and the next one opens.
  await w.backup.runs.finishFile(stuck[0], {
    blobName: 'f0.txt',
    status: 'failed',
    size: 1,
    bytesDone: 0,
    code: 'Test',
    reason: 'given up',
    attempts: 1,
  });
  const next = await openEventsRun(w.events, w.job);
  expect(next.run.id).not.toBe(current);
  // The retired run had nothing in flight, so it closed at once.
  expect(next.state.outgoingRunIds).toEqual(stuck.slice(1));
  expect((await w.backup.runs.get(w.job.id, current))!.value.status).toBe('succeeded');
  expect((await w.backup.runs.get(w.job.id, stuck[0]))!.value.status).toBe('failed');
});
