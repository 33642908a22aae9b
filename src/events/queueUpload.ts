// The one step where an event hands a blob to the backup pipeline: the same upload task the planner
// queues (../backup/uploadTasks.ts), for the blob as the source describes it now. Like the planner,
// it marks the file planned in the run first, with the version it saw (the uploader refuses a task
// whose run did not plan the file, and takes the ETag and size from that row), and records a plan
// row with its size, so the run's totals count it. The settle check has written the file's planned
// row already (RunStore.planEventFile, which may replace the row of an earlier version), so only
// the task is sent here.
import { sendUploadTasks } from '../backup/uploadTasks';
import type { SourceItem } from '../sources/types';
import type { EventDeps } from './deps';

export async function queueUploadTask(
  deps: EventDeps,
  target: { runId: string; jobId: string; planRow: number },
  item: SourceItem,
): Promise<void> {
  const { runs } = deps.backup;
  // createPage never replaces a row: a redelivered check writing the same row changes nothing.
  await runs.createPage(target.runId, target.planRow, {
    files: 1,
    bytes: item.size,
    skippedFiles: 0,
    skippedBytes: 0,
    last: false,
    tokenHash: '',
  });
  await sendUploadTasks(deps.backup, target.runId, target.jobId, [item]);
}
