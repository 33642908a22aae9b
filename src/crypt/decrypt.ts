// Streaming decryption of an rclone crypt file for restore. Bytes are released only block by
// block, after the block's Poly1305 tag checks out, so a reader never sees unauthenticated data.
// The format cannot tell a file cut at a block boundary from a shorter one; pass the expected size
// (from the manifest) to catch that too.
import { Transform, type TransformCallback } from 'node:stream';
import { CryptError } from './errors';
import { BLOCK_BYTES, HEADER_BYTES, headerNonce } from './fileFormat';
import type { CryptKeys } from './keys';
import { nonceAdd } from './nonce';
import { SECRETBOX_OVERHEAD, open, sodiumReady } from './secretbox';

export interface DecryptOptions {
  /** Plaintext size the file must have; a shorter or longer file fails as truncated or damaged. */
  expectedPlainSize?: number;
}

/**
 * The decryption state machine, fed ciphertext in pieces of any size. Call after `sodiumReady()`.
 * Holds at most one block plus the piece being fed.
 */
export class BlockDecryptor {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nonce: Buffer | undefined;
  private block = 0;
  private plainBytes = 0;
  private ended = false;

  constructor(
    private readonly keys: CryptKeys,
    private readonly options: DecryptOptions = {},
  ) {}

  /** Plaintext of every block completed by `chunk`, one at a time, each checked before it is yielded. */
  *push(chunk: Uint8Array): Generator<Buffer> {
    if (this.ended) throw new Error('BlockDecryptor: push after end');
    if (chunk.length > 0) {
      this.pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.pendingBytes += chunk.length;
    }
    if (!this.nonce) {
      if (this.pendingBytes < HEADER_BYTES) return;
      // A copy: the header may be a view of the caller's chunk.
      this.nonce = Buffer.from(headerNonce(this.take(HEADER_BYTES)));
    }
    // A whole block opens as soon as it is complete; a short one can only be the last (end()).
    while (this.pendingBytes >= BLOCK_BYTES) yield this.openBlock(this.take(BLOCK_BYTES));
  }

  /** Plaintext of the last, short block; throws if the file ended where it should not. */
  end(): Buffer[] {
    this.ended = true;
    if (!this.nonce) {
      throw new CryptError(
        'too-short',
        `file is too short to be an rclone crypt file (${this.pendingBytes} bytes)`,
      );
    }
    const out: Buffer[] = [];
    if (this.pendingBytes > 0) {
      if (this.pendingBytes <= SECRETBOX_OVERHEAD) {
        throw new CryptError('truncated', `block ${this.block} is truncated (${this.pendingBytes} bytes)`);
      }
      out.push(this.openBlock(this.take(this.pendingBytes)));
    }
    const expected = this.options.expectedPlainSize;
    if (expected !== undefined && this.plainBytes !== expected) {
      throw new CryptError(
        'truncated',
        `decrypted ${this.plainBytes} bytes where ${expected} were expected (file truncated or replaced)`,
      );
    }
    return out;
  }

  private openBlock(box: Buffer): Buffer {
    const plain = open(box, nonceAdd(this.nonce!, this.block), this.keys.dataKey);
    if (!plain) {
      throw this.block === 0
        ? new CryptError(
            'wrong-key',
            'wrong password or not an rclone crypt file (block 0 failed authentication)',
          )
        : new CryptError('block-auth', `block ${this.block} failed authentication (the file was altered)`);
    }
    this.block++;
    this.plainBytes += plain.length;
    const expected = this.options.expectedPlainSize;
    if (expected !== undefined && this.plainBytes > expected) {
      throw new CryptError('truncated', `file holds more than the ${expected} bytes expected`);
    }
    return Buffer.from(plain.buffer, plain.byteOffset, plain.length);
  }

  /** Removes and returns the first n pending bytes as one buffer. */
  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.pending[0];
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const piece = this.pending[0];
        const use = Math.min(piece.length, n - filled);
        piece.copy(out, filled, 0, use);
        filled += use;
        if (use === piece.length) this.pending.shift();
        else this.pending[0] = piece.subarray(use);
      }
    }
    this.pendingBytes -= n;
    return out;
  }
}

/** Decrypts a ciphertext stream (e.g. a download body) into plaintext blocks. */
export async function* decryptStream(
  keys: CryptKeys,
  ciphertext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: DecryptOptions = {},
): AsyncGenerator<Buffer> {
  await sodiumReady();
  const decryptor = new BlockDecryptor(keys, options);
  for await (const chunk of ciphertext) yield* decryptor.push(chunk);
  yield* decryptor.end();
}

/** The same as a Node Transform, for pipeline(download, decrypting(keys), target). */
export function decryptingTransform(keys: CryptKeys, options: DecryptOptions = {}): Transform {
  const decryptor = new BlockDecryptor(keys, options);
  const ready = sodiumReady();
  const run = (work: () => Iterable<Buffer>, stream: Transform, callback: TransformCallback): void => {
    ready.then(
      () => {
        try {
          for (const block of work()) stream.push(block);
          callback();
        } catch (error) {
          callback(error as Error);
        }
      },
      (error: Error) => callback(error),
    );
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      run(() => decryptor.push(chunk), this, callback);
    },
    flush(callback) {
      run(() => decryptor.end(), this, callback);
    },
  });
}

/** Whole-buffer decryption (tests, the run index). */
export async function decryptBuffer(
  keys: CryptKeys,
  ciphertext: Buffer,
  options: DecryptOptions = {},
): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of decryptStream(keys, [ciphertext], options)) parts.push(part);
  return Buffer.concat(parts);
}
