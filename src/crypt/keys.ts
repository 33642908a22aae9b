// rclone crypt's keys: scrypt(password, salt, N=16384, r=8, p=1) → 80 bytes, split into the
// secretbox key for file contents (32), the AES-256 key for names (32) and the EME tweak for names
// (16). The salt is `password2` when set, otherwise rclone's built-in salt, so the same two
// passwords give the same keys here and in `rclone` (backend/crypt/cipher.go, Cipher.Key).
import { scrypt } from 'node:crypto';
import { CryptError } from './errors';

export interface CryptKeys {
  /** NaCl secretbox key for the 64 KiB blocks. */
  readonly dataKey: Buffer;
  /** AES-256 key for EME name encryption; also the rotation seed of `obfuscate`. */
  readonly nameKey: Buffer;
  /** EME tweak for names. */
  readonly nameTweak: Buffer;
}

/** rclone's salt when `password2` is empty. */
export const DEFAULT_SALT = Buffer.from([
  0xa8, 0x0d, 0xf4, 0x3a, 0x8f, 0xbd, 0x03, 0x08, 0xa7, 0xca, 0xb8, 0x3e, 0x58, 0x1f, 0x86, 0xb1,
]);

const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_BYTES = 32 + 32 + 16;

/**
 * Derives the keys from the plain (not obscured) `password` and optional `password2`.
 * rclone itself turns an empty password into all-zero keys (its tests use that) but refuses one in
 * a config; we refuse it too, since a backup under all-zero keys is not encrypted.
 */
export async function deriveKeys(password: string, password2 = ''): Promise<CryptKeys> {
  if (password === '') throw new CryptError('invalid-options', 'an rclone crypt password must not be empty');
  const salt = password2 === '' ? DEFAULT_SALT : Buffer.from(password2, 'utf8');
  const key = await new Promise<Buffer>((resolve, reject) =>
    scrypt(Buffer.from(password, 'utf8'), salt, KEY_BYTES, SCRYPT, (error, derived) =>
      error ? reject(error) : resolve(derived),
    ),
  );
  return keysFromBytes(key);
}

/** Splits 80 derived bytes the way rclone does (exported for rclone's all-zero test keys). */
export function keysFromBytes(key: Uint8Array): CryptKeys {
  if (key.length !== KEY_BYTES) throw new CryptError('invalid-options', `crypt keys are ${KEY_BYTES} bytes`);
  const bytes = Buffer.from(key);
  return {
    dataKey: bytes.subarray(0, 32),
    nameKey: bytes.subarray(32, 64),
    nameTweak: bytes.subarray(64, 80),
  };
}
