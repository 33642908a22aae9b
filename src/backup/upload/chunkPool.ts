// Chunk-sized buffers for the upload engine, reused instead of allocated per chunk. A fresh 10 MiB
// buffer per chunk is garbage V8 frees only at a full collection (it collects array buffers when
// their total has grown by about 64 MiB), so a large file cost a full GC every few chunks and held
// several dead chunks at its peak. The engine needs two at a time (the one on the wire, the one
// being read ahead); a pool keeps that many idle between files, so the next file allocates none.
// A buffer goes back only when nothing can still write into it or send from it (./prefetch.ts).

/** Idle buffers kept per chunk size: what one file in flight uses. More in flight allocate and let go. */
const MAX_IDLE = 2;

export class ChunkPool {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly chunkBytes: number,
    private readonly maxIdle = MAX_IDLE,
  ) {}

  acquire(): Buffer {
    // Unsafe is fine: a reader fills every byte it hands out, and the engine checks the count.
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes);
  }

  release(buffer: Buffer): void {
    // Twice would hand one buffer to two readers at once: a bug to surface, not to absorb.
    if (this.idle.includes(buffer)) throw new Error('A chunk buffer was released twice.');
    if (buffer.length !== this.chunkBytes || this.idle.length >= this.maxIdle) return;
    this.idle.push(buffer);
  }

  /** Buffers waiting to be reused (for tests and the memory benchmark). */
  get idleCount(): number {
    return this.idle.length;
  }
}

const pools = new Map<number, ChunkPool>();

/** The process's pool for one chunk size (jobs choose their chunk size; there are few distinct ones). */
export function chunkPoolFor(chunkBytes: number): ChunkPool {
  let pool = pools.get(chunkBytes);
  if (!pool) {
    pool = new ChunkPool(chunkBytes);
    pools.set(chunkBytes, pool);
  }
  return pool;
}
