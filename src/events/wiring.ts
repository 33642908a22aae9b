// Builds the events area's dependencies: the backup pipeline's (the same stores, source and queues
// the planner uses) and the area's own state table.
import type { Services } from '../app/services';
import type { BackupDeps } from '../backup/deps';
import type { EventDeps } from './deps';
import { EVENT_STATE_TABLE, EventStateStore } from './eventState';

/** The account a connection string names (Azurite's well-known one for development storage). */
export function accountOfConnectionString(connectionString: string | undefined): string | undefined {
  if (!connectionString) return undefined;
  if (/UseDevelopmentStorage=true/i.test(connectionString)) return 'devstoreaccount1';
  return /(?:^|;)\s*AccountName=([^;]+)/i.exec(connectionString)?.[1]?.trim().toLowerCase();
}

export async function buildEventDeps(services: Services, backup: BackupDeps): Promise<EventDeps> {
  const config = services.config;
  const defaultAccount = accountOfConnectionString(config.sourceConnectionString);
  return {
    backup: { ...backup, log: services.log.child({ area: 'events' }) },
    state: new EventStateStore(await services.table(EVENT_STATE_TABLE)),
    settings: {
      settleSeconds: config.eventsSettleSeconds,
      accounts: [...new Set([...config.sourceStorageAccounts, ...(defaultAccount ? [defaultAccount] : [])])],
      defaultAccount,
    },
  };
}
