// Upload tasks for a list of files: each file marked planned in its run (with what the listing said
// of it), then queued. Small files travel together, one task per batch of up to BATCH_LIMITS files or
// bytes, so a container of small files costs one queue message per hundred files instead of one
// each; a file too large for one simple upload gets a task of its own, since its continuations
// belong to it alone. The planner queues its pages through here, and so can anything else that
// adds files to a running backup.
import { QUEUES } from '../app/queues';
import type { SourceItem } from '../sources/types';
import { PLAN_SET_CHARS, planSetEntry, planSetId, planSetJson, type PlannedFile } from '../store/runs';
import { tableBatches } from '../store/table';
import type { BackupDeps } from './deps';
import { BATCH_LIMITS, type UploadBatchFile, type UploadMessage, type UploadTask } from './messages';

/**
 * Plan rows written at once while the tasks of groups already written are sent: the run's rows go
 * to the Table service and the tasks to the Queue service, so a page's writes and sends overlap
 * instead of the sends waiting for every row of the page.
 */
const WRITES_IN_FLIGHT = 2;

/**
 * Marks `items` planned in the run, then queues their tasks (sends `sendConcurrency` at a time): a
 * file of a task of its own gets its planned row, the files of a batch task one plan set row. The
 * rows are written group by group (planGroups), and a group's tasks are sent once its rows are.
 */
export async function queueUploadTasks(
  deps: Pick<BackupDeps, 'runs' | 'send' | 'settings'>,
  runId: string,
  jobId: string,
  items: readonly SourceItem[],
): Promise<number> {
  if (!items.length) return 0;
  const groups = planGroups(plannedTasks(runId, jobId, items, deps.settings.simpleUploadMaxBytes));
  let failure: unknown;
  const write = (group: PlannedTask[]) => async (): Promise<void> => {
    if (failure) throw failure;
    const singles = group.flatMap((r) => (r.single ? [r.single] : []));
    const sets = group.flatMap((r) => (r.set ? [r.set] : []));
    try {
      await Promise.all([deps.runs.planFiles(runId, singles), deps.runs.planSets(runId, sets)]);
    } catch (error) {
      failure ??= error;
      throw error;
    }
  };
  const written: Array<Promise<void>> = [];
  groups.forEach((group, i) => {
    // A group's write starts when the one WRITES_IN_FLIGHT before it is done. After a failed write
    // none starts, and no task of a group whose rows were not written is sent.
    const before = written[i - WRITES_IN_FLIGHT];
    written.push(before ? before.then(write(group)) : write(group)());
  });
  // Awaited by the sends below; a failure surfaces there, once.
  for (const w of written) w.catch(() => undefined);
  // Planned before queued: the uploader refuses a task whose file its run did not plan.
  const queued = groups.flatMap((group, i) => group.map((r) => ({ task: r.task, ready: written[i] })));
  try {
    return await sendTasks(deps, queued);
  } finally {
    // No write outlives the call (a failed send ends it while later groups may still be writing).
    await Promise.allSettled(written);
  }
}

/**
 * Queues the tasks of `items` whose planned rows are written already (the events path plans its
 * file itself, RunStore.planEventFile); answers how many tasks were sent.
 */
export async function sendUploadTasks(
  deps: Pick<BackupDeps, 'send' | 'settings'>,
  runId: string,
  jobId: string,
  items: readonly SourceItem[],
): Promise<number> {
  return sendTasks(
    deps,
    uploadTasks(runId, jobId, items, deps.settings.simpleUploadMaxBytes).map((task) => ({ task })),
  );
}

/** Sends each task once what it waits for (its plan rows) is done, `sendConcurrency` at a time. */
async function sendTasks(
  deps: Pick<BackupDeps, 'send' | 'settings'>,
  queued: ReadonlyArray<{ task: UploadTask; ready?: Promise<unknown> }>,
): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queued.length) {
      const { task, ready } = queued[next++];
      await ready;
      await deps.send(QUEUES.upload, task);
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.settings.sendConcurrency, queued.length) }, worker));
  return queued.length;
}

/** A listed blob's planned row: what the listing said of it, which the uploader trusts. */
export function plannedFileOf(item: SourceItem): PlannedFile {
  return {
    blobName: item.name,
    size: item.size,
    etag: item.etag,
    contentMd5: item.contentMd5,
    lastModified: item.lastModified.toISOString(),
    facts: item.facts,
  };
}

const fileOf = (item: SourceItem): UploadBatchFile => ({
  blobName: item.name,
  etag: item.etag,
  size: item.size,
  lastModified: item.lastModified.toISOString(),
  contentMd5: item.contentMd5,
});

/** The tasks for `items`, in listing order: batches of small files, single tasks for large ones. */
export function uploadTasks(
  runId: string,
  jobId: string,
  items: readonly SourceItem[],
  simpleUploadMaxBytes: number,
): UploadTask[] {
  return plannedTasks(runId, jobId, items, simpleUploadMaxBytes).map((r) => r.task);
}

/** A task with what marks it planned: its file's planned row, or its batch's plan set. */
interface PlannedTask {
  task: UploadTask;
  single?: PlannedFile;
  set?: { id: string; json: string };
}

/**
 * Plan set characters of one group: a page of small files (about 1.4 MB of sets for 5,000 files
 * with their metadata and tags) is written in several groups, so its first tasks are sent after a
 * sixth of its rows are written rather than all of them.
 */
const GROUP_SET_CHARS = 250_000;

/**
 * Consecutive tasks whose planned rows are written together, one transaction of each kind: each
 * task has one row (its planned row or its plan set), so a group is a table batch of them.
 */
const planGroups = (records: readonly PlannedTask[]): PlannedTask[][] => [
  ...tableBatches(records, { weight: (r) => r.set?.json.length ?? 0, budget: GROUP_SET_CHARS }),
];

/**
 * The tasks for `items`, each with what marks it planned: a single-file task's planned row, or a
 * batch's plan set (its JSON, from the entries serialised once to size the batch).
 */
function plannedTasks(
  runId: string,
  jobId: string,
  items: readonly SourceItem[],
  simpleUploadMaxBytes: number,
): PlannedTask[] {
  const out: PlannedTask[] = [];
  // The set id is a hash: its length is known before the batch is.
  const envelope = JSON.stringify({
    v: 2,
    kind: 'upload-batch',
    runId,
    jobId,
    files: [],
    set: '0'.repeat(64),
  }).length;
  /** Each file with its planned record and that record as a plan set entry (JSON). */
  let batch: Array<{ file: UploadBatchFile; planned: PlannedFile; entry: string }> = [];
  let bytes = 0;
  let chars = envelope;
  let planChars = 2;
  const close = (): void => {
    if (batch.length === 1) {
      out.push({ task: single(runId, jobId, batch[0].file), single: batch[0].planned });
    } else if (batch.length > 1) {
      const files = batch.map((b) => b.file);
      const set = planSetId(files);
      out.push({
        task: { v: 2, kind: 'upload-batch', runId, jobId, files, set },
        set: { id: set, json: planSetJson(batch.map((b) => b.entry)) },
      });
    }
    batch = [];
    bytes = 0;
    chars = envelope;
    planChars = 2;
  };
  for (const item of items) {
    const file = fileOf(item);
    const planned = plannedFileOf(item);
    if (item.size > simpleUploadMaxBytes) {
      out.push({ task: single(runId, jobId, file), single: planned });
      continue;
    }
    const fileChars = JSON.stringify(file).length + 1;
    // The batch's plan set row holds each file's facts (metadata, tags) too, and is bounded as well.
    const entry = planSetEntry(planned);
    const setChars = entry.length + 1;
    if (
      batch.length >= BATCH_LIMITS.files ||
      bytes + file.size > BATCH_LIMITS.bytes ||
      chars + fileChars > BATCH_LIMITS.jsonChars ||
      planChars + setChars > PLAN_SET_CHARS
    )
      close();
    batch.push({ file, planned, entry });
    bytes += file.size;
    chars += fileChars;
    planChars += setChars;
  }
  close();
  return out;
}

function single(runId: string, jobId: string, file: UploadBatchFile): UploadMessage {
  return { v: 1, runId, jobId, ...file };
}
