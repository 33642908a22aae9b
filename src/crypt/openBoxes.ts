// Opening a run of boxes for the restore, off the event loop when the run is large: the restore's
// read-ahead downloads block n + 1 while block n is staged, and opening it on the event loop would
// stall that staging the way sealing stalled the upload (./sealPool.ts).
import { openBlocksSync, openedLength } from './blockSeal';
import { SEAL_IN_WORKER_BYTES } from './fileFormat';
import { acquireScratch, releaseScratch } from './scratch';
import { sharedSealPool } from './sealPool';
import { sodiumReady } from './secretbox';

export interface OpenedBoxes {
  plain: Buffer;
  /** The first box (within `cipher`) that does not authenticate, or -1; `plain` is only whole when -1. */
  bad: number;
}

/** Opens consecutive boxes whose first is sealed under `nonce`; throws RangeError for a cut last box. */
export async function openBoxes(
  key: Uint8Array,
  nonce: Uint8Array,
  cipher: Buffer,
  options: { inWorker?: boolean } = {},
): Promise<OpenedBoxes> {
  const plain = Buffer.allocUnsafe(openedLength(cipher.length));
  await sodiumReady();
  if (!(options.inWorker ?? plain.length >= SEAL_IN_WORKER_BYTES)) {
    return { plain, bad: openBlocksSync({ key, nonce, cipher, plain }) };
  }
  // The download is not in shared memory: one copy in, one copy out (a memmove each, ~0.1 s per GiB).
  const scratch = acquireScratch(plain.length, cipher.length);
  try {
    cipher.copy(scratch.cipher);
    const bad = await sharedSealPool().open({ key, nonce, cipher: scratch.cipher, plain: scratch.plain });
    scratch.plain.copy(plain);
    return { plain, bad };
  } finally {
    releaseScratch(scratch);
  }
}
