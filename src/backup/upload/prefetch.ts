// Bounded read-ahead: while chunk n is being uploaded, chunk n+1 is being downloaded. At most two
// chunks are in memory (the one on the wire and the one arriving), whatever the file's size. That
// holds because nothing downstream copies a chunk: src/graph/http.ts streams it to the socket as views
// (a Buffer handed to fetch as is would be copied twice by undici), and the hash reads it in place.
// The two chunks live in buffers from a pool (./chunkPool.ts) that the reader fills in place, so a
// file allocates no chunk buffer of its own and leaves no dead chunks for V8 to collect.
import { AppError } from '../../errors';
import type { ChunkPool } from './chunkPool';
import type { RangeReader } from './types';

interface Held {
  offset: number;
  /** The pool buffer the chunk was read into; what the reader returned may be another buffer. */
  buffer: Buffer;
}

interface Pending extends Held {
  promise: Promise<Buffer>;
}

export class ChunkPrefetcher {
  private pending?: Pending;
  /** The chunk last handed out, kept so a retry of the same chunk does not read it again. */
  private current?: Held & { data: Buffer };

  constructor(
    private readonly read: RangeReader,
    private readonly total: number,
    private readonly pool: ChunkPool,
  ) {}

  /**
   * The chunk starting at `offset`; starts reading the one after it before returning. The chunk
   * stays valid until the next `take` of another offset or `discard`: its buffer is then reused, so
   * the caller must be done with it (its PUT settled, its bytes hashed) before moving on.
   */
  async take(offset: number): Promise<Buffer> {
    if (this.current && this.current.offset === offset) return this.current.data;
    this.releaseCurrent();
    let pending: Pending;
    if (this.pending && this.pending.offset === offset) pending = this.pending;
    else {
      // A realignment moved us elsewhere: what was read ahead is of no use.
      this.discard();
      pending = this.start(offset);
    }
    this.pending = undefined;
    const data = await pending.promise;
    this.current = { offset, buffer: pending.buffer, data };
    const next = offset + data.length;
    if (next < this.total) this.pending = this.start(next);
    return data;
  }

  /** Drops what is held and read ahead (a pending read's failure is then of no interest). */
  discard(): void {
    this.releaseCurrent();
    const pending = this.pending;
    this.pending = undefined;
    // A read still in flight keeps writing into its buffer: it goes back only once the read settles.
    if (pending) {
      const release = (): void => this.pool.release(pending.buffer);
      pending.promise.then(release, release);
    }
  }

  private releaseCurrent(): void {
    if (this.current) this.pool.release(this.current.buffer);
    this.current = undefined;
  }

  private start(offset: number): Pending {
    const count = Math.min(this.pool.chunkBytes, this.total - offset);
    const buffer = this.pool.acquire();
    const promise = this.read(offset, count, buffer).then((data) => {
      if (data.length !== count) {
        throw new AppError(
          'UpstreamError',
          `The source returned ${data.length} bytes at offset ${offset} where ${count} were expected; it changed during the upload.`,
        );
      }
      return data;
    });
    // A read-ahead that fails and is then discarded must not surface as an unhandled rejection; a
    // taken one still rejects for the caller who awaits it.
    promise.catch(() => undefined);
    return { offset, buffer, promise };
  }
}
