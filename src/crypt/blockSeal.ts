// Sealing consecutive 64 KiB blocks into one output buffer. libsodium-wrappers' crypto_secretbox_easy
// copies its input into the WebAssembly heap, allocates the box there, and returns it as a fresh
// Uint8Array: two allocations and three copies per block, garbage for V8 at 160 blocks a chunk.
// Here the raw module it wraps (`sodium.libsodium`, the same compiled libsodium) is called on fixed
// heap slots instead: one copy in, one copy out, nothing allocated per block, the nonce bumped in
// place. The bytes are crypto_secretbox_easy's, tag then ciphertext, under nonce + block index.
// Where the native addon loads (./nativeSecretbox.ts) it seals instead, straight into the output.
// The worker in ./sealWorkerSource.ts runs these same loops; keep them in step.
import sodium from 'libsodium-wrappers';
import { nativeSodium, type NativeSodium } from './nativeSecretbox';
import { NONCE_BYTES } from './nonce';
import { SECRETBOX_OVERHEAD, sodiumReady } from './secretbox';

/** Plaintext bytes in one block (only a file's last block may be shorter). */
export const BLOCK_DATA_BYTES = 64 * 1024;
/** Bytes of one whole block's box: tag then data (65,552). */
export const BLOCK_BYTES = SECRETBOX_OVERHEAD + BLOCK_DATA_BYTES;
const KEY_BYTES = 32;

/** One run of blocks: `plain` holds whole blocks (only the last may be short), `cipher` their boxes. */
export interface SealJob {
  key: Uint8Array;
  /** The nonce of the first block in `plain` (the file nonce + its block index). */
  nonce: Uint8Array;
  plain: Uint8Array;
  /** Exactly sealedLength(plain.length) bytes, filled block by block. */
  cipher: Uint8Array;
}

/** Seals a job's blocks somewhere (this thread or a worker) and resolves once `cipher` is filled. */
export type BlockSealer = (job: SealJob) => Promise<void>;

/**
 * Bytes the boxes of `plainBytes` of consecutive blocks take: a crypt file's body, without its
 * header (../fileFormat.ts encryptedSize adds that).
 */
export function sealedLength(plainBytes: number): number {
  return plainBytes + Math.ceil(plainBytes / BLOCK_DATA_BYTES) * SECRETBOX_OVERHEAD;
}

/** The compiled module under the wrappers (not in their typings). */
interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _crypto_secretbox_easy(
    c: number,
    m: number,
    mlenLow: number,
    mlenHigh: number,
    n: number,
    k: number,
  ): number;
  _crypto_secretbox_open_easy(
    m: number,
    c: number,
    clenLow: number,
    clenHigh: number,
    n: number,
    k: number,
  ): number;
}

interface Slots {
  raw: RawSodium;
  plain: number;
  cipher: number;
  nonce: number;
  key: number;
}

let slots: Slots | undefined;

function heapSlots(): Slots {
  if (!slots) {
    const raw = (sodium as unknown as { libsodium: RawSodium }).libsodium;
    // Allocated once for the process and reused by every call (calls never interleave: no await inside).
    slots = {
      raw,
      plain: raw._malloc(BLOCK_DATA_BYTES),
      cipher: raw._malloc(BLOCK_BYTES),
      nonce: raw._malloc(NONCE_BYTES),
      key: raw._malloc(KEY_BYTES),
    };
  }
  return slots;
}

/** nonce + 1 in place (little-endian, wrapping at 2^192), as rclone's nonce.increment. */
export function incrementNonce(nonce: Uint8Array, at = 0): void {
  for (let i = at; i < at + NONCE_BYTES; i++) {
    nonce[i] = (nonce[i] + 1) & 0xff;
    if (nonce[i] !== 0) return;
  }
}

/** Throws RangeError for a seal job no sealer could fill correctly. */
export function checkSealJob(job: SealJob): void {
  if (job.key.length !== KEY_BYTES) throw new RangeError('the data key is 32 bytes');
  if (job.nonce.length !== NONCE_BYTES) throw new RangeError(`the nonce is ${NONCE_BYTES} bytes`);
  if (job.cipher.length !== sealedLength(job.plain.length))
    throw new RangeError(`${job.cipher.length} bytes cannot hold the boxes of ${job.plain.length}`);
}

/** Seals on this thread (synchronously once libsodium is loaded), natively where the addon loads. */
export function sealBlocksSync(job: SealJob): void {
  if (nativeSodium) sealBlocksNatively(job, nativeSodium);
  else sealBlocksInWasm(job);
}

/** sealBlocksSync through the native addon: each box written in place into `cipher`. */
export function sealBlocksNatively(job: SealJob, native: NativeSodium): void {
  checkSealJob(job);
  const nonce = Uint8Array.from(job.nonce);
  for (let at = 0, out = 0; at < job.plain.length; at += BLOCK_DATA_BYTES) {
    const length = Math.min(BLOCK_DATA_BYTES, job.plain.length - at);
    const box = job.cipher.subarray(out, out + length + SECRETBOX_OVERHEAD);
    native.crypto_secretbox_easy(box, job.plain.subarray(at, at + length), nonce, job.key);
    out += box.length;
    incrementNonce(nonce);
  }
}

/** sealBlocksSync through the WebAssembly build, on its heap slots. */
export function sealBlocksInWasm(job: SealJob): void {
  checkSealJob(job);
  const s = heapSlots();
  // The heap view is replaced when the module's memory grows; nothing below allocates, so one read holds.
  const heap = s.raw.HEAPU8;
  heap.set(job.key, s.key);
  heap.set(job.nonce, s.nonce);
  try {
    for (let at = 0, out = 0; at < job.plain.length; at += BLOCK_DATA_BYTES) {
      const length = Math.min(BLOCK_DATA_BYTES, job.plain.length - at);
      heap.set(job.plain.subarray(at, at + length), s.plain);
      if (s.raw._crypto_secretbox_easy(s.cipher, s.plain, length, 0, s.nonce, s.key) !== 0)
        throw new Error('secretbox refused to seal a block');
      job.cipher.set(heap.subarray(s.cipher, s.cipher + length + SECRETBOX_OVERHEAD), out);
      out += length + SECRETBOX_OVERHEAD;
      incrementNonce(heap, s.nonce);
    }
  } finally {
    heap.fill(0, s.key, s.key + KEY_BYTES);
    heap.fill(0, s.plain, s.plain + BLOCK_DATA_BYTES);
  }
}

/** One run of boxes to open: `cipher` holds whole boxes (only the last may be short), `plain` their data. */
export interface OpenJob {
  key: Uint8Array;
  /** The nonce of the first box in `cipher`. */
  nonce: Uint8Array;
  cipher: Uint8Array;
  /** Exactly openedLength(cipher.length) bytes. */
  plain: Uint8Array;
}

/**
 * Plaintext bytes in `cipherBytes` of consecutive boxes, the inverse of sealedLength (no header:
 * ../fileFormat.ts decryptedSize takes it off); throws RangeError when the last box is too short
 * to be one.
 */
export function openedLength(cipherBytes: number): number {
  const boxes = Math.ceil(cipherBytes / BLOCK_BYTES);
  const plain = cipherBytes - boxes * SECRETBOX_OVERHEAD;
  const tail = cipherBytes % BLOCK_BYTES;
  if (tail !== 0 && tail <= SECRETBOX_OVERHEAD) throw new RangeError(`${cipherBytes} bytes end in a cut box`);
  return plain;
}

/** Throws RangeError for an open job whose boxes cannot open into its `plain` (or are cut). */
export function checkOpenJob(job: OpenJob): void {
  if (job.key.length !== KEY_BYTES) throw new RangeError('the data key is 32 bytes');
  if (job.nonce.length !== NONCE_BYTES) throw new RangeError(`the nonce is ${NONCE_BYTES} bytes`);
  if (job.plain.length !== openedLength(job.cipher.length))
    throw new RangeError(
      `${job.plain.length} bytes cannot hold what ${job.cipher.length} bytes of boxes open to`,
    );
}

/**
 * Opens boxes on this thread into `plain`, the same way round as sealBlocksSync. Returns the index
 * (within the job) of the first box that does not authenticate, or -1 when all do; `plain` is only
 * meaningful up to that box.
 */
export function openBlocksSync(job: OpenJob): number {
  return nativeSodium ? openBlocksNatively(job, nativeSodium) : openBlocksInWasm(job);
}

/** openBlocksSync through the native addon: each box opened in place into `plain`. */
export function openBlocksNatively(job: OpenJob, native: NativeSodium): number {
  checkOpenJob(job);
  const nonce = Uint8Array.from(job.nonce);
  for (let at = 0, out = 0, box = 0; at < job.cipher.length; box++) {
    const length = Math.min(BLOCK_BYTES, job.cipher.length - at);
    const data = job.plain.subarray(out, out + length - SECRETBOX_OVERHEAD);
    if (!native.crypto_secretbox_open_easy(data, job.cipher.subarray(at, at + length), nonce, job.key))
      return box;
    out += data.length;
    at += length;
    incrementNonce(nonce);
  }
  return -1;
}

/** openBlocksSync through the WebAssembly build, on its heap slots. */
export function openBlocksInWasm(job: OpenJob): number {
  checkOpenJob(job);
  const s = heapSlots();
  const heap = s.raw.HEAPU8;
  heap.set(job.key, s.key);
  heap.set(job.nonce, s.nonce);
  try {
    // The cipher slot takes a whole box; the plain slot its data.
    for (let at = 0, out = 0, box = 0; at < job.cipher.length; box++) {
      const length = Math.min(BLOCK_BYTES, job.cipher.length - at);
      heap.set(job.cipher.subarray(at, at + length), s.cipher);
      if (s.raw._crypto_secretbox_open_easy(s.plain, s.cipher, length, 0, s.nonce, s.key) !== 0) return box;
      job.plain.set(heap.subarray(s.plain, s.plain + length - SECRETBOX_OVERHEAD), out);
      out += length - SECRETBOX_OVERHEAD;
      at += length;
      incrementNonce(heap, s.nonce);
    }
    return -1;
  } finally {
    heap.fill(0, s.key, s.key + KEY_BYTES);
    heap.fill(0, s.plain, s.plain + BLOCK_DATA_BYTES);
  }
}

/** A BlockSealer on this thread: for small ranges, where a worker's round trip costs more. */
export const sealHere: BlockSealer = async (job) => {
  await sodiumReady();
  sealBlocksSync(job);
};
