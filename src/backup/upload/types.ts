// The small interfaces the upload engine is written against. The real token service, blob source and
// quickXorHash plug in through ../wiring.ts; tests can hand in anything that fits.
import type { SharedBackoff } from '../../graph/backoff';
import type { AccessTokenProvider } from '../../graph/http';
import type { Logger } from '../../log/logger';
import type { Clock } from '../../runtime/clock';
import type { RetryPolicy } from '../../runtime/retry';
import type { SessionCheckpoints } from './sessionStore';

export type { AccessTokenProvider };

/**
 * Reads bytes [offset, offset+count) of the one source version being uploaded (ETag-pinned). `into`,
 * when given, is a buffer of at least `count` bytes the reader may fill and return a view of, so the
 * engine reuses its chunk buffers; a reader may also return a buffer of its own.
 */
export type RangeReader = (offset: number, count: number, into?: Buffer) => Promise<Buffer>;

/** A running quickXorHash whose state can be carried across invocations as a string. */
export interface ContentHasher {
  update(data: Uint8Array): void;
  /** Base64 digest of everything fed so far. Does not end the hasher. */
  digest(): string;
  /** Serializable state (a few dozen bytes). */
  save(): string;
}

export interface HashAlgorithm {
  create(): ContentHasher;
  restore(state: string): ContentHasher;
}

export interface UploadTarget {
  /** Graph API root including the version, e.g. https://graph.microsoft.com/v1.0. */
  apiBaseUrl: string;
  driveId: string;
  /** Destination path below the drive root, each segment already percent-encoded, no leading slash. */
  encodedPath: string;
}

/** What an invocation hands to the next one when its time budget runs out mid-file. */
export interface UploadContinuation {
  uploadUrl: string;
  /** First byte the next invocation sends; the hash state covers exactly [0, nextOffset). */
  nextOffset: number;
  hashState: string;
  /** ISO time after which the server forgets the session (a new one is started then). */
  sessionExpiresAt?: string;
}

export interface UploadedItem {
  id: string;
  size: number;
  quickXorHash: string;
  eTag?: string;
  /**
   * Set when the drive holds other bytes than were sent because SharePoint rewrote the file
   * (`acceptRewrite`): `size` and `quickXorHash` are then the server's, `sent` what was uploaded.
   */
  rewritten?: { sentSize: number; sentQuickXorHash: string };
  /** The item's fileSystemInfo.lastModifiedDateTime as the drive reports it. */
  lastModifiedDateTime?: string;
}

export interface UploadStats {
  /** Every HTTP request sent to Graph or the upload URL, including retries. */
  requests: number;
  /** Body bytes put on the wire, including resent ones. */
  bytesSent: number;
  retries: number;
  sessionsCreated: number;
  /** 429/503 answers received. */
  throttles: number;
  /** Time spent waiting because of throttling: this upload's Retry-After and the connection's shared gate. */
  throttledMs: number;
}

export type UploadOutcome =
  | { status: 'completed'; item: UploadedItem; stats: UploadStats }
  | { status: 'continue'; continuation: UploadContinuation; stats: UploadStats };

export interface UploadOptions {
  /** Upload-session fragment size: a multiple of 320 KiB, under 60 MiB (validated by the caller). */
  chunkBytes: number;
  /** Files up to this size go in one simple PUT. */
  simpleUploadMaxBytes: number;
  /** Epoch ms after which no new chunk is started; the engine returns a continuation instead. */
  deadline: number;
  /**
   * Hosts a message-borne upload URL may point at: exact names or `*.suffix` patterns. A tampered
   * message must not make the worker PUT our data (or GET) anywhere else.
   */
  allowedUploadHosts: readonly string[];
  clock: Clock;
  retry: RetryPolicy;
  hash: HashAlgorithm;
  log: Logger;
  /** Per-request timeout; a hung connection counts as a network failure. */
  requestTimeoutMs: number;
  /** The connection's shared throttling gate (../../graph/backoff.ts); none: this upload waits alone. */
  backoff?: { gate: SharedBackoff; key: string };
  /**
   * The file is an Office document the job keeps under its own name on a drive that rewrites such
   * files (officeFiles: native): a different size and hash after upload is SharePoint's property
   * promotion, recorded as `rewritten` instead of failing the file.
   */
  acceptRewrite?: boolean;
  /** Called after the session is created and after every accepted chunk (for progress and crash-resume checkpoints). */
  onProgress?: (progress: {
    committed: number;
    total: number;
    continuation: UploadContinuation;
  }) => void | Promise<void>;
}

export interface UploadRequest {
  target: UploadTarget;
  size: number;
  read: RangeReader;
  tokens: AccessTokenProvider;
  /** Resume an earlier invocation's session. */
  continuation?: UploadContinuation;
  /**
   * Where this file's upload session is saved while it is in flight, so an attempt after a crash
   * resumes it (it wins over `continuation`: it is at least as recent). None: nothing is saved.
   */
  checkpoints?: SessionCheckpoints;
  /** The source's last-modified time (ISO): the date OneDrive shows for the file. */
  lastModified?: string;
  /**
   * The task was delivered before (a crash may have come after the drive took the file and before
   * the task recorded it): a simple upload first asks the drive whether it holds exactly these bytes.
   */
  redelivered?: boolean;
}
