// Bounded read-ahead: while chunk n is being uploaded, chunk n+1 is being downloaded. At most two
// chunks are in memory (the one on the wire and the one arriving), whatever the file's size. That
// holds because nothing downstream copies a chunk: src/graph/http.ts streams it to the socket as views
// (a Buffer handed to fetch as is would be copied twice by undici), and the hash reads it in place.
// Dead chunks still wait for V8's next collection; docs/benchmarks.md measures both.
import { AppError } from '../../errors';
import type { RangeReader } from './types';

interface Pending {
  offset: number;
  promise: Promise<Buffer>;
}

export class ChunkPrefetcher {
  private pending?: Pending;
  /** The chunk last handed out, kept so a retry of the same chunk does not read it again. */
  private current?: { offset: number; data: Buffer };

  constructor(
    private readonly read: RangeReader,
    private readonly total: number,
    private readonly chunkBytes: number,
  ) {}

  /** The chunk starting at `offset`; starts reading the one after it before returning. */
  async take(offset: number): Promise<Buffer> {
    if (this.current && this.current.offset === offset) return this.current.data;
    this.current = undefined;
    let promise: Promise<Buffer>;
    if (this.pending && this.pending.offset === offset) promise = this.pending.promise;
    else {
      // A realignment moved us elsewhere: what was read ahead is of no use.
      this.discard();
      promise = this.start(offset);
    }
    this.pending = undefined;
    const data = await promise;
    this.current = { offset, data };
    const next = offset + data.length;
    if (next < this.total) this.pending = { offset: next, promise: this.start(next) };
    return data;
  }

  /** Drops what is held and read ahead (a pending read's failure is then of no interest). */
  discard(): void {
    this.pending = undefined;
    this.current = undefined;
  }

  private start(offset: number): Promise<Buffer> {
    const count = Math.min(this.chunkBytes, this.total - offset);
    const promise = this.read(offset, count).then((data) => {
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
    return promise;
  }
}
