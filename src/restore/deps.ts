// What the restore handlers need from the rest of the app, as small interfaces. ./wiring.ts builds
// them from the real services; tests build them over Azurite and the emulators directly.
import type { Transform } from 'node:stream';
import type { Clock } from '../runtime/clock';
import type { SharedBackoff } from '../graph/backoff';
import type { RetryPolicy } from '../runtime/retry';
import type { Logger } from '../log/logger';
import type { RunStatus } from '../store/runs';
import type { ManifestEntry } from '../store/manifest';
import type { AccessTokenProvider, ContentDecryption, RestoreTarget } from './download/types';
import type { RestoreIndexStore } from './index/indexStore';
import type { ListingLedger } from './listing/ledger';
import type { RestoreEncryption, RestoreMessage, RestoreSpec } from './messages';
import type { RestoreTargetContainer } from './targets';

/** A connection's drive: where Graph is and who we are there. */
export interface ConnectionDrive {
  graphBaseUrl: string;
  driveId: string;
  /** The connection's root folder in the drive ('' for the drive root). */
  rootFolder: string;
  /** Business drives and libraries rewrite Office documents stored under their own name. */
  driveType?: 'personal' | 'business' | 'sharepoint';
  tokens: AccessTokenProvider;
}

/** One page of a job's manifest: which drive item holds which blob. */
export interface ManifestPage {
  entries: Array<{ blobName: string; driveItemId: string; size: number }>;
  continuationToken?: string;
}

export interface ManifestPager {
  page(jobId: string, continuationToken: string | undefined, pageSize: number): Promise<ManifestPage>;
  /** One blob's entry: what the backup recorded writing (its item id and quickXorHash). */
  get(
    jobId: string,
    blobName: string,
  ): Promise<Pick<ManifestEntry, 'driveItemId' | 'quickXorHash'> | undefined>;
}

export type FileOutcome =
  | {
      status: 'restored';
      size: number;
      driveItemId: string;
      note?: string;
      /** The bytes are SharePoint's rewritten copy of an Office document. */
      rewritten?: boolean;
    }
  | { status: 'skipped'; size: number; driveItemId: string; reason: string }
  | { status: 'failed'; size: number; driveItemId?: string; code: string; reason: string };

/** The restore's view of the run store (runs.ts): same runs, statuses and counts as backups. */
export interface RunRecorder {
  /** The run, with the spec every message of it is handled with (messages carry none). */
  create(run: { partition: string; runId: string; createdAt: string; spec: RestoreSpec }): Promise<void>;
  /** The spec recorded by create; undefined for a run that is not a restore started that way. */
  restoreSpec(partition: string, runId: string): Promise<RestoreSpec | undefined>;
  markRunning(partition: string, runId: string): Promise<void>;
  recordListing(runId: string, listingKey: string, plan: { files: number; bytes: number }): Promise<void>;
  markListingComplete(partition: string, runId: string): Promise<void>;
  fileProgress(runId: string, blobName: string, size: number, bytesDone: number): Promise<void>;
  /** Exactly once per file however often delivered; false when it was already final. */
  finishFile(runId: string, blobName: string, outcome: FileOutcome): Promise<boolean>;
  /** Ends the run when listing is complete and every listed file has a result. */
  checkCompletion(partition: string, runId: string): Promise<RunStatus | undefined>;
  failRun(
    partition: string,
    runId: string,
    error: string,
    details?: { errorCode?: string; advice?: string },
  ): Promise<void>;
}

export interface RestoreSettings {
  blockSize: number;
  invocationBudgetSeconds: number;
  requestTimeoutMs: number;
  manifestPageSize: number;
  sendConcurrency: number;
  /** RESTORE_TARGET_CONTAINERS, parsed; undefined: any container (local development). */
  targetContainers?: readonly RestoreTargetContainer[];
}

export interface RestoreDeps {
  runs: RunRecorder;
  ledger: ListingLedger;
  /**
   * The run index rows of restore runs: the first listing loads the backup folder's newest index,
   * each file task puts its properties, metadata and tags back. Without it, bytes and names only.
   */
  index?: RestoreIndexStore;
  manifest: ManifestPager;
  drive(connectionId: string): Promise<ConnectionDrive>;
  /** The target blob (the container is created by ensureContainer first). */
  target(spec: RestoreSpec, blobName: string): RestoreTarget;
  ensureContainer(spec: RestoreSpec): Promise<void>;
  send(message: RestoreMessage): Promise<void>;
  settings: RestoreSettings;
  clock: Clock;
  retry: RetryPolicy;
  log: Logger;
  /** Injectable for tests that count requests. */
  fetch?: typeof fetch;
  /** The process's shared throttling gate (../graph/backoff.ts), keyed by connection; none: each restore waits alone. */
  backoff?: SharedBackoff;
  /** An encrypted job's keys as the restore uses them; absent: encrypted restores are refused. */
  crypt?(encryption: RestoreEncryption): Promise<RestoreCrypt>;
}

/** What an encrypted job's keys give a restore: its files' bytes and names back. */
export interface RestoreCrypt {
  content: ContentDecryption;
  /** The original blob name of a path as stored below the backup folder (decoded drive names). */
  decryptPath(storedPath: string): string;
  /** A folder path below the backup folder as the job stores it (the run index's folder). */
  storedDirPath(plainPath: string): string;
  /** A stream that turns a whole encrypted file back into its plaintext, authenticating each block. */
  decrypting(): Transform;
}
