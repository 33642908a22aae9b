// A run in words, once it has ended (or when shown): its figures, why it failed as a whole when it
// did (the run's error with its advice), and each failed file with its reason. `run`, `restore`,
// `run --follow` and `runs show` all print it this way, so a failure reads the same everywhere.
import { adviceForCli } from './advice';
import { writeLine, type CliIO } from './command';
import type { Hints } from './hints';
import { progressFigures, type RunView } from './runFigures';

const MAX_FAILURES_LISTED = 20;

/** The run's own error, whichever shape the record carries it in. */
export function runError(run: RunView): { code?: string; message?: string; advice?: string } {
  const e = run.error;
  const fromObject = typeof e === 'object' && e !== null ? e : {};
  return {
    code: fromObject.code ?? run.errorCode,
    message: typeof e === 'string' ? e : fromObject.message,
    advice: fromObject.advice ?? run.advice,
  };
}

function kindOf(run: RunView): string {
  return run.kind === 'restore' ? 'Restore' : 'Backup';
}

/** The summary line, the run's reason and fix, and the failed files (stdout). */
export function printRunSummary(io: CliIO, hints: Hints, run: RunView): void {
  writeLine(io.stdout, `${kindOf(run)} run ${run.id} ${run.status}: ${progressFigures(run, Date.now())}.`);
  if (run.snapshotFolder) writeLine(io.stdout, `Snapshot folder: ${run.snapshotFolder}`);
  const error = runError(run);
  const context = { jobId: run.jobId };
  if (error.message)
    writeLine(io.stdout, `  reason: ${error.message}${error.code ? ` (${error.code})` : ''}`);
  if (error.advice) writeLine(io.stdout, `  fix: ${adviceForCli(error.advice, hints, context)}`);
  const failed = run.failures ?? [];
  for (const f of failed.slice(0, MAX_FAILURES_LISTED))
    writeLine(
      io.stdout,
      `  failed: ${f.file}: ${f.reason ?? f.code ?? 'failed'}${f.reason && f.code ? ` (${f.code})` : ''}${f.attempts ? ` (${f.attempts} attempts)` : ''}`,
    );
  if (failed.length > MAX_FAILURES_LISTED)
    writeLine(io.stdout, `  ... and ${failed.length - MAX_FAILURES_LISTED} more (--json lists them all)`);
}

/** The summary, and for anything but success one line on stderr that says why and where to look. */
export function printRunReport(io: CliIO, hints: Hints, run: RunView): void {
  printRunSummary(io, hints, run);
  if (run.status === 'succeeded') return;
  const error = runError(run);
  const why = error.message ? `: ${error.message}` : '';
  const fix = error.advice
    ? adviceForCli(error.advice, hints, { jobId: run.jobId })
    : (run.failures ?? []).length > 0
      ? 'the failed files above say why; docs/troubleshooting.md explains each error'
      : `see ${hints.quoted('runs', 'show', run.id)}; docs/troubleshooting.md explains each error`;
  writeLine(io.stderr, `${kindOf(run)} run ${run.id} ended ${run.status}${why} — ${fix.replace(/\.$/, '')}.`);
}
