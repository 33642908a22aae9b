// Upload tasks for a list of files: each file marked planned in its run (with what the listing said
// of it), then queued. Small files travel together, one task per batch of up to BATCH_LIMITS files or
// bytes, so a container of small files costs one queue message per hundred files instead of one
// each; a file too large for one simple upload gets a task of its own, since its continuations
// belong to it alone. The planner queues its pages through here, and so can anything else that
// adds files to a running backup.
import { QUEUES } from '../app/queues';
import type { SourceItem } from '../sources/types';
import { PLAN_SET_CHARS, planSetEntry, planSetId, planSetJson, type PlannedFile } from '../store/runs';
import type { BackupDeps } from './deps';
import { BATCH_LIMITS, type UploadBatchFile, type UploadMessage, type UploadTask } from './messages';

/**
 * Marks `items` planned in the run, then queues their tasks (sends `sendConcurrency` at a time): a
 * file of a task of its own gets its planned row, the files of a batch task one plan set row.
 */
export async function queueUploadTasks(
  deps: Pick<BackupDeps, 'runs' | 'send' | 'settings'>,
  runId: string,
  jobId: string,
  items: readonly SourceItem[],
): Promise<number> {
  if (!items.length) return 0;
  const { tasks, singles, sets } = plannedTasks(runId, jobId, items, deps.settings.simpleUploadMaxBytes);
  // Planned before queued: the uploader refuses a task whose file its run did not plan.
  await Promise.all([deps.runs.planFiles(runId, singles), deps.runs.planSets(runId, sets)]);
  return sendTasks(deps, tasks);
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
  return sendTasks(deps, uploadTasks(runId, jobId, items, deps.settings.simpleUploadMaxBytes));
}

async function sendTasks(deps: Pick<BackupDeps, 'send' | 'settings'>, tasks: UploadTask[]): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await deps.send(QUEUES.upload, tasks[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(deps.settings.sendConcurrency, tasks.length) }, worker));
  return tasks.length;
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
  return plannedTasks(runId, jobId, items, simpleUploadMaxBytes).tasks;
}

/**
 * The tasks for `items` with what marks them planned: the planned rows of the single-file tasks,
 * and each batch's plan set (its JSON, from the entries serialised once to size the batch).
 */
function plannedTasks(
  runId: string,
  jobId: string,
  items: readonly SourceItem[],
  simpleUploadMaxBytes: number,
): { tasks: UploadTask[]; singles: PlannedFile[]; sets: Array<{ id: string; json: string }> } {
  const out: UploadTask[] = [];
  const singles: PlannedFile[] = [];
  const sets: Array<{ id: string; json: string }> = [];
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
      out.push(single(runId, jobId, batch[0].file));
      singles.push(batch[0].planned);
    } else if (batch.length > 1) {
      const files = batch.map((b) => b.file);
      const set = planSetId(files);
      out.push({ v: 2, kind: 'upload-batch', runId, jobId, files, set });
      sets.push({ id: set, json: planSetJson(batch.map((b) => b.entry)) });
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
      out.push(single(runId, jobId, file));
      singles.push(planned);
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
  return { tasks: out, singles, sets };
}

function single(runId: string, jobId: string, file: UploadBatchFile): UploadMessage {
  return { v: 1, runId, jobId, ...file };
}
