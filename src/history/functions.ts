// The history area's entry for the function table: the daily clean-up of old runs (timer).
import type { DepsProvider, FunctionDefinition } from '../app/types';
import type { HistoryDeps } from './deps';
import { pruneRunHistory } from './prune';

export function createHistoryFunctions(provider: DepsProvider<HistoryDeps>): FunctionDefinition[] {
  return [
    {
      name: 'runHistoryPrune',
      trigger: {
        type: 'timer',
        scheduleSetting: 'RUN_HISTORY_CRON',
        handler: async () => {
          await pruneRunHistory(await provider());
        },
      },
    },
  ];
}
