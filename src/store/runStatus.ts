// A run's statuses, which of them are final, and which final status a run's file counts earn. One
// list for backups, restores, the alerts and the CLI, so a new status cannot be final in one place
// and still running in another. No SDK imports: the CLI reads it too.

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'partially-failed' | 'failed' | 'timed-out';

/** A run in one of these is over: nothing moves it again. */
export const FINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'partially-failed',
  'failed',
  'timed-out',
]);

/** The final runs that need a person's attention. */
export const FAILED_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  'partially-failed',
  'failed',
  'timed-out',
]);

export function isFinalRunStatus(status: string): status is RunStatus {
  return FINAL_RUN_STATUSES.has(status as RunStatus);
}

export function isFailedRunStatus(status: string): status is RunStatus {
  return FAILED_RUN_STATUSES.has(status as RunStatus);
}

/** How a run whose every file has a result ended: some failures after some successes is partial. */
export function finalStatus(totals: {
  failedFiles: number;
  uploadedFiles: number;
  skippedFiles: number;
}): RunStatus {
  if (totals.failedFiles === 0) return 'succeeded';
  return totals.uploadedFiles + totals.skippedFiles > 0 ? 'partially-failed' : 'failed';
}
