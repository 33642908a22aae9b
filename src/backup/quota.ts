// The drive's space, checked before a run's uploads rather than discovered file by file. The
// planner reads the quota (GET /drives/{id}) before it queues each page's uploads: when the bytes
// the run still means to upload do not fit in what remains, the run ends at once with both numbers
// and the quota alert, instead of failing every file with 507. A 507 that still arrives mid-run (the
// drive filled from elsewhere) ends the run the same way. Every byte counts in full, replacements
// too: OneDrive keeps the replaced content as a version, so a replace never frees space.
import { AppError } from '../errors';
import { graphCall, type GraphHttpContext } from '../graph/http';
import { readDrive } from '../graph/model';
import { DEFAULT_RETRY_POLICY } from '../runtime/retry';
import type { RunQuota } from '../store/runs';
import type { BackupDeps, DriveDestination } from './deps';

const QUOTA_ADVICE =
  'Free space in the OneDrive or SharePoint library (empty its recycle bin; old versions of replaced files count too) or raise its quota, then run the job again.';

/** The drive's quota now, or undefined when the drive reports none. */
export async function readQuota(
  deps: BackupDeps,
  destination: DriveDestination,
  connectionId: string,
): Promise<RunQuota | undefined> {
  const ctx: GraphHttpContext = {
    clock: deps.clock,
    retry: DEFAULT_RETRY_POLICY,
    log: deps.log,
    requestTimeoutMs: 30_000,
    deadline: deps.clock.now() + deps.settings.invocationBudgetSeconds * 1000,
    backoff: deps.backoff && { gate: deps.backoff, key: connectionId },
  };
  const url = `${destination.apiBaseUrl}/drives/${encodeURIComponent(destination.driveId)}?$select=id,quota`;
  const result = await graphCall(ctx, destination.tokens, { method: 'GET', url }, 'Read drive quota');
  const quota = readDrive(result.body)?.quota;
  if (!quota) return undefined;
  return {
    state: quota.state ?? 'normal',
    total: quota.total,
    used: quota.used,
    remaining: quota.remaining,
    checkedAt: new Date(deps.clock.now()).toISOString(),
  };
}

/** The run's error when `needed` bytes do not fit in what the drive has left. */
export function quotaExceeded(neededBytes: number | undefined, remainingBytes: number | undefined): AppError {
  const numbers =
    neededBytes !== undefined && remainingBytes !== undefined
      ? `: this run needs ${formatBytes(neededBytes)} more (${neededBytes} bytes) and the drive has ${formatBytes(Math.max(0, remainingBytes))} left (${remainingBytes} bytes)`
      : '';
  return new AppError('QuotaExceeded', `The drive is out of space${numbers}.`, {
    advice: QUOTA_ADVICE,
    detail: numbers ? `needed ${neededBytes}, remaining ${remainingBytes}` : undefined,
  });
}

/** Bytes the run planned and has not yet finished (uploaded or failed). */
export async function outstandingBytes(deps: BackupDeps, runId: string): Promise<number> {
  const { totals } = await deps.runs.totals(runId);
  return Math.max(0, totals.plannedBytes - totals.uploadedBytes - totals.failedBytes);
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
