// Upload tasks for a list of files: each file marked planned in its run (with what the listing said
// of it), then queued. Small files travel together, one task per batch of up to BATCH_LIMITS files or
// bytes, so a container of small files costs one queue message per hundred files instead of one
// each; a file too large for one simple upload gets a task of its own, since its continuations
// belong to it alone. The planner queues its pages through here, and so can anything else that
// adds files to a running backup.
import { QUEUES } from '../app/queues';
import type { SourceItem } from '../sources/types';
import type { PlannedFile } from '../store/runs';
import type { BackupDeps } from './deps';
import { BATCH_LIMITS, type UploadBatchFile, type UploadMessage, type UploadTask } from './messages';

/** Marks `items` planned in the run, then queues their tasks (sends `sendConcurrency` at a time). */
export async function queueUploadTasks(
  deps: Pick<BackupDeps, 'runs' | 'send' | 'settings'>,
  runId: string,
  jobId: string,
  items: readonly SourceItem[],
): Promise<number> {
  if (!items.length) return 0;
  // Planned before queued: the uploader refuses a task whose file its run did not plan.
  await deps.runs.planFiles(runId, items.map(plannedFileOf));
  return sendUploadTasks(deps, runId, jobId, items);
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
  const tasks = uploadTasks(runId, jobId, items, deps.settings.simpleUploadMaxBytes);
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
  const out: UploadTask[] = [];
  const envelope = JSON.stringify({ v: 2, kind: 'upload-batch', runId, jobId, files: [] }).length;
  let batch: UploadBatchFile[] = [];
  let bytes = 0;
  let chars = envelope;
  const close = (): void => {
    if (batch.length === 1) out.push(single(runId, jobId, batch[0]));
    else if (batch.length > 1) out.push({ v: 2, kind: 'upload-batch', runId, jobId, files: batch });
    batch = [];
    bytes = 0;
    chars = envelope;
  };
  for (const item of items) {
    const file = fileOf(item);
    if (item.size > simpleUploadMaxBytes) {
      out.push(single(runId, jobId, file));
      continue;
    }
    const fileChars = JSON.stringify(file).length + 1;
    if (
      batch.length >= BATCH_LIMITS.files ||
      bytes + file.size > BATCH_LIMITS.bytes ||
      chars + fileChars > BATCH_LIMITS.jsonChars
    )
      close();
    batch.push(file);
    bytes += file.size;
    chars += fileChars;
  }
  close();
  return out;
}

function single(runId: string, jobId: string, file: UploadBatchFile): UploadMessage {
  return { v: 1, runId, jobId, ...file };
}
