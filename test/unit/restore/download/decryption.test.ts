import { randomBytes } from 'node:crypto';
import {
  BLOCK_DATA_BYTES,
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

  it('decrypts any run of whole blocks, the short last one included', () => {
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
      const got = content.decrypt(header, offset, cipher.subarray(range.offset, range.offset + range.count));
      expect(got.equals(plain.subarray(offset, offset + count))).toBe(true);
    }
  });

  it('fails a changed block as that block, and a wrong key on block 0', () => {
    const content = cryptDecryption(keys);
    const header = cipher.subarray(0, content.headerBytes);
    const range = content.cipherRange(2 * BLOCK_DATA_BYTES, 3 * BLOCK_DATA_BYTES);
    const changed = Buffer.from(cipher.subarray(range.offset, range.offset + range.count));
    changed[changed.length - 5] ^= 0x80;
    expect(() => content.decrypt(header, 2 * BLOCK_DATA_BYTES, changed)).toThrow(/Block 4 of the file/);
    const whole = content.cipherRange(0, plain.length);
    const wrong = cryptDecryption(keysFromBytes(randomBytes(80)));
    let error: unknown;
    try {
      wrong.decrypt(header, 0, cipher.subarray(whole.offset, whole.offset + whole.count));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DecryptionFailed');
    expect((error as AppError).message).toMatch(/first block/);
  });
});
