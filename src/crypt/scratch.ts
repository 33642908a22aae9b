// Reused shared memory for the encrypting reader: the plaintext a call reads and the boxes it seals.
// Shared (SharedArrayBuffer), so a sealing worker reads and writes them in place; reused, because a
// fresh pair of chunk-sized buffers per chunk is garbage V8 frees only at a full collection (the
// upload engine's chunk pool has the same reason). A call holds one pair from its read to its copy out.

export interface Scratch {
  /** Exactly the requested lengths, views into `plainMemory` and `cipherMemory`. */
  plain: Buffer;
  cipher: Buffer;
  plainMemory: Buffer;
  cipherMemory: Buffer;
}

/** Pairs kept idle: one file's read-ahead holds one at a time; two covers a second file in flight. */
const MAX_IDLE = 2;
const idle: Scratch[] = [];

const shared = (bytes: number): Buffer => Buffer.from(new SharedArrayBuffer(Math.max(1, bytes)));

export function acquireScratch(plainBytes: number, cipherBytes: number): Scratch {
  const index = idle.findIndex(
    (s) => s.plainMemory.length >= plainBytes && s.cipherMemory.length >= cipherBytes,
  );
  const found = index >= 0 ? idle.splice(index, 1)[0] : undefined;
  const plainMemory = found?.plainMemory ?? shared(plainBytes);
  const cipherMemory = found?.cipherMemory ?? shared(cipherBytes);
  return {
    plainMemory,
    cipherMemory,
    plain: plainMemory.subarray(0, plainBytes),
    cipher: cipherMemory.subarray(0, cipherBytes),
  };
}

export function releaseScratch(scratch: Scratch): void {
  if (idle.some((s) => s.plainMemory === scratch.plainMemory))
    throw new Error('A crypt scratch buffer was released twice.');
  if (idle.length < MAX_IDLE) {
    idle.push(scratch);
    return;
  }
  // Full: keep the larger pairs, so the chunk-sized ones survive a burst of small calls.
  const smallest = idle.reduce((a, b) => (a.plainMemory.length <= b.plainMemory.length ? a : b));
  if (smallest.plainMemory.length < scratch.plainMemory.length) idle[idle.indexOf(smallest)] = scratch;
}

/** Pairs waiting to be reused (tests). */
export function idleScratchCount(): number {
  return idle.length;
}
