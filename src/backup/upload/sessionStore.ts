// Where the engine keeps the upload session of the file it is sending, so that a task redelivered
// after a crash resumes it instead of starting from byte 0. The engine saves after the session is
// created (waiting for that first write) and after every chunk the server acknowledges, saves the
// finished state when the file is done (the task clears the row once it has recorded the file),
// clears when the session is given up, and loads once before a session upload starts. The store behind it
// (../../store/uploadSessions.ts) keeps the URL encrypted; this side only orders the writes.
import type { Logger } from '../../log/logger';
import type { UploadContinuation } from './types';

/** One file's saved session. Implementations must never log or expose the upload URL. */
export interface SessionCheckpoints {
  load(): Promise<UploadContinuation | undefined>;
  save(session: UploadContinuation): Promise<void>;
  clear(): Promise<void>;
}

/**
 * Saves without holding up the upload: at most one write in flight, and while it runs only the
 * newest checkpoint waits (older ones are dropped, being superseded). A crash may so lose the last
 * checkpoint; the server is then ahead of the stored offset and the next attempt hashes that one
 * chunk from the source again instead of sending it. A failed write is logged and the upload goes
 * on: the checkpoint is an optimisation, never a reason to fail a file.
 */
export class Checkpointer {
  private pending?: UploadContinuation;
  private writing?: Promise<void>;

  constructor(
    private readonly store: SessionCheckpoints,
    private readonly log: Logger,
  ) {}

  /** The stored session, or undefined (none, or the store could not be read: start afresh). */
  async load(): Promise<UploadContinuation | undefined> {
    try {
      return await this.store.load();
    } catch (error) {
      this.log.warn('upload.checkpoint.unreadable', { reason: reasonOf(error) });
      return undefined;
    }
  }

  save(session: UploadContinuation): void {
    this.pending = session;
    this.writing ??= this.drain();
  }

  /** Waits for the writes already asked for. */
  async flush(): Promise<void> {
    await this.writing;
  }

  /**
   * Saves the finished state (every byte acknowledged, the whole file's hash) and waits for it. The
   * row outlives the upload until the task has recorded the file (its caller then clears it): a
   * task killed between the last chunk and that record is redelivered, finds the session gone and
   * this state, and checks the drive's item against the hash instead of sending the file again.
   */
  async finish(session: UploadContinuation): Promise<void> {
    this.save(session);
    await this.flush();
  }

  /** Forgets the session: the file is recorded, or the session is gone for good. */
  async clear(): Promise<void> {
    this.pending = undefined;
    await this.writing;
    try {
      await this.store.clear();
    } catch (error) {
      // The row expires with its session; the sweep removes it then.
      this.log.warn('upload.checkpoint.clear.failed', { reason: reasonOf(error) });
    }
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const next = this.pending;
      this.pending = undefined;
      try {
        await this.store.save(next);
      } catch (error) {
        this.log.warn('upload.checkpoint.failed', { committed: next.nextOffset, reason: reasonOf(error) });
      }
    }
    this.writing = undefined;
  }
}

/** The error's code or message only: a store error could in principle quote what it was given. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
}
