// Upload sessions: the byte-range rules of createUploadSession, on an injectable clock.
// Chunks are kept as a list and concatenated once at completion, so a 1 GiB upload is copied once,
// not once per chunk. A chunk changes the session only after it was fully received and passed every
// rule (and, for the last one, after the file was committed): a request cut off mid-body never
// reaches here, which is exactly "the chunk is not accepted".
import { randomBytes } from 'node:crypto';
import { GraphError, notFound } from './errors';
import type { ConflictBehavior, Drive, FileSystemInfo } from './store';

/** Every chunk but the last must be a multiple of 320 KiB. */
export const FRAGMENT_MULTIPLE = 327_680;
/** Microsoft: "the maximum bytes in any given request is less than 60 MiB". */
export const MAX_FRAGMENT_BYTES = 60 * 1024 * 1024;

export interface IdleTimeouts {
  personal: number;
  business: number;
}

/** Business sessions expire after about 15 idle minutes, personal ones after about a day. */
export const DEFAULT_IDLE_MS: IdleTimeouts = { personal: 24 * 3600_000, business: 15 * 60_000 };

export interface UploadTarget {
  drive: Drive;
  /** Item the path is relative to (root or a folder by id). */
  baseItemId: string;
  /** Folders between base and the file; created at completion when missing. */
  folders: string[];
  name: string;
  conflict: ConflictBehavior;
  /** Client dates from the session's `item`, applied when the file is committed. */
  fileSystemInfo?: Partial<FileSystemInfo>;
  /** deferCommit: the last byte does not create the file; an explicit POST to the upload URL does. */
  deferCommit?: boolean;
}

export interface UploadSession {
  id: string;
  secret: string;
  target: UploadTarget;
  chunks: Buffer[];
  received: number;
  /** Declared by the first chunk's Content-Range; every later chunk must agree. */
  total?: number;
  expiresAt: number;
  idleMs: number;
}

export interface ChunkHooks<T> {
  /** Called once the total size is first known, before the first chunk is accepted (quota). */
  onTotalKnown: (total: number) => void;
  /** Called with the whole file when the last chunk arrives; throwing leaves the session as it was. */
  commit: (content: Buffer) => T;
}

export type ChunkOutcome<T> = { done: false; status: SessionStatus } | { done: true; result: T };

export interface SessionStatus {
  expirationDateTime: string;
  nextExpectedRanges: string[];
}

const invalidRange = (message: string, innerCode?: string): GraphError =>
  new GraphError(400, 'invalidRange', message, innerCode);

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();

  constructor(
    private readonly now: () => number,
    private readonly idle: IdleTimeouts,
  ) {}

  create(target: UploadTarget): UploadSession {
    const idleMs = target.drive.driveType === 'personal' ? this.idle.personal : this.idle.business;
    const session: UploadSession = {
      id: randomBytes(12).toString('hex'),
      secret: randomBytes(24).toString('base64url'),
      target,
      chunks: [],
      received: 0,
      expiresAt: this.now() + idleMs,
      idleMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for an upload URL; 404 itemNotFound when unknown, cancelled or expired. */
  get(id: string, secret: string): UploadSession {
    const session = this.sessions.get(id);
    if (!session || session.secret !== secret) throw sessionNotFound();
    if (this.now() >= session.expiresAt) {
      this.sessions.delete(id);
      throw sessionNotFound();
    }
    return session;
  }

  cancel(session: UploadSession): void {
    this.sessions.delete(session.id);
  }

  status(session: UploadSession): SessionStatus {
    return {
      expirationDateTime: new Date(session.expiresAt).toISOString(),
      nextExpectedRanges:
        session.total !== undefined && session.received === session.total
          ? []
          : [`${session.received}-${session.total !== undefined ? session.total - 1 : ''}`],
    };
  }

  put<T>(
    session: UploadSession,
    contentRange: string | undefined,
    body: Buffer,
    hooks: ChunkHooks<T>,
  ): ChunkOutcome<T> {
    const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? '');
    if (!match) {
      throw new GraphError(400, 'invalidRequest', 'Content-Range must be "bytes first-last/total".');
    }
    const [start, end, total] = match.slice(1).map(Number);
    const length = end - start + 1;
    if (end < start || end >= total)
      throw invalidRange(`Content-Range ${contentRange} is not a valid range.`);
    if (body.length !== length) {
      throw new GraphError(
        400,
        'invalidRequest',
        `The body has ${body.length} bytes but Content-Range declares ${length}.`,
      );
    }
    if (length >= MAX_FRAGMENT_BYTES) {
      throw new GraphError(
        413,
        'invalidRequest',
        `A fragment must be smaller than 60 MiB; this one is ${length} bytes.`,
        'maxFragmentLengthExceeded',
      );
    }
    if (session.total !== undefined && total !== session.total) {
      throw invalidRange(
        `Declared total ${total} differs from the session's ${session.total}.`,
        'fragmentLengthMismatch',
      );
    }
    if (start < session.received) {
      throw new GraphError(
        416,
        'invalidRange',
        'The uploaded fragment overlaps with data that has already been received.',
        'fragmentOverlap',
        { 'Content-Range': `bytes */${session.total ?? total}` },
      );
    }
    if (start > session.received) {
      throw invalidRange(
        `Expected a fragment starting at ${session.received}, got ${start}.`,
        'fragmentOutOfOrder',
      );
    }
    const final = end + 1 === total;
    if (!final && length % FRAGMENT_MULTIPLE !== 0) {
      throw invalidRange(`Fragments other than the last must be a multiple of 327680 bytes; got ${length}.`);
    }
    if (session.total === undefined) hooks.onTotalKnown(total);

    if (final && !session.target.deferCommit) {
      const result = hooks.commit(Buffer.concat([...session.chunks, body], total));
      this.sessions.delete(session.id);
      return { done: true, result };
    }
    session.total = total;
    session.chunks.push(body);
    session.received += length;
    session.expiresAt = this.now() + session.idleMs;
    return { done: false, status: this.status(session) };
  }

  /** The explicit completion of a deferCommit session: only once every byte has arrived. */
  commit<T>(session: UploadSession, commit: (content: Buffer) => T): T {
    if (!session.target.deferCommit) {
      throw new GraphError(400, 'invalidRequest', 'This upload session commits on its last byte.');
    }
    if (session.total === undefined || session.received !== session.total) {
      throw new GraphError(400, 'invalidRequest', 'The upload is incomplete; send every byte first.');
    }
    const result = commit(Buffer.concat(session.chunks, session.total));
    this.sessions.delete(session.id);
    return result;
  }

  list(): UploadSession[] {
    return [...this.sessions.values()];
  }

  /** Makes a session expire now (tests: the idle timeout without waiting for it). */
  expire(id: string): void {
    const session = this.sessions.get(id);
    if (session) session.expiresAt = this.now();
  }

  expireAll(): void {
    for (const session of this.sessions.values()) session.expiresAt = this.now();
  }
}

function sessionNotFound(): GraphError {
  const error = notFound('The upload session was not found or has expired.');
  return new GraphError(error.status, error.code, error.message, 'uploadSessionNotFound');
}
