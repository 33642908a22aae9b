import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import vectors from '../../vectors/rclone-crypt.json';
import made from '../../vectors/rclone-crypt-files.json';
import {
  BLOCK_BYTES,
  BLOCK_DATA_BYTES,
  CryptError,
  decryptBuffer,
  decryptStream,
  decryptedSize,
  decryptingTransform,
  deriveKeys,
  encryptBuffer,
  encryptedSize,
  encryptingRangeReader,
  fileHeader,
  keysFromBytes,
  sealHere,
  closeSharedSealPool,
  sharedSealPool,
  sodiumReady,
  newFileNonce,
  nonceAdd,
  type CryptKeys,
} from '../../../src/crypt';
import sodium from 'libsodium-wrappers';

const zeroKeys = keysFromBytes(Buffer.alloc(80));
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const pad24 = (s: string): Buffer => Buffer.concat([hex(s), Buffer.alloc(24 - s.length / 2)]);
/** rclone's randomSource pattern: byte i is (i + 1) mod 257, truncated to a byte. */
const pattern = (n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => ((i + 1) % 257) & 0xff));
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of gen) parts.push(part);
  return Buffer.concat(parts);
}

describe('sizes (rclone TestEncryptedSize / TestDecryptedSize)', () => {
  it.each(vectors.encryptedSize)('%d plaintext bytes are %d on the drive, and back', (plain, cipher) => {
    expect(encryptedSize(plain)).toBe(cipher);
    expect(decryptedSize(cipher)).toBe(plain);
  });

  it.each(vectors.impossibleCipherSizes)('no plaintext encrypts to %d bytes', (size) => {
    expect(() => decryptedSize(size)).toThrow(CryptError);
  });

  it('refuses negative and fractional sizes', () => {
    expect(() => encryptedSize(-1)).toThrow(RangeError);
    expect(() => decryptedSize(33.5)).toThrow(RangeError);
  });
});

describe('nonce arithmetic (rclone TestNonceIncrement / TestNonceAdd)', () => {
  it.each(vectors.nonceIncrement)('$in + 1 = $out', (v) => {
    expect(nonceAdd(pad24(v.in), 1)).toEqual(pad24(v.out));
  });
  it.each(vectors.nonceAdd)('$in + 0x$add = $out', (v) => {
    expect(nonceAdd(pad24(v.in), parseInt(v.add, 16))).toEqual(pad24(v.out));
  });
  it('adds block indexes past one byte and leaves its input alone', () => {
    const n = Buffer.alloc(24);
    expect(nonceAdd(n, 0x010203).subarray(0, 4)).toEqual(Buffer.from([3, 2, 1, 0]));
    expect(n).toEqual(Buffer.alloc(24));
  });
  it('gives 24 fresh random bytes per file', () => {
    expect(newFileNonce()).toHaveLength(24);
    expect(newFileNonce()).not.toEqual(newFileNonce());
  });
});

describe('file vectors from rclone’s cipher_test.go (zero keys, nonce 01..18)', () => {
  it.each(vectors.files.vectors)('encrypts "$plain" to rclone’s bytes and back', async (v) => {
    const nonce = hex(vectors.files.nonce);
    expect((await encryptBuffer(zeroKeys, nonce, hex(v.plain))).toString('hex')).toBe(v.ciphertext);
    expect((await decryptBuffer(zeroKeys, hex(v.ciphertext))).toString('hex')).toBe(v.plain);
  });
});

describe('files written by the rclone binary (password potato, password2 sausage)', () => {
  let keys: CryptKeys;
  beforeAll(async () => {
    keys = await deriveKeys(made.config.password, made.config.password2);
  });

  it.each(made.files)('$plainSize B: same bytes as rclone with its nonce; decrypts', async (v) => {
    const plain = pattern(v.plainSize);
    expect(encryptedSize(v.plainSize)).toBe(v.cipherSize);
    const ours = await encryptBuffer(keys, hex(v.nonce), plain);
    expect(ours).toHaveLength(v.cipherSize);
    expect(ours.subarray(0, 64).toString('hex')).toBe(v.head);
    expect(ours.subarray(-48).toString('hex')).toBe(v.tail);
    expect(sha256(ours)).toBe(v.sha256);
    if (v.ciphertext) expect(ours.toString('hex')).toBe(v.ciphertext);
    expect((await decryptBuffer(keys, ours, { expectedPlainSize: v.plainSize })).equals(plain)).toBe(true);
  });
});

describe('encryptingRangeReader: random access', () => {
  afterAll(() => closeSharedSealPool());
  const keys = keysFromBytes(randomBytes(80));
  const nonce = newFileNonce();

  it('every range equals the slice of the full ciphertext, across block and header boundaries', async () => {
    const plainSize = 5 * BLOCK_DATA_BYTES + 12_345;
    const plain = randomBytes(plainSize);
    const full = await encryptBuffer(keys, nonce, plain);
    const reads: Array<[number, number, number]> = [];
    let asked = 0;
    const read = encryptingRangeReader(keys, nonce, plainSize, async (offset, count) => {
      reads.push([offset, count, asked]);
      return plain.subarray(offset, offset + count);
    });
    const total = full.length;
    const edges = [0, 1, 31, 32, 33, 32 + 16, 32 + BLOCK_BYTES - 1, 32 + BLOCK_BYTES, 32 + BLOCK_BYTES + 1];
    const cases: Array<[number, number]> = [];
    for (const a of edges)
      for (const b of [0, 1, 15, 16, 17, BLOCK_BYTES, BLOCK_BYTES + 1, 3 * BLOCK_BYTES]) cases.push([a, b]);
    for (let i = 0; i < 60; i++) {
      const offset = Math.floor(Math.random() * total);
      cases.push([offset, Math.floor(Math.random() * (total - offset + 1))]);
    }
    cases.push([0, total], [total, 0], [total - 1, 1]);
    for (const [offset, count] of cases) {
      if (offset + count > total) continue;
      asked = count;
      const got = await read(offset, count);
      expect({ offset, count, equal: got.equals(full.subarray(offset, offset + count)) }).toEqual({
        offset,
        count,
        equal: true,
      });
    }
    // Every plaintext read starts on a block, stays within the file and is at most the range
    // asked for plus the two blocks it can straddle: memory stays O(range), not O(file).
    for (const [offset, count, rangeAsked] of reads) {
      expect(offset % BLOCK_DATA_BYTES).toBe(0);
      expect(offset + count).toBeLessThanOrEqual(plainSize);
      expect(count).toBeLessThanOrEqual(rangeAsked + 2 * BLOCK_DATA_BYTES);
    }
  });

  it('serves the upload engine’s 320 KiB-multiple chunks in order, the way a resumed upload asks', async () => {
    const plainSize = 3 * 1024 * 1024 + 7;
    const plain = randomBytes(plainSize);
    const full = await encryptBuffer(keys, nonce, plain);
    const read = encryptingRangeReader(keys, nonce, plainSize, async (o, c) => plain.subarray(o, o + c));
    const chunk = 320 * 1024;
    const parts: Buffer[] = [];
    for (let offset = 0; offset < full.length; offset += chunk) {
      parts.push(await read(offset, Math.min(chunk, full.length - offset)));
    }
    expect(Buffer.concat(parts).equals(full)).toBe(true);
  });

  it('fills the caller’s buffer, and seals the same bytes in a worker as on this thread', async () => {
    await sodiumReady();
    const plainSize = 5 * 1024 * 1024 + 7;
    const plain = randomBytes(plainSize);
    const total = encryptedSize(plainSize);
    // The independent reference: the wrappers' own secretbox, block by block under nonce + i.
    const boxes = [fileHeader(nonce)];
    for (let at = 0, i = 0; at < plainSize; at += BLOCK_DATA_BYTES, i++) {
      const block = plain.subarray(at, Math.min(plainSize, at + BLOCK_DATA_BYTES));
      boxes.push(Buffer.from(sodium.crypto_secretbox_easy(block, nonceAdd(nonce, i), keys.dataKey)));
    }
    const reference = Buffer.concat(boxes);
    expect(reference.length).toBe(total);
    const source = async (o: number, c: number, into?: Buffer): Promise<Buffer> => {
      // Half the calls fill the buffer they are given (as the blob source does), half return their own.
      if (into && (o / BLOCK_DATA_BYTES) % 2 === 0) return into.subarray(0, plain.copy(into, 0, o, o + c));
      return plain.subarray(o, o + c);
    };
    for (const sealer of [undefined, sealHere]) {
      const read = encryptingRangeReader(keys, nonce, plainSize, source, { sealer });
      const chunk = 1024 * 1024 + 3; // not block-aligned, so every chunk starts and ends inside a block
      const into = Buffer.alloc(chunk);
      const parts: Buffer[] = [];
      for (let offset = 0; offset < total; offset += chunk) {
        const got = await read(offset, Math.min(chunk, total - offset), into);
        expect(got.buffer).toBe(into.buffer);
        parts.push(Buffer.from(got));
      }
      expect(Buffer.concat(parts).equals(reference)).toBe(true);
    }
  });

  it('seals a large range off the event loop by default', async () => {
    const plainSize = 16 * 1024 * 1024;
    const plain = randomBytes(plainSize);
    const read = encryptingRangeReader(keys, nonce, plainSize, async (o, c) => plain.subarray(o, o + c));
    await read(0, 1024 * 1024); // starts the worker
    const pool = sharedSealPool();
    const seal = jest.spyOn(pool, 'seal');
    // Whether the event loop turns while the range is sealed: sealing here would finish inside the
    // read's own microtasks, before any immediate runs. (A timer count is not a measure: the native
    // build seals 16 MiB in about 10 ms, less than two 1 ms ticks.)
    let turned = false;
    const pending = read(0, encryptedSize(plainSize));
    setImmediate(() => (turned = true));
    let turnedBeforeSealed = false;
    const got = await pending.then((bytes) => ((turnedBeforeSealed = turned), bytes));
    expect(seal).toHaveBeenCalled();
    seal.mockRestore();
    expect(turnedBeforeSealed).toBe(true);
    expect(got.equals(await encryptBuffer(keys, nonce, plain))).toBe(true);
  });

  it('refuses ranges past the end and a source that returns the wrong length', async () => {
    const read = encryptingRangeReader(keys, nonce, 10, async () => Buffer.alloc(3));
    await expect(read(0, encryptedSize(10) + 1)).rejects.toThrow(RangeError);
    await expect(read(-1, 1)).rejects.toThrow(RangeError);
    await expect(read(0, 40)).rejects.toThrow(/source returned 3 bytes/);
  });
});

describe('decryption failures', () => {
  const nonce = newFileNonce();
  let keys: CryptKeys;
  let other: CryptKeys;
  const plain = randomBytes(3 * BLOCK_DATA_BYTES + 100);
  let file: Buffer;
  beforeAll(async () => {
    keys = await deriveKeys('right password', 'salt');
    other = await deriveKeys('wrong password', 'salt');
    file = await encryptBuffer(keys, nonce, plain);
  });

  const failure = async (cipher: Buffer, k: CryptKeys, expectedPlainSize?: number) => {
    const emitted: Buffer[] = [];
    try {
      for await (const part of decryptStream(k, [cipher], { expectedPlainSize })) emitted.push(part);
    } catch (error) {
      return { error: error as CryptError, emitted: Buffer.concat(emitted) };
    }
    throw new Error('decryption did not fail');
  };

  it('a wrong password fails on block 0 with a clear reason and emits nothing', async () => {
    const { error, emitted } = await failure(file, other);
    expect(error.reason).toBe('wrong-key');
    expect(error.message).toMatch(/wrong password or not an rclone crypt file/);
    expect(emitted).toHaveLength(0);
  });

  it('a tampered block fails as that block, after only the blocks before it', async () => {
    const tampered = Buffer.from(file);
    tampered[32 + 2 * BLOCK_BYTES + 500] ^= 0x01;
    const { error, emitted } = await failure(tampered, keys);
    expect(error.reason).toBe('block-auth');
    expect(error.message).toMatch(/block 2 failed authentication/);
    expect(emitted.equals(plain.subarray(0, 2 * BLOCK_DATA_BYTES))).toBe(true);
  });

  it('every single-byte change anywhere fails (rclone’s corruption test, on a 1-block file)', async () => {
    const small = await encryptBuffer(keys, nonce, plain.subarray(0, 16));
    for (let i = 0; i < small.length; i++) {
      const copy = Buffer.from(small);
      copy[i] ^= 0xff;
      const { error, emitted } = await failure(copy, keys);
      expect([i, error.reason]).toEqual([i, i < 8 ? 'bad-magic' : 'wrong-key']);
      expect(emitted).toHaveLength(0);
    }
  });

  it('a file cut inside a block header or data fails; one cut at a block boundary needs the expected size', async () => {
    expect((await failure(file.subarray(0, 31), keys)).error.reason).toBe('too-short');
    expect((await failure(file.subarray(0, 32 + BLOCK_BYTES + 10), keys)).error.reason).toBe('truncated');
    expect((await failure(file.subarray(0, 32 + BLOCK_BYTES + 100), keys)).error.reason).toBe('block-auth');
    const atBoundary = file.subarray(0, 32 + 2 * BLOCK_BYTES);
    expect((await decryptBuffer(keys, atBoundary)).length).toBe(2 * BLOCK_DATA_BYTES);
    expect((await failure(atBoundary, keys, plain.length)).error.reason).toBe('truncated');
    expect((await failure(file, keys, plain.length - 1)).error.reason).toBe('truncated');
  });

  it('bad magic is told apart from a wrong key', async () => {
    const copy = Buffer.from(file);
    copy[0] = 0x51;
    expect((await failure(copy, keys)).error.reason).toBe('bad-magic');
  });

  it('streams in pieces of any size, through a Transform too', async () => {
    const pieces = (sizes: number[]): Buffer[] => {
      const out: Buffer[] = [];
      for (let at = 0, k = 0; at < file.length; k++) {
        const n = sizes[k % sizes.length];
        out.push(file.subarray(at, at + n));
        at += n;
      }
      return out;
    };
    for (const sizes of [[1, 7, 31], [BLOCK_BYTES], [BLOCK_BYTES - 1, 2], [100_000], [file.length]]) {
      expect((await collect(decryptStream(keys, pieces(sizes)))).equals(plain)).toBe(true);
    }
    const out: Buffer[] = [];
    await pipeline(Readable.from(pieces([4096, 13])), decryptingTransform(keys), async (source) => {
      for await (const part of source) out.push(part as Buffer);
    });
    expect(Buffer.concat(out).equals(plain)).toBe(true);
    await expect(
      pipeline(Readable.from([file.subarray(0, 40_000)]), decryptingTransform(other), async (source) => {
        for await (const part of source) out.push(part as Buffer);
      }),
    ).rejects.toThrow(/block 0 failed authentication|truncated/);
  });
});
