// What run history retention is written against: the run store, the other tables whose partition
// is a run id, the clock and the settings. ./wiring.ts builds them; tests pass their own.
import type { TableClient } from '@azure/data-tables';
import type { Logger } from '../log/logger';
import type { Clock } from '../runtime/clock';
import type { RunStore } from '../store/runs';

export interface HistoryDeps {
  runs: Pick<RunStore, 'summaries' | 'deleteRun'>;
  /** Tables partitioned by run id besides the run store's own (restore index and listings, upload sessions). */
  runTables: readonly TableClient[];
  clock: Clock;
  log: Logger;
  settings: {
    /** RUN_HISTORY_DAYS: 0 keeps every run. */
    keepDays: number;
    /** Time one clean-up may take; the next firing goes on where it stopped. */
    budgetMs: number;
  };
}
