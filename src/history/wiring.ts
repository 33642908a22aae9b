// Builds run history retention's dependencies: the backup pipeline's run store and the tables
// other areas keep per run.
import type { Services } from '../app/services';
import type { BackupDeps } from '../backup/deps';
import { RESTORE_INDEX_TABLE } from '../restore/index/indexStore';
import { RESTORE_LISTINGS_TABLE } from '../restore/listing/ledger';
import { systemClock } from '../runtime/clock';
import { UPLOAD_SESSIONS_TABLE } from '../store/uploadSessions';
import type { HistoryDeps } from './deps';

/** A Flex Consumption invocation may run 30 minutes by default; a clean-up takes at most a third. */
const BUDGET_MS = 10 * 60_000;

export async function buildHistoryDeps(services: Services, backup: BackupDeps): Promise<HistoryDeps> {
  return {
    runs: backup.runs,
    runTables: await Promise.all(
      [RESTORE_INDEX_TABLE, RESTORE_LISTINGS_TABLE, UPLOAD_SESSIONS_TABLE].map((name) =>
        services.table(name),
      ),
    ),
    clock: systemClock,
    log: services.log.child({ area: 'history' }),
    settings: { keepDays: services.config.runHistoryDays, budgetMs: BUDGET_MS },
  };
}
