// Run history retention. Every run leaves rows behind: one per file in `runfiles` (a daily backup of
// 100,000 files adds 36 million a year), its page rows, a restore's index and listing rows and any
// saved upload session. Nothing reads them once the run is old, so they are deleted after
// RUN_HISTORY_DAYS, except what the product still reads from old runs: each job's newest runs (the
// failing-run alert and the unchanged-mirror index look back over the newest 20) and the newest
// run that backed files up (its index describes the folder; the page shows it as the last backup).
// Runs that have not ended are never touched, whatever their age.
import { FINAL_RUN_STATUSES } from '../store/runStatus';
import type { RunSummaryRow } from '../store/runs';
import type { HistoryDeps } from './deps';

/** Each partition's newest runs kept at any age. */
export const KEEP_NEWEST_RUNS = 20;

export interface PruneResult {
  /** Runs deleted with all their rows. */
  deletedRuns: number;
  /** Rows deleted in all (including a run cut short by the time budget). */
  deletedRows: number;
  /** False when the time budget ran out first; the next firing goes on from there. */
  complete: boolean;
}

const BACKED_UP = new Set(['succeeded', 'partially-failed']);

/** The runs of one partition (newest first) that retention deletes. */
export function expiredRuns(runs: readonly RunSummaryRow[], cutoff: number): RunSummaryRow[] {
  const lastBackup = runs.find((run) => run.kind === 'backup' && BACKED_UP.has(run.status));
  return runs.filter((run, index) => {
    if (index < KEEP_NEWEST_RUNS || run === lastBackup) return false;
    if (!FINAL_RUN_STATUSES.has(run.status)) return false;
    const ended = Date.parse(run.endedAt ?? run.createdAt);
    // A date that does not parse is not evidence of age: keep the run.
    return Number.isFinite(ended) && ended < cutoff;
  });
}

export async function pruneRunHistory(deps: HistoryDeps): Promise<PruneResult> {
  const result: PruneResult = { deletedRuns: 0, deletedRows: 0, complete: true };
  const { keepDays, budgetMs } = deps.settings;
  if (keepDays <= 0) return result;
  const started = deps.clock.now();
  const cutoff = started - keepDays * 86_400_000;
  const deadline = started + budgetMs;
  const now = (): number => deps.clock.now();

  const prunePartition = async (runs: RunSummaryRow[]): Promise<boolean> => {
    for (const run of expiredRuns(runs, cutoff)) {
      if (now() >= deadline) return false;
      const deleted = await deps.runs.deleteRun(run.partition, run.id, {
        deadline,
        now,
        alsoIn: deps.runTables,
      });
      result.deletedRows += deleted.deletedRows;
      if (!deleted.complete) return false;
      result.deletedRuns += 1;
    }
    return true;
  };

  // Rows come by partition, newest first within it: one partition is held at a time.
  let partition: RunSummaryRow[] = [];
  for await (const run of deps.runs.summaries()) {
    if (partition.length && partition[0].partition !== run.partition) {
      if (!(await prunePartition(partition))) return finish(deps, { ...result, complete: false });
      partition = [];
    }
    partition.push(run);
  }
  if (partition.length && !(await prunePartition(partition)))
    return finish(deps, { ...result, complete: false });
  return finish(deps, result);
}

function finish(deps: HistoryDeps, result: PruneResult): PruneResult {
  deps.log.info('history.pruned', { ...result, keepDays: deps.settings.keepDays });
  return result;
}
