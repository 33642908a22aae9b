// Poison queues: a message that failed every delivery. For an upload task, its file is marked failed
// in its run with the reason (so the run can still finish); for a planner page, the run fails (its
// plan is incomplete, so deletions must not be propagated from it). Only the run's own pages and
// planned files count: a forged poison message changes nothing.
import { isAppError } from '../errors';
import { ALERT_EVENTS, logAlert } from '../log/alertEvents';
import { EMPTY_TOTALS, FINAL_RUN_STATUSES } from '../store/runs';
import { checkCompletion, finishRun } from './completion';
import type { BackupDeps } from './deps';
import { parsePlanMessage, parseUploadMessage } from './messages';
import { isRunsOwnPage } from './planBinding';

const REASON =
  'The task failed on every delivery (moved to the poison queue); see the logs for each attempt.';

export async function handleUploadPoison(deps: BackupDeps, raw: unknown): Promise<void> {
  // In Azure the Functions host moves the message to the poison queue itself; this function is the
  // first code to see it, so the alert is written here.
  logAlert(deps.log, ALERT_EVENTS.poison, { queue: 'upload', ...idsOf(raw) });
  let message;
  try {
    message = parseUploadMessage(raw);
  } catch (error) {
    deps.log.error('poison.upload.unreadable', { reason: (error as Error).message });
    return;
  }
  deps.log.error('poison.upload', { runId: message.runId, jobId: message.jobId, file: message.blobName });
  const run = await deps.runs.get(message.jobId, message.runId);
  if (!run || FINAL_RUN_STATUSES.has(run.value.status)) return;
  // Only a file its run planned is failed: a forged task must not add a file to a run.
  if (run.value.kind !== 'backup' || !(await deps.runs.getFile(message.runId, message.blobName))) {
    deps.log.error('poison.upload.refused', {
      runId: message.runId,
      file: message.blobName,
      reason: 'the run did not plan this file',
    });
    return;
  }
  await deps.runs.finishFile(message.runId, {
    blobName: message.blobName,
    status: 'failed',
    size: message.size,
    bytesDone: 0,
    code: 'Poisoned',
    reason: REASON,
    attempts: 0,
  });
  await checkCompletion(deps, message.jobId, message.runId);
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
