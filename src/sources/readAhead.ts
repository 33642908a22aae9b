// Bounded read-ahead: yields a byte range as successive chunks while the next chunk downloads.
// While the consumer works on chunk n (say, uploads it), chunk n+1 is in flight; chunk n+2 is
// requested only when the consumer asks for n+1. So at most two chunks are held at once (the one
// being consumed and the one downloading) and memory stays proportional to the chunk size, never
// to the file size.

import type { SourceChunk } from './types';

export type ReadRange = (offset: number, count: number, signal: AbortSignal) => Promise<Buffer>;

export interface ReadAheadOptions {
  size: number;
  chunkSize: number;
  startOffset?: number;
  abortSignal?: AbortSignal;
}

type Settled = { ok: true; chunk: SourceChunk } | { ok: false; error: unknown };

export async function* readAhead(read: ReadRange, options: ReadAheadOptions): AsyncGenerator<SourceChunk> {
  const { size, chunkSize } = options;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0)
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const start = options.startOffset ?? 0;
  if (start < 0 || start > size)
    throw new RangeError(`startOffset ${start} is outside the blob (size ${size})`);

  // Our own controller, so a consumer that stops early also cancels the download in flight.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.abortSignal?.reason);
  options.abortSignal?.addEventListener('abort', onAbort, { once: true });

  // A settled wrapper: a download that fails while the consumer is busy must not become an
  // unhandled rejection; its error is rethrown when the consumer reaches that chunk.
  const fetchChunk = (offset: number): Promise<Settled> => {
    const count = Math.min(chunkSize, size - offset);
    return read(offset, count, controller.signal).then(
      (data): Settled => {
        if (data.length !== count)
          return {
            ok: false,
            error: new Error(`Short read at offset ${offset}: expected ${count} bytes, got ${data.length}`),
          };
        return { ok: true, chunk: { offset, data } };
      },
      (error: unknown): Settled => ({ ok: false, error }),
    );
  };

  let pending = start < size ? fetchChunk(start) : undefined;
  let settled: Settled | undefined;
  let current: SourceChunk | undefined;
  try {
    while (pending) {
      settled = await pending;
      pending = undefined;
      if (!settled.ok) throw settled.error;
      current = settled.chunk;
      settled = undefined;
      const next = current.offset + current.data.length;
      if (next < size) pending = fetchChunk(next); // chunk n+1 downloads while the consumer has chunk n
      yield current;
      // The consumer asked for the next chunk, so it is done with this one: let it go now rather than
      // keep it (in this suspended generator) while chunk n+1 finishes downloading.
      current = undefined;
    }
  } finally {
    options.abortSignal?.removeEventListener('abort', onAbort);
    if (pending) controller.abort();
  }
}
