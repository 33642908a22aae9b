// The small interfaces the download engine is written against. The real token service and the
// storage SDK plug in through ../wiring.ts; tests can hand in anything that fits.
import type { SharedBackoff } from '../../graph/backoff';
import type { AccessTokenProvider } from '../../graph/http';
import type { BlobFacts } from '../../sources/blobFacts';
import type { Logger } from '../../log/logger';
import type { Clock } from '../../runtime/clock';
import type { RetryPolicy } from '../../runtime/retry';

/** Bound to one connection by the wiring. */
export type { AccessTokenProvider };

/** Where a backup lives in a drive. */
export interface DriveLocation {
  /** Graph API root including the version, e.g. https://graph.microsoft.com/v1.0. Never taken from a message. */
  graphBaseUrl: string;
  driveId: string;
  /**
   * Folder below the drive root (decoded, '/'-separated, no leading slash; '' = the root). A
   * restored item must lie under it (./containment.ts).
   */
  folderPath: string;
}

export type OverwritePolicy = 'overwrite' | 'skip-existing' | 'fail-if-exists';
export const OVERWRITE_POLICIES: readonly OverwritePolicy[] = [
  'overwrite',
  'skip-existing',
  'fail-if-exists',
];

/** A OneDrive file as the engine needs it. */
export interface DriveFile {
  id: string;
  size: number;
  quickXorHash: string;
  /** Pre-authenticated URL (short-lived); absent when Graph did not include it. */
  downloadUrl?: string;
  /** The item's parentReference.path as Graph gives it (percent-encoded API path); see ./containment.ts. */
  parentPath?: string;
  /** The item's name as stored in the drive (encoded). */
  name?: string;
}

/** What the target blob holds now, if it exists (committed). */
export interface ExistingBlob {
  size: number;
  /** Recorded by an earlier verified restore (blob metadata); absent for blobs written otherwise. */
  quickXorHash?: string;
}

export interface StagedBlock {
  /** Base64 block id, as the service lists it. */
  id: string;
  size: number;
}

/**
 * The target blob as staged blocks. Implemented over @azure/storage-blob's BlockBlobClient
 * (../target/blockBlobTarget.ts).
 */
export interface RestoreTarget {
  readonly blobName: string;
  properties(): Promise<ExistingBlob | undefined>;
  /** Blocks staged and not yet committed (they survive a crash for about a week). */
  uncommittedBlocks(): Promise<StagedBlock[]>;
  stageBlock(id: string, data: Buffer): Promise<void>;
  /**
   * Commits exactly these blocks, in order, and records the verified hash in the blob's metadata.
   * `factsApplied: false`: the facts were refused and the blob was committed without them.
   * `mustNotExist`: fail with Conflict if a blob appeared meanwhile (skip-existing, fail-if-exists).
   */
  commit(
    ids: readonly string[],
    options: { quickXorHash: string; mustNotExist: boolean; facts?: RestoredFacts },
  ): Promise<void | { factsApplied: boolean }>;
}

/** What a restore puts back on a blob besides its bytes (from the run index). */
export type RestoredFacts = Pick<BlobFacts, 'properties' | 'metadata' | 'tags'>;

/** The run index's description of the file, when the restore found one. */
export interface IndexedFacts {
  size: number;
  quickXorHash: string;
  facts?: BlobFacts;
}

/** What an invocation hands the next one when its time budget runs out mid-file. */
export interface RestoreContinuation {
  itemId: string;
  /** First byte not yet staged; the hash state covers exactly [0, nextOffset). */
  nextOffset: number;
  /** QuickXorHash state (JSON of {cells, length}). */
  hashState: string;
}

export interface DownloadStats {
  /** Range GETs sent to the download host, retries included. */
  rangeRequests: number;
  bytesDownloaded: number;
  /** Graph API calls (item, content redirect). */
  graphRequests: number;
  retries: number;
  /** Times a download URL was replaced (expired, 404). */
  urlRefreshes: number;
  blocksStaged: number;
  /** Blocks found already staged by an earlier invocation and not downloaded again. */
  blocksSkipped: number;
}

export type RestoreOutcome =
  | {
      status: 'restored';
      size: number;
      quickXorHash: string;
      name?: string;
      stats: DownloadStats;
      /** Whether the index's properties, metadata and tags were put on the blob. */
      factsApplied: boolean;
    }
  | { status: 'skipped'; reason: 'identical' | 'exists'; size: number; stats: DownloadStats }
  | { status: 'continue'; continuation: RestoreContinuation; stats: DownloadStats };

export interface DownloadOptions {
  /** Bytes per range request and per staged block (default 8 MiB). Memory is about two blocks. */
  blockSize: number;
  /** Epoch ms after which no new block is started; the engine returns a continuation instead. */
  deadline: number;
  overwrite: OverwritePolicy;
  /** Download block n+1 while block n is being staged (default true). */
  readAhead?: boolean;
  clock: Clock;
  retry: RetryPolicy;
  log: Logger;
  requestTimeoutMs: number;
  /** Injectable for tests that inspect requests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /**
   * The connection's shared throttling gate (../../graph/backoff.ts): a 429 seen by a backup upload
   * holds this restore's requests too, and the other way round, since Graph throttles the app and
   * tenant, not the request.
   */
  backoff?: { gate: SharedBackoff; key: string };
  /** Called after every staged block (progress rows, heartbeats). */
  onProgress?: (progress: { staged: number; total: number }) => void | Promise<void>;
}

export interface RestoreFileRequest {
  location: DriveLocation;
  itemId: string;
  target: RestoreTarget;
  tokens: AccessTokenProvider;
  continuation?: RestoreContinuation;
  /** The run index's line for this blob, when the restore found an index. */
  indexed?: IndexedFacts;
  /** Set for files of an encrypted job: what the drive holds is ciphertext. */
  decryption?: ContentDecryption;
  /**
   * What the job's manifest says the backup wrote (a restore from the job's manifest): a drive
   * copy with another quickXorHash was changed or cut short in OneDrive since, and is refused.
   */
  recorded?: { quickXorHash: string };
}

/**
 * How the engine turns an encrypted file's bytes back into the original (../../crypt through
 * ../wiring.ts). The file is ciphertext in independently sealed blocks after a header, so the engine
 * plans its blocks over the *plaintext*, in multiples of `blockUnit`: each maps to whole cipher
 * blocks, which decrypt on their own and let a restore resume at any block. Every cipher block
 * carries an authenticator, checked before its bytes are staged: that, and the plaintext size,
 * verify the file (OneDrive's quickXorHash is of the ciphertext and is kept for the no-op check).
 */
export interface ContentDecryption {
  headerBytes: number;
  blockUnit: number;
  /** Throws DecryptionFailed for a size no plaintext encrypts to. */
  plainSize(cipherSize: number): number;
  /** The ciphertext bytes holding plaintext [offset, offset + count); offset is a multiple of blockUnit. */
  cipherRange(offset: number, count: number): { offset: number; count: number };
  /** Plaintext of `ciphertext` (read at cipherRange(offset, ...)); rejects with DecryptionFailed when a block does not open. */
  decrypt(header: Buffer, offset: number, ciphertext: Buffer): Promise<Buffer>;
}

export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
/** The Blob service's limit for one staged block. */
export const MAX_BLOCK_SIZE = 4000 * 1024 * 1024;

export function emptyStats(): DownloadStats {
  return {
    rangeRequests: 0,
    bytesDownloaded: 0,
    graphRequests: 0,
    retries: 0,
    urlRefreshes: 0,
    blocksStaged: 0,
    blocksSkipped: 0,
  };
}
