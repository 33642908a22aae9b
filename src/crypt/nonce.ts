// The file nonce: 24 random bytes in the header; block i is sealed under nonce + i, the nonce read
// as one little-endian number (rclone's nonce.increment and nonce.add, which wrap at 2^192).
import { randomBytes } from 'node:crypto';

export const NONCE_BYTES = 24;

/** A fresh random nonce for one file (never reuse one with the same key). */
export function newFileNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** nonce + n (little-endian, wrapping), as a new buffer; n is a block index, a safe integer. */
export function nonceAdd(nonce: Uint8Array, n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad nonce increment ${n}`);
  const out = Buffer.from(nonce);
  let carry = n;
  for (let i = 0; i < out.length && carry > 0; i++) {
    const sum = out[i] + (carry % 256);
    out[i] = sum & 0xff;
    carry = Math.floor(carry / 256) + (sum >> 8);
  }
  return out;
}
