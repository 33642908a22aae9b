import { ChunkPool } from '../../../../src/backup/upload/chunkPool';
import { ChunkPrefetcher } from '../../../../src/backup/upload/prefetch';

describe('read-ahead', () => {
  function source(total: number): {
    reads: Array<[number, number]>;
    into: Array<Buffer | undefined>;
    read: (o: number, c: number, into?: Buffer) => Promise<Buffer>;
  } {
    const reads: Array<[number, number]> = [];
    const into: Array<Buffer | undefined> = [];
    return {
      reads,
      into,
      read: async (offset, count, buffer) => {
        reads.push([offset, count]);
        into.push(buffer);
        const n = Math.min(count, total - offset);
        // Fills the engine's buffer as the blob source does.
        return buffer ? buffer.fill(offset & 0xff, 0, n).subarray(0, n) : Buffer.alloc(n, offset & 0xff);
      },
    };
  }

  it('starts reading chunk n+1 when chunk n is handed out, and no further', async () => {
    const src = source(25);
    const prefetch = new ChunkPrefetcher(src.read, 25, new ChunkPool(10));
    await prefetch.take(0);
    expect(src.reads).toEqual([
      [0, 10],
      [10, 10],
    ]);
    await prefetch.take(10);
    expect(src.reads).toEqual([
      [0, 10],
      [10, 10],
      [20, 5],
    ]);
    expect((await prefetch.take(20)).length).toBe(5);
    expect(src.reads).toHaveLength(3);
  });

  it('hands the same chunk again without reading it again (a retry)', async () => {
    const src = source(30);
    const prefetch = new ChunkPrefetcher(src.read, 30, new ChunkPool(10));
    await prefetch.take(0);
    await prefetch.take(0);
    expect(src.reads).toHaveLength(2);
  });

  it('fails when the source returns fewer bytes than asked (it changed)', async () => {
    const prefetch = new ChunkPrefetcher(async () => Buffer.alloc(3), 30, new ChunkPool(10));
    await expect(prefetch.take(0)).rejects.toMatchObject({ code: 'UpstreamError' });
  });

  it('reads a whole file into two reused buffers, and gives them back to the pool at the end', async () => {
    const src = source(95);
    const pool = new ChunkPool(10);
    const prefetch = new ChunkPrefetcher(src.read, 95, pool);
    for (let offset = 0; offset < 95; offset += 10) {
      const chunk = await prefetch.take(offset);
      expect(chunk.equals(Buffer.alloc(Math.min(10, 95 - offset), offset & 0xff))).toBe(true);
    }
    expect(src.into.every((b) => b !== undefined)).toBe(true);
    expect(new Set(src.into).size).toBe(2);
    prefetch.discard();
    expect(pool.idleCount).toBe(2);
    // The next file takes the same two buffers again: no new allocation per file either.
    const next = source(30);
    const again = new ChunkPrefetcher(next.read, 30, pool);
    await again.take(0);
    await again.take(10);
    expect(new Set([...src.into, ...next.into]).size).toBe(2);
  });

  it('never reads into a buffer that a discarded read is still filling', async () => {
    const pool = new ChunkPool(10);
    const into: Buffer[] = [];
    let finishLate: (() => void) | undefined;
    const read = (offset: number, count: number, buffer?: Buffer): Promise<Buffer> => {
      into.push(buffer!);
      const data = buffer!.fill(1, 0, count).subarray(0, count);
      // The read-ahead of chunk 1 stays in flight until the test lets it finish.
      if (offset === 10 && !finishLate) return new Promise((resolve) => (finishLate = () => resolve(data)));
      return Promise.resolve(data);
    };
    const prefetch = new ChunkPrefetcher(read, 50, pool);
    await prefetch.take(0);
    const inFlight = into[1];
    prefetch.discard();
    // A realignment elsewhere: new reads must not get the buffer chunk 1 is still arriving in.
    await prefetch.take(30);
    expect(into.slice(2)).not.toContain(inFlight);
    finishLate!();
    await new Promise((resolve) => setImmediate(resolve));
    prefetch.discard();
    expect(pool.idleCount).toBe(2);
  });
});

describe('chunk pool', () => {
  it('keeps at most its idle limit, and refuses a buffer given back twice', () => {
    const pool = new ChunkPool(8, 2);
    const [a, b, c] = [pool.acquire(), pool.acquire(), pool.acquire()];
    pool.release(a);
    pool.release(b);
    pool.release(c);
    expect(pool.idleCount).toBe(2);
    expect(pool.acquire()).toBe(b);
    pool.release(b);
    expect(() => pool.release(b)).toThrow(/twice/);
    // A buffer of another size is not the pool's: it is let go, not kept.
    pool.acquire();
    pool.release(Buffer.alloc(4));
    expect(pool.idleCount).toBe(1);
  });
});
