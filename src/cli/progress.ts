// Following a backup or restore run until it ends: polls GET api/runs/{id} and shows files, bytes
// and throughput. A terminal gets one progress bar redrawn in place; a pipe or log file gets a
// plain line each time the figures change (no escape codes to garble a CI log).
import type { ApiClient } from './client';
import { CliFailure, writeLine, type CliIO } from './command';
import { isFinalRunStatus } from '../store/runStatus';
import { safeText } from './safeText';
import { formatBytes, formatRate, printJson } from './format';

export interface RunTotalsView {
  plannedFiles?: number;
  plannedBytes?: number;
  skippedFiles?: number;
  uploadedFiles?: number;
  uploadedBytes?: number;
  failedFiles?: number;
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
  error?: string;
  failures?: Array<{ file: string; code?: string; reason?: string; attempts?: number }>;
}

const BAR_WIDTH = 24;
/** A poll may fail on a flaky network; the run goes on regardless, so only a streak gives up. */
const MAX_POLL_FAILURES = 5;
const MAX_FAILURES_LISTED = 20;

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
function filesDone(run: RunView): number {
  const t = run.totals ?? {};
  return (t.uploadedFiles ?? 0) + (t.failedFiles ?? 0) + (run.kind === 'restore' ? (t.skippedFiles ?? 0) : 0);
}

/** "3 of 4 files, 1.2 KiB of 2.0 KiB, 512 B/s" (+ unchanged, failed, still listing). */
export function progressFigures(run: RunView, now: number): string {
  const t = run.totals ?? {};
  const done = filesDone(run);
  const extras = [
    t.skippedFiles ? `${t.skippedFiles} unchanged` : '',
    t.failedFiles ? `${t.failedFiles} failed` : '',
    run.planningComplete === false && !isFinalRunStatus(run.status) ? 'still listing' : '',
  ].filter(Boolean);
  return (
    `${done} of ${t.plannedFiles ?? 0} files${extras.length ? ` (${extras.join(', ')})` : ''}, ` +
    `${formatBytes(t.uploadedBytes)} of ${formatBytes(t.plannedBytes)}, ${formatRate(throughputOf(run, now))}`
  );
}

export function progressBar(run: RunView): string {
  const t = run.totals ?? {};
  const planned = t.plannedFiles ?? 0;
  const done = filesDone(run);
  const ratio = planned > 0 ? Math.min(1, done / planned) : isFinalRunStatus(run.status) ? 1 : 0;
  const filled = Math.round(ratio * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%`;
}

/** Draws progress on io.stdout: redrawn in place on a terminal, a new line per change otherwise. */
export class ProgressView {
  private last = '';
  private drawn = false;

  constructor(private readonly io: CliIO) {}

  update(run: RunView, now = Date.now()): void {
    const figures = `${run.status}: ${progressFigures(run, now)}`;
    if (this.io.stdout.isTTY) {
      const line = `${progressBar(run)} ${figures}`;
      const width = this.io.stdout.columns ?? 100;
      // \r + erase line: the bar replaces itself instead of scrolling.
      const safe = safeText(line);
      this.io.stdout.write(`\r\x1b[2K${safe.length >= width ? safe.slice(0, width - 1) : safe}`);
      this.drawn = true;
    } else if (figures !== this.last) {
      writeLine(this.io.stdout, figures);
    }
    this.last = figures;
  }

  /** Ends the redrawn line so what follows starts on its own line. */
  finish(): void {
    if (this.drawn) this.io.stdout.write('\n');
    this.drawn = false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the run until it reaches a final status; returns the final view. */
export async function waitForRun(
  client: ApiClient,
  runId: string,
  io: CliIO,
  onUpdate: (run: RunView) => void = () => undefined,
): Promise<RunView> {
  let failures = 0;
  for (;;) {
    let run: RunView | undefined;
    try {
      run = await client.get<RunView>(`runs/${encodeURIComponent(runId)}`, {
        notFoundHint: 'list runs with `runs <jobId>`',
      });
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures >= MAX_POLL_FAILURES || !(error instanceof CliFailure) || /HTTP 4/.test(error.message))
        throw error;
    }
    if (run) {
      onUpdate(run);
      if (isFinalRunStatus(run.status)) return run;
    }
    await sleep(io.pollIntervalMs ?? 1000);
  }
}

/**
 * Follows a started run to its end and reports it: the summary on stdout, the failed files, and
 * for anything but success one line on stderr. Exit code 0 only for `succeeded`.
 */
export async function followRun(
  client: ApiClient,
  runId: string,
  io: CliIO,
  options: { json: boolean },
): Promise<number> {
  const view = options.json ? undefined : new ProgressView(io);
  let run: RunView;
  try {
    run = await waitForRun(client, runId, io, (r) => view?.update(r));
  } finally {
    view?.finish();
  }
  if (options.json) {
    printJson(io, run);
    return run.status === 'succeeded' ? 0 : 1;
  }
  const kind = run.kind === 'restore' ? 'Restore' : 'Backup';
  writeLine(io.stdout, `${kind} run ${run.id} ${run.status}: ${progressFigures(run, Date.now())}.`);
  if (run.snapshotFolder) writeLine(io.stdout, `Snapshot folder: ${run.snapshotFolder}`);
  const failed = run.failures ?? [];
  for (const f of failed.slice(0, MAX_FAILURES_LISTED))
    writeLine(
      io.stdout,
      `  failed: ${f.file}: ${f.reason ?? f.code ?? 'failed'}${f.attempts ? ` (${f.attempts} attempts)` : ''}`,
    );
  if (failed.length > MAX_FAILURES_LISTED)
    writeLine(io.stdout, `  ... and ${failed.length - MAX_FAILURES_LISTED} more (--json lists them all)`);
  if (run.status === 'succeeded') return 0;
  writeLine(
    io.stderr,
    `${kind} run ${run.id} ended ${run.status}${run.error ? `: ${run.error}` : ''} — the failed files above say why; docs/troubleshooting.md explains each error.`,
  );
  return 1;
}
