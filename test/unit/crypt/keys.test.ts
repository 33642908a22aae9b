import vectors from '../../vectors/rclone-crypt.json';
import { CryptError, deriveKeys, keysFromBytes, obscure, reveal } from '../../../src/crypt';

describe('deriveKeys (rclone backend/crypt TestKey vectors)', () => {
  it.each(vectors.keys)('derives rclone’s keys for password $password, password2 "$password2"', async (v) => {
    const keys = await deriveKeys(v.password, v.password2);
    expect(keys.dataKey.toString('hex')).toBe(v.dataKey);
    expect(keys.nameKey.toString('hex')).toBe(v.nameKey);
    expect(keys.nameTweak.toString('hex')).toBe(v.nameTweak);
  });

  it('refuses an empty password (rclone would fall back to all-zero keys)', async () => {
    await expect(deriveKeys('')).rejects.toThrow(CryptError);
  });

  it('splits 80 bytes in rclone’s order and refuses other lengths', () => {
    const bytes = Buffer.from(Array.from({ length: 80 }, (_, i) => i));
    const keys = keysFromBytes(bytes);
    expect(keys.dataKey).toEqual(bytes.subarray(0, 32));
    expect(keys.nameKey).toEqual(bytes.subarray(32, 64));
    expect(keys.nameTweak).toEqual(bytes.subarray(64, 80));
    expect(() => keysFromBytes(bytes.subarray(0, 79))).toThrow(CryptError);
  });
});

describe('obscure / reveal (rclone fs/config/obscure vectors)', () => {
  it.each(vectors.obscure)('obscures "$plain" with IV $iv as rclone does', (v) => {
    expect(obscure(v.plain, Buffer.from(v.iv, 'latin1'))).toBe(v.obscured);
    expect(reveal(v.obscured)).toBe(v.plain);
  });

  it('round-trips with a random IV, differently each time', () => {
    const a = obscure('correct horse');
    const b = obscure('correct horse');
    expect(a).not.toBe(b);
    expect(reveal(a)).toBe('correct horse');
    expect(reveal(b)).toBe('correct horse');
  });

  it.each(vectors.revealErrors)('refuses to reveal %p', (bad) => {
    expect(() => reveal(bad)).toThrow(CryptError);
  });
});
