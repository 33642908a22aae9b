// What the events area needs: the backup pipeline's stores, source and queue (it hands files to the
// same uploader), its own state table, and its settings. ./wiring.ts builds them.
import type { BackupDeps } from '../backup/deps';
import type { EventStateStore } from './eventState';

export interface EventSettings {
  /** EVENTS_SETTLE_SECONDS. */
  settleSeconds: number;
  /**
   * Storage accounts whose events may start uploads (lowercase): SOURCE_STORAGE_ACCOUNTS, plus the
   * account of SOURCE_CONNECTION_STRING. An event from any other topic is refused.
   */
  accounts: readonly string[];
  /** The account a job without its own blob endpoint reads (SOURCE_CONNECTION_STRING's). */
  defaultAccount?: string;
}

export interface EventDeps {
  backup: BackupDeps;
  state: EventStateStore;
  settings: EventSettings;
}
