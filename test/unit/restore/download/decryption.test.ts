import { randomBytes } from 'node:crypto';
import {
  BLOCK_DATA_BYTES,
  closeSharedSealPool,
  encryptBuffer,
  keysFromBytes,
  newFileNonce,
  sodiumReady,
} from '../../../../src/crypt';
import { AppError } from '../../../../src/errors';
import { cryptDecryption } from '../../../../src/restore/download/decryption';

describe('cryptDecryption', () => {
  const keys = keysFromBytes(randomBytes(80));
  const nonce = newFileNonce();
  const plain = randomBytes(6 * BLOCK_DATA_BYTES + 1234);
  let cipher: Buffer;
  beforeAll(async () => {
    await sodiumReady();
    cipher = await encryptBuffer(keys, nonce, plain);
  });

  afterAll(() => closeSharedSealPool());

  it('decrypts any run of whole blocks, the short last one included (large runs in a worker)', async () => {
    const content = cryptDecryption(keys);
    const header = cipher.subarray(0, content.headerBytes);
    for (const [offset, count] of [
      [0, plain.length],
      [0, BLOCK_DATA_BYTES],
      [2 * BLOCK_DATA_BYTES, 3 * BLOCK_DATA_BYTES],
      [6 * BLOCK_DATA_BYTES, 1234],
      [4 * BLOCK_DATA_BYTES, 2 * BLOCK_DATA_BYTES + 1234],
    ]) {
      const range = content.cipherRange(offset, count);
      const got = await content.decrypt(
        header,
        offset,
        cipher.subarray(range.offset, range.offset + range.count),
      );
      expect(got.equals(plain.subarray(offset, offset + count))).toBe(true);
    }
  });

  it('fails a changed block as that block, and a wrong key on block 0', async () => {
    const content = cryptDecryption(keys);
    const header = cipher.subarray(0, content.headerBytes);
    const range = content.cipherRange(2 * BLOCK_DATA_BYTES, 3 * BLOCK_DATA_BYTES);
    const changed = Buffer.from(cipher.subarray(range.offset, range.offset + range.count));
    changed[changed.length - 5] ^= 0x80;
    await expect(content.decrypt(header, 2 * BLOCK_DATA_BYTES, changed)).rejects.toThrow(
      /Block 4 of the file/,
    );
    // The same in a run small enough to open on this thread.
    const one = content.cipherRange(3 * BLOCK_DATA_BYTES, BLOCK_DATA_BYTES);
    const small = Buffer.from(cipher.subarray(one.offset, one.offset + one.count));
    small[20] ^= 1;
    await expect(content.decrypt(header, 3 * BLOCK_DATA_BYTES, small)).rejects.toThrow(/Block 3 of the file/);
    await expect(content.decrypt(header, 3 * BLOCK_DATA_BYTES, small.subarray(0, 16))).rejects.toThrow(
      /cut inside its tag/,
    );
    const whole = content.cipherRange(0, plain.length);
    const wrong = cryptDecryption(keysFromBytes(randomBytes(80)));
    let error: unknown;
    try {
      await wrong.decrypt(header, 0, cipher.subarray(whole.offset, whole.offset + whole.count));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DecryptionFailed');
    expect((error as AppError).message).toMatch(/first block/);
  });

  it('refuses a header without the magic, or too short to hold the nonce, before opening anything', async () => {
    const content = cryptDecryption(keys);
    const header = Buffer.from(cipher.subarray(0, content.headerBytes));
    const range = content.cipherRange(0, BLOCK_DATA_BYTES);
    const boxes = cipher.subarray(range.offset, range.offset + range.count);
    header[3] ^= 1;
    await expect(content.decrypt(header, 0, boxes)).rejects.toThrow(/not an rclone crypt file/);
    const short = cipher.subarray(0, content.headerBytes - 1);
    await expect(content.decrypt(short, 0, boxes)).rejects.toThrow(/not an rclone crypt file/);
  });
});
