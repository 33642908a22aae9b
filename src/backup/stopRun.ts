// Ending a backup run at once on a failure no retry can cure. Some typed errors (src/errors.ts
// isPermanent) concern one file (an invalid name, a hash mismatch) and fail that file; the ones
// below concern every file of the run: a source container that does not exist, a revoked consent or
// sign-in, a full drive, a connection without a drive. Retrying them file by file would only fill
// the poison queue; the run ends now, its record carries the error's message and advice (the API,
// the setup page and the CLI show them), and the queued tasks of the run find it finished.
import { AppError, messageWithAdvice, type ErrorCode } from '../errors';
import type { Run, RunQuota } from '../store/runs';
import { EMPTY_TOTALS, FINAL_RUN_STATUSES } from '../store/runs';
import { finishRun } from './completion';
import type { BackupDeps } from './deps';

const RUN_WIDE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'QuotaExceeded',
  'ConsentRequired',
  'Unauthorized',
  'ReauthRequired',
  'InvalidClient',
  'ConfigInvalid',
  // An encrypted job without its keys cannot write any file.
  'EncryptionKeysMissing',
  'StateInvalid',
]);

/** True for a permanent error that every file of the run would hit. */
export function stopsTheRun(error: unknown): error is AppError {
  return error instanceof AppError && RUN_WIDE.has(error.code);
}

/**
 * Fails the run (once: an ETag-checked write; a run already final is left as it is) with the
 * error's message, code and advice, and raises the quota alert when the drive is full.
 */
export async function stopRun(
  deps: BackupDeps,
  jobId: string,
  runId: string,
  error: AppError,
  quota?: RunQuota,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const stored = await deps.runs.get(jobId, runId);
    if (!stored || FINAL_RUN_STATUSES.has(stored.value.status)) return;
    const live = await deps.runs.totals(runId).catch(() => ({ totals: EMPTY_TOTALS }));
    const extra: Partial<Run> = { errorCode: error.code, advice: error.advice, ...(quota ? { quota } : {}) };
    const status = await finishRun(
      deps,
      stored.value,
      stored.etag,
      live.totals,
      'failed',
      messageWithAdvice(error),
      extra,
    );
    if (status === undefined) continue; // the row changed under us (or another worker ended it): look again
    deps.log.error('run.stopped', { runId, jobId, code: error.code, reason: error.message });
    if (error.code === 'QuotaExceeded') await raiseQuotaAlert(deps, jobId, stored.value, error, quota);
    return;
  }
}

async function raiseQuotaAlert(
  deps: BackupDeps,
  jobId: string,
  run: Run,
  error: AppError,
  quota: RunQuota | undefined,
): Promise<void> {
  if (!deps.onQuotaAlert) return;
  const job = await deps.jobs.get(jobId);
  try {
    await deps.onQuotaAlert({
      jobId,
      jobName: job?.name ?? jobId,
      runId: run.id,
      message: error.message,
      neededBytes: quota?.neededBytes,
      remainingBytes: quota?.remaining,
      state: quota?.state,
    });
  } catch (e) {
    // The run record already says why; a failed notification must not make the queue retry it.
    deps.log.warn('alert.quota.failed', { runId: run.id, reason: (e as Error).message });
  }
}
