// The one step where an event hands a blob to the backup pipeline: the same upload task the planner
// queues, for the blob as the source describes it now. Like the planner, it marks the file planned
// in the run first (the uploader refuses a task whose run did not plan the file) and records a plan
// row with its size, so the run's totals count it.
import { QUEUES } from '../app/queues';
import type { UploadMessage } from '../backup/messages';
import type { SourceItem } from '../sources/types';
import type { EventDeps } from './deps';

export async function queueUploadTask(
  deps: EventDeps,
  target: { runId: string; jobId: string; planRow: number },
  item: SourceItem,
): Promise<void> {
  const { runs, send } = deps.backup;
  await runs.planFiles(target.runId, [{ blobName: item.name, size: item.size }]);
  // createPage never replaces a row: a redelivered check writing the same row changes nothing.
  await runs.createPage(target.runId, target.planRow, {
    files: 1,
    bytes: item.size,
    skippedFiles: 0,
    skippedBytes: 0,
    last: false,
    tokenHash: '',
  });
  const task: UploadMessage = {
    v: 1,
    runId: target.runId,
    jobId: target.jobId,
    blobName: item.name,
    etag: item.etag,
    size: item.size,
    lastModified: item.lastModified.toISOString(),
    contentMd5: item.contentMd5,
  };
  await send(QUEUES.upload, task);
}
