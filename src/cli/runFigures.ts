// What a run's figures say, as the CLI reads GET api/runs/{id}: files and bytes done against the
// plan, and the average speed. Shared by the live progress and the final report.
import { isFinalRunStatus } from '../store/runStatus';
import { formatBytes, formatRate } from './format';

export interface RunTotalsView {
  plannedFiles?: number;
  plannedBytes?: number;
  skippedFiles?: number;
  uploadedFiles?: number;
  uploadedBytes?: number;
  failedFiles?: number;
  /** A scheduled run of an event-driven job: files it copied that blob events should have (0 is right). */
  missedByEvents?: number;
}

/** GET api/runs/{id} as the CLI reads it (src/backup/admin.ts jobsApi.run). */
export interface RunView {
  id: string;
  jobId: string;
  kind: 'backup' | 'restore';
  status: string;
  planningComplete?: boolean;
  totals?: RunTotalsView;
  throughputBytesPerSecond?: number;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  snapshotFolder?: string;
  trigger?: string;
  /** Why the run failed as a whole: a message, or an object with code, message and advice. */
  error?: string | { code?: string; message?: string; advice?: string };
  errorCode?: string;
  /** What to do about `error`. */
  advice?: string;
  failures?: Array<{ file: string; code?: string; reason?: string; attempts?: number }>;
}

export function throughputOf(run: RunView, now: number): number {
  if (run.throughputBytesPerSecond) return run.throughputBytesPerSecond;
  const started = Date.parse(run.startedAt ?? run.createdAt);
  const ended = run.endedAt ? Date.parse(run.endedAt) : now;
  const seconds = (ended - started) / 1000;
  return seconds > 0 ? (run.totals?.uploadedBytes ?? 0) / seconds : 0;
}

/**
 * Files done against the plan. A restore's plan includes files it finds already identical
 * (skipped); a backup plans only what it uploads and counts unchanged files beside the plan.
 */
export function filesDone(run: RunView): number {
  const t = run.totals ?? {};
  return (t.uploadedFiles ?? 0) + (t.failedFiles ?? 0) + (run.kind === 'restore' ? (t.skippedFiles ?? 0) : 0);
}

/** "3 of 4 files, 1.2 KiB of 2.0 KiB, avg 512 B/s" (+ unchanged, failed, still listing). */
export function progressFigures(run: RunView, now: number): string {
  const t = run.totals ?? {};
  const done = filesDone(run);
  const extras = [
    t.skippedFiles ? `${t.skippedFiles} unchanged` : '',
    t.failedFiles ? `${t.failedFiles} failed` : '',
    t.missedByEvents ? `${t.missedByEvents} missed by blob events` : '',
    // An events run lists nothing: it stays open for the day's blob events.
    run.planningComplete === false && !isFinalRunStatus(run.status)
      ? run.trigger === 'events'
        ? 'open for blob events'
        : 'still listing'
      : '',
  ].filter(Boolean);
  return (
    `${done} of ${t.plannedFiles ?? 0} files${extras.length ? ` (${extras.join(', ')})` : ''}, ` +
    `${formatBytes(t.uploadedBytes)} of ${formatBytes(t.plannedBytes)}, avg ${formatRate(throughputOf(run, now))}`
  );
}
