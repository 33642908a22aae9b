// rclone crypt's file format (backend/crypt/cipher.go): an 8-byte magic "RCLONE\0\0", the 24-byte
// file nonce, then the plaintext in 64 KiB blocks, each sealed with secretbox under nonce + block
// index (16-byte tag + data). Only the last block may be short; an empty file is the header alone.
//
// The upload engine asks for arbitrary ciphertext ranges (its chunks are multiples of 320 KiB, the
// 65,552-byte blocks never line up with them) and may resume mid-file in another invocation, so
// encryption is a pure function of (keys, nonce, block index, plaintext block): any range is
// computed from the plaintext blocks it overlaps, with nothing carried between calls.
import { CryptError } from './errors';
import type { CryptKeys } from './keys';
import { NONCE_BYTES, nonceAdd } from './nonce';
import {
  BLOCK_BYTES,
  BLOCK_DATA_BYTES,
  openedLength,
  sealedLength,
  sealHere,
  type BlockSealer,
} from './blockSeal';
import { acquireScratch, releaseScratch } from './scratch';
import { sharedSealPool } from './sealPool';

export const FILE_MAGIC = Buffer.from('RCLONE\x00\x00', 'latin1');
export const HEADER_BYTES = FILE_MAGIC.length + NONCE_BYTES; // 32
export { BLOCK_BYTES, BLOCK_DATA_BYTES };

/**
 * Same shape as the upload engine's reader: bytes [offset, offset + count) of one source version,
 * into `into` when it is given and large enough (the reader may also return another buffer).
 */
export type RangeReader = (offset: number, count: number, into?: Buffer) => Promise<Buffer>;

function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`${what} must be a non-negative integer`);
}

/** Bytes of the whole crypt file, header included, for a plaintext of `plainSize` bytes (rclone's EncryptedSize). */
export function encryptedSize(plainSize: number): number {
  checkSize(plainSize, 'plainSize');
  return HEADER_BYTES + sealedLength(plainSize);
}

/** Plaintext bytes in a whole crypt file of `cipherSize` bytes, header included; throws for sizes no plaintext produces. */
export function decryptedSize(cipherSize: number): number {
  checkSize(cipherSize, 'cipherSize');
  const body = cipherSize - HEADER_BYTES;
  if (body < 0)
    throw new CryptError('impossible-size', `${cipherSize} bytes is too short for an rclone crypt file`);
  try {
    return openedLength(body);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new CryptError(
      'impossible-size',
      `${cipherSize} bytes cannot be an rclone crypt file (truncated block)`,
    );
  }
}

/** The 32-byte header: magic then nonce. */
export function fileHeader(nonce: Uint8Array): Buffer {
  if (nonce.length !== NONCE_BYTES)
    throw new CryptError('invalid-options', `the file nonce is ${NONCE_BYTES} bytes`);
  return Buffer.concat([FILE_MAGIC, nonce]);
}

/**
 * The file nonce in a crypt file's first HEADER_BYTES (a view of `header`, copy it to keep it);
 * throws CryptError when they are too few or do not start with the magic.
 */
export function headerNonce(header: Buffer): Buffer {
  if (header.length < HEADER_BYTES)
    throw new CryptError(
      'too-short',
      `file is too short to be an rclone crypt file (${header.length} bytes)`,
    );
  if (!header.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC))
    throw new CryptError('bad-magic', 'not an rclone crypt file (bad magic)');
  return header.subarray(FILE_MAGIC.length, HEADER_BYTES);
}

export interface EncryptingReaderOptions {
  /** Where blocks are sealed; by default a worker for ranges of SEAL_IN_WORKER_BYTES or more. */
  sealer?: BlockSealer;
}

/** Below this many plaintext bytes a range is sealed on the calling thread (a worker round trip costs more). */
export const SEAL_IN_WORKER_BYTES = 256 * 1024;

/**
 * A reader of the ciphertext of a `plainSize`-byte file: each call maps its ciphertext range to
 * the plaintext blocks it overlaps, reads those with one `readPlain` call, seals them and slices.
 * The result goes into the caller's `into` when given (the engine's pooled chunk buffer). Large
 * ranges are sealed in a worker (./sealPool.ts), so the engine's read-ahead seals chunk n + 1 on
 * another core while chunk n is on the wire. Memory per call: the range plus at most two blocks,
 * twice (plaintext and boxes, in reused shared buffers). Ranges past the end are refused.
 */
export function encryptingRangeReader(
  keys: CryptKeys,
  nonce: Uint8Array,
  plainSize: number,
  readPlain: RangeReader,
  options: EncryptingReaderOptions = {},
): RangeReader {
  const header = fileHeader(nonce);
  const total = encryptedSize(plainSize);
  const fileNonce = Buffer.from(nonce);
  return async (offset, count, into) => {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(count) || offset < 0 || count < 0) {
      throw new RangeError(`bad ciphertext range ${offset}+${count}`);
    }
    const end = offset + count;
    if (end > total)
      throw new RangeError(`ciphertext range ${offset}+${count} is past the end (${total} bytes)`);
    const out = into && into.length >= count ? into.subarray(0, count) : Buffer.allocUnsafe(count);
    let written = 0;
    if (offset < HEADER_BYTES) {
      written = header.copy(out, 0, offset, Math.min(HEADER_BYTES, end));
    }
    if (end <= HEADER_BYTES) return out;

    const bodyStart = Math.max(offset, HEADER_BYTES) - HEADER_BYTES;
    const bodyEnd = end - HEADER_BYTES;
    const firstBlock = Math.floor(bodyStart / BLOCK_BYTES);
    const lastBlock = Math.floor((bodyEnd - 1) / BLOCK_BYTES);
    const plainStart = firstBlock * BLOCK_DATA_BYTES;
    const plainCount = Math.min(plainSize, (lastBlock + 1) * BLOCK_DATA_BYTES) - plainStart;
    const sealer = options.sealer ?? (plainCount >= SEAL_IN_WORKER_BYTES ? sharedSealPool().seal : sealHere);
    const scratch = acquireScratch(plainCount, sealedLength(plainCount));
    try {
      const plain = await readPlain(plainStart, plainCount, scratch.plain);
      if (plain.length !== plainCount) {
        throw new Error(`source returned ${plain.length} bytes for ${plainStart}+${plainCount}`);
      }
      // A reader that did not fill the shared buffer (a slice of memory it holds): one copy into it.
      // (Buffer#copy is a memmove; TypedArray#set into shared memory copies atomically, 1.6× the CPU.)
      if (plain.buffer !== scratch.plain.buffer || plain.byteOffset !== scratch.plain.byteOffset)
        plain.copy(scratch.plain);
      await sealer({
        key: keys.dataKey,
        nonce: nonceAdd(fileNonce, firstBlock),
        plain: scratch.plain,
        cipher: scratch.cipher,
      });
      // The boxes of whole blocks start at firstBlock's; the range may begin and end inside one.
      const from = bodyStart - firstBlock * BLOCK_BYTES;
      written += scratch.cipher.copy(out, written, from, from + (bodyEnd - bodyStart));
    } finally {
      releaseScratch(scratch);
    }
    if (written !== count) throw new Error(`internal: encrypted ${written} of ${count} bytes`);
    return out;
  };
}

/** The whole ciphertext of a small plaintext in memory (tests, the run index). */
export async function encryptBuffer(keys: CryptKeys, nonce: Uint8Array, plain: Buffer): Promise<Buffer> {
  const read = encryptingRangeReader(keys, nonce, plain.length, async (offset, count) =>
    plain.subarray(offset, offset + count),
  );
  return read(0, encryptedSize(plain.length));
}
