// What the backup handlers need from the rest of the app, as small interfaces. ./wiring.ts builds
// them from the real services; tests build them over Azurite and the emulators directly.
import type { QuotaAlertFacts } from '../log/alertEvents';
import type { Logger } from '../log/logger';
import type { BlobSource } from '../sources/types';
import type { JobStore, Job } from '../store/jobs';
import type { ManifestStore } from '../store/manifest';
import type { RunStore } from '../store/runs';
import type { Clock } from '../runtime/clock';
import type { SharedBackoff } from '../graph/backoff';
import type { AccessTokenProvider } from './upload/types';
import type { SessionCheckpoints } from './upload/sessionStore';
import type { SessionFile } from '../store/uploadSessions';
import type { CryptKeyring } from '../secrets/cryptPasswords';
import type { PagePrefetch } from './pagePrefetch';

/** Where a connection's files go. */
export interface DriveDestination {
  /** Graph API root with version (the emulator's locally). */
  apiBaseUrl: string;
  driveId: string;
  /** The connection's root folder in the drive ('' for the drive root). */
  rootFolder: string;
  /** permanentDelete exists on business drives only. */
  driveType: 'personal' | 'business' | 'sharepoint';
  /** Hosts an upload URL of this connection's cloud may be on. */
  allowedUploadHosts: readonly string[];
  tokens: AccessTokenProvider;
}

export interface BackupSettings {
  simpleUploadMaxBytes: number;
  invocationBudgetSeconds: number;
  plannerPageSize: number;
  runTimeoutMinutes: number;
  /** Concurrent queue sends while the planner fans out a page. */
  sendConcurrency: number;
  /** Chunk size of a job created without one (UPLOAD_CHUNK_BYTES); unset means 10 MiB. */
  defaultChunkBytes?: number;
  /** EVENTS_ENABLED: the deployment delivers the source's blob events (new jobs take them). */
  eventsEnabled?: boolean;
  /** EVENTS_SETTLE_SECONDS: how long a blob must stay unchanged before an event uploads it. */
  eventsSettleSeconds?: number;
}

/** A run that ended early for want of space: what the alert says. */
export type QuotaAlert = QuotaAlertFacts;

export interface BackupDeps {
  jobs: JobStore;
  runs: RunStore;
  manifest: ManifestStore;
  source(job: Job): BlobSource;
  destination(connectionId: string): Promise<DriveDestination>;
  send(queue: string, message: unknown, options?: { visibilityTimeoutSeconds?: number }): Promise<void>;
  settings: BackupSettings;
  clock: Clock;
  log: Logger;
  /** The process's shared throttling gate (../graph/backoff.ts); none: each upload waits alone. */
  backoff?: SharedBackoff;
  /** Where a file's upload session is kept while in flight (crash resume); none: not kept. */
  uploadSessions?: (file: SessionFile) => SessionCheckpoints;
  /** Encrypted jobs' passwords (Key Vault) and the keys derived from them, cached per process. */
  crypt?: CryptKeyring;
  /** Lists a run's next page while the planner writes the current one; none: listed when taken. */
  pagePrefetch?: PagePrefetch;
  /** Raises the quota alert (the composition root hands it to the alert area's notifier). */
  onQuotaAlert?: (alert: QuotaAlert) => Promise<void>;
}
