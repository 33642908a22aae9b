// Following a backup or restore run until it ends: polls GET api/runs/{id} and shows files, bytes,
// the current and average speed and the time left. A terminal gets one progress bar redrawn in
// place; a pipe or log file gets a plain line each time the figures change (no escape codes to
// garble a CI log).
import type { ApiClient } from './client';
import { CliFailure, writeLine, type CliIO } from './command';
import { EXIT } from './exitCodes';
import { isFinalRunStatus } from '../store/runStatus';
import { safeText } from './safeText';
import { formatRate, printJson } from './format';
import { filesDone, progressFigures, type RunView } from './runFigures';
export type { RunView } from './runFigures';
import { printRunReport } from './runReport';
import { formatDuration, SpeedMeter } from './speed';

const BAR_WIDTH = 24;
/** A poll may fail on a flaky network; the run goes on regardless, so only a streak gives up. */
const MAX_POLL_FAILURES = 5;

export function progressBar(run: RunView): string {
  const t = run.totals ?? {};
  const planned = t.plannedFiles ?? 0;
  const done = filesDone(run);
  const ratio = planned > 0 ? Math.min(1, done / planned) : isFinalRunStatus(run.status) ? 1 : 0;
  const filled = Math.round(ratio * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%`;
}

/** ", 300 KiB/s now, ETA 0:12" while bytes are moving; empty when there is nothing to tell. */
export function liveFigures(run: RunView, meter: SpeedMeter): string {
  if (isFinalRunStatus(run.status)) return '';
  const speed = meter.current();
  if (speed === undefined) return '';
  const t = run.totals ?? {};
  // While the source is still being listed the plan grows, so a time left would be too short.
  const eta =
    run.planningComplete === false ? undefined : meter.eta((t.plannedBytes ?? 0) - (t.uploadedBytes ?? 0));
  return `, ${formatRate(speed)} now${eta === undefined ? '' : `, ETA ${formatDuration(eta)}`}`;
}

/** Draws progress on io.stdout: redrawn in place on a terminal, a new line per change otherwise. */
export class ProgressView {
  private last = '';
  private drawn = false;
  private readonly meter = new SpeedMeter();

  constructor(private readonly io: CliIO) {}

  update(run: RunView, now = Date.now()): void {
    this.meter.add(now, run.totals?.uploadedBytes ?? 0);
    const figures = `${run.status}: ${progressFigures(run, now)}`;
    const live = liveFigures(run, this.meter);
    if (this.io.stdout.isTTY) {
      const line = `${progressBar(run)} ${figures}${live}`;
      const width = this.io.stdout.columns ?? 100;
      // \r + erase line: the bar replaces itself instead of scrolling.
      const safe = safeText(line);
      this.io.stdout.write(`\r\x1b[2K${safe.length >= width ? safe.slice(0, width - 1) : safe}`);
      this.drawn = true;
    } else if (figures !== this.last) {
      // A new line only when the counts change, not each time the current speed does.
      writeLine(this.io.stdout, `${figures}${live}`);
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
  notFoundHint = "list a job's runs with `runs <jobId>`",
): Promise<RunView> {
  let failures = 0;
  for (;;) {
    let run: RunView | undefined;
    try {
      run = await client.get<RunView>(`runs/${encodeURIComponent(runId)}`, { notFoundHint });
      failures = 0;
    } catch (error) {
      failures += 1;
      // Only what can pass by itself is waited out (network, 429/503, a 5xx); a 404 or 401 cannot.
      const passing =
        error instanceof CliFailure &&
        (error.exitCode === EXIT.temporary || (error.status !== undefined && error.status >= 500));
      if (failures >= MAX_POLL_FAILURES || !passing) throw error;
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
  options: { json: boolean; notFoundHint?: string },
): Promise<number> {
  const view = options.json ? undefined : new ProgressView(io);
  let run: RunView;
  try {
    run = await waitForRun(client, runId, io, (r) => view?.update(r), options.notFoundHint);
  } finally {
    view?.finish();
  }
  if (options.json) printJson(io, run);
  else printRunReport(io, client.hints, run);
  return run.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}
