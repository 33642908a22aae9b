// Poison queues: a message that failed every delivery. For an upload task, its files are marked failed
// in its run with the reason (so the run can still finish); for a planner page, the run fails (its
// plan is incomplete, so deletions must not be propagated from it). Only the run's own pages and
// planned files count: a forged poison message changes nothing.
import { isAppError } from '../errors';
import { ALERT_EVENTS, logAlert } from '../log/alertEvents';
import { EMPTY_TOTALS, FINAL_RUN_STATUSES } from '../store/runs';
import { checkCompletion, finishRun } from './completion';
import type { BackupDeps } from './deps';
import { parsePlanMessage, parseUploadTask } from './messages';
import { isRunsOwnPage } from './planBinding';
import { plansVersion } from './uploadFiles';

const REASON =
  'The task failed on every delivery (moved to the poison queue); see the logs for each attempt.';

export async function handleUploadPoison(deps: BackupDeps, raw: unknown): Promise<void> {
  // In Azure the Functions host moves the message to the poison queue itself; this function is the
  // first code to see it, so the alert is written here.
  logAlert(deps.log, ALERT_EVENTS.poison, { queue: 'upload', ...idsOf(raw) });
  let task;
  try {
    task = parseUploadTask(raw);
  } catch (error) {
    deps.log.error('poison.upload.unreadable', { reason: (error as Error).message });
    return;
  }
  const names = task.v === 2 ? task.files.map((f) => f.blobName) : [task.blobName];
  deps.log.error('poison.upload', {
    runId: task.runId,
    jobId: task.jobId,
    ...(names.length === 1 ? { file: names[0] } : { files: names.length }),
  });
  const run = await deps.runs.get(task.jobId, task.runId);
  if (!run || FINAL_RUN_STATUSES.has(run.value.status)) return;
  // Only files its run planned are failed: a forged task must not add a file to a run. Of a batch,
  // each planned file not final yet is failed (one transaction for all of them).
  const rows =
    run.value.kind === 'backup' ? await deps.runs.getFiles(task.runId, names, task.set) : new Map();
  const refused = names.filter((name) => !rows.has(name));
  if (refused.length)
    deps.log.error('poison.upload.refused', {
      runId: task.runId,
      ...(refused.length === 1 ? { file: refused[0] } : { files: refused.length }),
      reason: 'the run did not plan this file',
    });
  // In an events run, a task for an older version of a blob the run has planned again since fails
  // nothing: the row is the new version's, whose own task is still to come.
  const etags = new Map(
    task.v === 2 ? task.files.map((f) => [f.blobName, f.etag]) : [[task.blobName, task.etag]],
  );
  const open = [...rows.values()].filter(
    (row) =>
      row.file.status !== 'uploaded' &&
      row.file.status !== 'failed' &&
      (run.value.trigger !== 'events' || plansVersion(row, { etag: etags.get(row.file.blobName) ?? '' })),
  );
  if (!rows.size) return;
  await deps.runs.finishFiles(
    task.runId,
    open.map((row) => ({
      result: {
        blobName: row.file.blobName,
        status: 'failed' as const,
        size: row.file.size,
        bytesDone: 0,
        code: 'Poisoned',
        reason: REASON,
        attempts: 0,
      },
      etag: row.etag,
    })),
  );
  await checkCompletion(deps, task.jobId, task.runId);
}

export async function handlePlanPoison(deps: BackupDeps, raw: unknown): Promise<void> {
  logAlert(deps.log, ALERT_EVENTS.poison, { queue: 'plan', ...idsOf(raw) });
  let message;
  try {
    message = parsePlanMessage(raw);
  } catch (error) {
    deps.log.error('poison.plan.unreadable', { reason: (error as Error).message });
    return;
  }
  deps.log.error('poison.plan', { runId: message.runId, jobId: message.jobId, page: message.page });
  const run = await deps.runs.get(message.jobId, message.runId);
  if (!run || FINAL_RUN_STATUSES.has(run.value.status)) return;
  // A page that is not the run's own (forged, or replayed from another position) fails nothing.
  if (!(await isRunsOwnPage(deps.runs, run.value, message))) {
    deps.log.error('poison.plan.refused', {
      runId: message.runId,
      page: message.page,
      reason: 'not a page this run expects or listed',
    });
    return;
  }
  const live = await deps.runs.totals(message.runId).catch(() => ({ totals: EMPTY_TOTALS }));
  try {
    await finishRun(
      deps,
      run.value,
      run.etag,
      live.totals,
      'failed',
      `Planning page ${message.page} failed: ${REASON}`,
    );
  } catch (error) {
    if (!isAppError(error, 'Conflict')) throw error;
  }
}

/** The run and job a poison message names, when it names them (it may be unreadable). */
function idsOf(raw: unknown): { runId?: string; jobId?: string } {
  const m = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    runId: typeof m.runId === 'string' ? m.runId : undefined,
    jobId: typeof m.jobId === 'string' ? m.jobId : undefined,
  };
}
