// The alert contract between the code and the deployed alert rules (infra/modules/monitoring.bicep):
// each rule counts log lines whose `event` is one of these names. One scheme, `alert.<kind>`, so a
// line is an alert exactly when its event starts with `alert.`, and ordinary operational lines
// (`poison.upload`, `run.finished`, ...) can be renamed without silencing an email.
// test/infra/alertPaths.test.ts runs every path below and matches its lines against the compiled rules.
import type { LogFields, Logger } from './logger';

export const ALERT_EVENTS = {
  /** The app credential: the client secret or certificate is near expiry, expired, missing or was rejected, or a renewed certificate is not registered yet. */
  secretExpiry: 'alert.secret_expiry',
  /** A connection's refresh token was rejected; someone must authorize it again. */
  connectionReauth: 'alert.connection_reauth',
  /** A backup or restore run ended failed or partially failed (written once, when it ends). */
  runFailed: 'alert.run_failed',
  /** The daily check found a job whose last runs all failed. */
  jobFailing: 'alert.job_failing',
  /** A poison-queue function received a message that failed every delivery. */
  poison: 'alert.poison',
  /** OneDrive or SharePoint refused an upload because the drive is full. */
  quotaExceeded: 'alert.quota_exceeded',
} as const;
export type AlertEvent = (typeof ALERT_EVENTS)[keyof typeof ALERT_EVENTS];

/** One alert line (error level, so it also stands out in the log stream). */
export function logAlert(log: Logger, event: AlertEvent, fields: LogFields = {}): void {
  log.error(event, fields);
}

/** The alert line for a run that reached a final status, if that status is worth an email. */
export function logRunEnded(
  log: Logger,
  run: { runId: string; jobId?: string; kind: 'backup' | 'restore'; status: string },
  fields: LogFields = {},
): void {
  if (run.status === 'failed' || run.status === 'partially-failed')
    logAlert(log, ALERT_EVENTS.runFailed, { ...run, ...fields });
}

/** A run that ended early for want of space: what the quota alert says (the backup area raises it). */
export interface QuotaAlertFacts {
  jobId: string;
  jobName: string;
  runId: string;
  message: string;
  neededBytes?: number;
  remainingBytes?: number;
  state?: string;
}
