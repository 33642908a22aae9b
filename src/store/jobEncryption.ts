// A job's encryption option. `off` keeps files as they are; `rclone-crypt` encrypts every file and,
// as chosen, its name before the drive sees a byte, in rclone's crypt format, so the OneDrive folder
// can be read back with rclone alone. The passwords are not part of the job: they live in Key Vault
// (../secrets/cryptPasswords.ts); the job row records only how names are treated.
import { validationError } from '../errors';
import { field } from './table';

export type FilenameEncryption = 'standard' | 'obfuscate' | 'off';
export type FilenameEncoding = 'base32' | 'base64' | 'base32768';

export type JobEncryption =
  | { mode: 'off' }
  | {
      mode: 'rclone-crypt';
      /** rclone's `filename_encryption`. */
      filenameEncryption: FilenameEncryption;
      /** rclone's `directory_name_encryption` (meaningful with standard or obfuscate names). */
      directoryNameEncryption: boolean;
      /** rclone's `filename_encoding` (standard names only). */
      filenameEncoding: FilenameEncoding;
    };

export const ENCRYPTION_OFF: JobEncryption = { mode: 'off' };

/** rclone's own defaults for a new crypt remote. */
const RCLONE_DEFAULTS = {
  filenameEncryption: 'standard',
  directoryNameEncryption: true,
  filenameEncoding: 'base32',
} as const;

const FIELDS = new Set([
  'mode',
  'filenameEncryption',
  'directoryNameEncryption',
  'filenameEncoding',
  'password',
  'password2',
]);

export const isEncrypted = (
  e: JobEncryption | undefined,
): e is Extract<JobEncryption, { mode: 'rclone-crypt' }> => e?.mode === 'rclone-crypt';

/**
 * Validates `encryption` of a job body. Fixed once the job exists: files already in the drive were
 * written under the first choice, and a second one would leave a folder neither rclone setting can
 * read whole.
 */
export function validateEncryption(input: unknown, base: JobEncryption | undefined): JobEncryption {
  if (input === undefined) return base ?? ENCRYPTION_OFF;
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw validationError(
      'encryption',
      'must be an object {mode, filenameEncryption?, directoryNameEncryption?, filenameEncoding?}',
    );
  const e = input as Record<string, unknown>;
  for (const key of Object.keys(e))
    if (!FIELDS.has(key))
      throw validationError(
        `encryption.${key}`,
        `is not an encryption setting (known: ${[...FIELDS].join(', ')})`,
      );
  const mode = e.mode ?? 'off';
  if (mode !== 'off' && mode !== 'rclone-crypt')
    throw validationError('encryption.mode', 'must be "off" or "rclone-crypt"');
  let result: JobEncryption;
  if (mode === 'off') {
    for (const key of [
      'filenameEncryption',
      'directoryNameEncryption',
      'filenameEncoding',
      'password',
      'password2',
    ])
      if (e[key] !== undefined)
        throw validationError(`encryption.${key}`, 'applies to mode "rclone-crypt" only');
    result = ENCRYPTION_OFF;
  } else {
    const filenameEncryption = e.filenameEncryption ?? RCLONE_DEFAULTS.filenameEncryption;
    if (
      filenameEncryption !== 'standard' &&
      filenameEncryption !== 'obfuscate' &&
      filenameEncryption !== 'off'
    )
      throw validationError('encryption.filenameEncryption', 'must be "standard", "obfuscate" or "off"');
    const directoryNameEncryption = e.directoryNameEncryption ?? RCLONE_DEFAULTS.directoryNameEncryption;
    if (typeof directoryNameEncryption !== 'boolean')
      throw validationError('encryption.directoryNameEncryption', 'must be true or false');
    const filenameEncoding = e.filenameEncoding ?? RCLONE_DEFAULTS.filenameEncoding;
    if (filenameEncoding !== 'base32' && filenameEncoding !== 'base64' && filenameEncoding !== 'base32768')
      throw validationError('encryption.filenameEncoding', 'must be "base32", "base64" or "base32768"');
    result = { mode, filenameEncryption, directoryNameEncryption, filenameEncoding };
  }
  if (base && !sameEncryption(base, result))
    throw validationError(
      'encryption',
      'cannot be changed once the job exists (its files are in the drive under the first setting); create a new job with another destination folder',
    );
  return result;
}

export function sameEncryption(a: JobEncryption, b: JobEncryption): boolean {
  return JSON.stringify(toEncryptionRow(a)) === JSON.stringify(toEncryptionRow(b));
}

/**
 * The passwords a create request may bring (rclone's `password` and `password2`). Returned apart
 * from the job so they never reach the job row; checked here so a weak one is refused by name.
 */
export function passwordsOf(input: unknown): { password?: string; password2?: string } {
  if (!input || typeof input !== 'object') return {};
  const e = input as Record<string, unknown>;
  const one = (key: 'password' | 'password2', min: number): string | undefined => {
    const value = e[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length < min || value.length > 1024)
      throw validationError(
        `encryption.${key}`,
        `must be a string of ${min} to 1,024 characters, or left out to have a strong one generated`,
      );
    return value;
  };
  return { password: one('password', 12), password2: one('password2', 0) };
}

type Row = Record<string, string | number | boolean | undefined>;

export function toEncryptionRow(e: JobEncryption): Row {
  if (e.mode === 'off') return { encryption: 'off' };
  return {
    encryption: e.mode,
    encryptionFilenames: e.filenameEncryption,
    encryptionDirectories: e.directoryNameEncryption,
    encryptionEncoding: e.filenameEncoding,
  };
}

export function fromEncryptionRow(raw: Record<string, unknown>): JobEncryption {
  // Jobs stored before the option existed are not encrypted.
  if (field.string(raw, 'encryption') !== 'rclone-crypt') return ENCRYPTION_OFF;
  return {
    mode: 'rclone-crypt',
    filenameEncryption:
      (field.string(raw, 'encryptionFilenames') as FilenameEncryption | undefined) ?? 'standard',
    directoryNameEncryption: field.boolean(raw, 'encryptionDirectories'),
    filenameEncoding: (field.string(raw, 'encryptionEncoding') as FilenameEncoding | undefined) ?? 'base32',
  };
}
