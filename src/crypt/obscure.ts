// rclone stores passwords in rclone.conf "obscured": AES-256-CTR under a key compiled into rclone,
// with a random 16-byte IV in front, in unpadded URL-safe base64 (fs/config/obscure/obscure.go).
// It is not protection (the key is public), only a format: we need it to print config lines a user
// can paste into rclone.conf, and to read such lines back.
import { createCipheriv, randomBytes } from 'node:crypto';
import { CryptError } from './errors';

const OBSCURE_KEY = Buffer.from([
  0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b, 0xd3, 0x90,
  0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38,
]);
const IV_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function ctr(data: Buffer, iv: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-ctr', OBSCURE_KEY, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** `rclone obscure`: `iv` only for tests (rclone's own vectors fix it). */
export function obscure(plain: string, iv: Buffer = randomBytes(IV_BYTES)): string {
  if (iv.length !== IV_BYTES) throw new CryptError('invalid-options', 'the obscure IV is 16 bytes');
  return Buffer.concat([iv, ctr(Buffer.from(plain, 'utf8'), iv)]).toString('base64url');
}

/** `rclone reveal`. */
export function reveal(obscured: string): string {
  if (!BASE64URL.test(obscured) || obscured.length % 4 === 1) {
    throw new CryptError('bad-obscured', 'not an obscured value (base64 decode failed)');
  }
  const bytes = Buffer.from(obscured, 'base64url');
  if (bytes.length < IV_BYTES) throw new CryptError('bad-obscured', 'not an obscured value (too short)');
  return ctr(bytes.subarray(IV_BYTES), bytes.subarray(0, IV_BYTES)).toString('utf8');
}
