// File and directory names as rclone crypt writes them (backend/crypt/cipher.go):
// - standard: each path segment PKCS#7-padded to 16 bytes, EME-encrypted under the name key and
//   tweak, then written as text (base32 by default);
// - obfuscate: each segment rotated character by character by an amount from the segment and the
//   name key, prefixed with that amount ("49.6"); hides little, keeps names short;
// - off: names kept, ".bin" appended to files.
// With directory name encryption off, only the last segment (the file name) changes. A version
// suffix of rclone's --*-versions form ("-v2001-02-03-040506-123") on the last segment is kept in
// clear around the encrypted name, as rclone does.
import { emeTransform, EME_MAX_BYTES } from './eme';
import { CryptError } from './errors';
import type { CryptKeys } from './keys';
import { nameEncoder, type FilenameEncoding, type NameEncoder } from './nameEncoding';

export type FilenameEncryption = 'standard' | 'obfuscate' | 'off';
export type { FilenameEncoding };

export interface NameOptions {
  /** rclone's `filename_encryption`; default standard. */
  filenameEncryption?: FilenameEncryption;
  /** rclone's `directory_name_encryption`; default true. */
  directoryNameEncryption?: boolean;
  /** rclone's `filename_encoding`, for standard; default base32. */
  filenameEncoding?: FilenameEncoding;
  /** rclone's `suffix`, for off; default ".bin", "none" for no suffix. */
  suffix?: string;
}

export interface NameCipher {
  readonly options: Required<NameOptions>;
  /** One segment (no "/"), encrypted or obfuscated as the mode says (off: unchanged). */
  encryptSegment(segment: string): string;
  decryptSegment(segment: string): string;
  /** A file path "a/b/c.txt" (rclone's EncryptFileName). */
  encryptPath(path: string): string;
  /** The inverse of encryptPath (rclone's DecryptFileName); throws CryptError('bad-name'). */
  decryptPath(path: string): string;
  /** A directory path (rclone's EncryptDirName): unchanged when directory names are not encrypted. */
  encryptDirPath(path: string): string;
  decryptDirPath(path: string): string;
}

const BLOCK = 16;

function pad(bytes: Buffer): Buffer {
  const padding = BLOCK - (bytes.length % BLOCK);
  return Buffer.concat([bytes, Buffer.alloc(padding, padding)]);
}

function unpad(bytes: Buffer): Buffer {
  if (bytes.length === 0 || bytes.length % BLOCK !== 0)
    throw new CryptError('bad-name', 'bad PKCS#7 padding');
  const padding = bytes[bytes.length - 1];
  if (padding > BLOCK) throw new CryptError('bad-name', 'bad PKCS#7 padding - too long');
  if (padding === 0) throw new CryptError('bad-name', 'bad PKCS#7 padding - too short');
  for (let i = 1; i <= padding; i++) {
    if (bytes[bytes.length - i] !== padding)
      throw new CryptError('bad-name', 'bad PKCS#7 padding - not all the same');
  }
  return bytes.subarray(0, bytes.length - padding);
}

// --- version suffixes (rclone lib/version) ---

const VERSION_PATTERN = /-v\d{4}-\d{2}-\d{2}-\d{6}-\d{3}/;
const VERSION_LENGTH = '-v2006-01-02-150405-000'.length;
const VERSION_AT_END = /^-v(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})-(\d{3})$/;

/** path.Ext's split, with ".file" counted as all base (lib/version splitExt). */
function splitExt(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/** [name without its version, the version text] when the name ends (before its extension) in a valid one. */
function splitVersion(name: string): [string, string] | undefined {
  if (!VERSION_PATTERN.test(name)) return undefined;
  const [base, ext] = splitExt(name);
  if (base.length < VERSION_LENGTH) return undefined;
  const version = base.slice(base.length - VERSION_LENGTH);
  const m = VERSION_AT_END.exec(version);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Go's time.Parse refuses a day past the month's end or an hour past 23; Date would roll over.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  return [base.slice(0, base.length - VERSION_LENGTH) + ext, version];
}

/** Puts a version back where rclone's version.Add does: before the extension. */
function addVersion(name: string, version: string): string {
  const [base, ext] = splitExt(name);
  return base + version + ext;
}

// --- obfuscate ---

const QUOTE = '!';

function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function keySum(nameKey: Uint8Array): number {
  let sum = 0;
  for (const byte of nameKey) sum += byte;
  return sum;
}

function obfuscateSegment(plain: string, nameKey: Uint8Array): string {
  if (plain === '') return '';
  // Go sees invalid UTF-8 here; a JavaScript string's equivalent is a lone surrogate.
  if (hasLoneSurrogate(plain)) return '!.' + plain;
  let dir = 0;
  for (const ch of plain) dir += ch.codePointAt(0)!;
  dir %= 256;
  let out = `${dir}.`;
  dir += keySum(nameKey);
  for (const ch of plain) {
    const cp = ch.codePointAt(0)!;
    if (ch === QUOTE) {
      out += QUOTE + QUOTE;
    } else if (cp >= 0x30 && cp <= 0x39) {
      const thisDir = (dir % 9) + 1;
      out += String.fromCodePoint(0x30 + ((cp - 0x30 + thisDir) % 10));
    } else if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) {
      const thisDir = (dir % 25) + 1;
      let pos = cp - 0x41;
      if (pos >= 26) pos -= 6;
      pos = (pos + thisDir) % 52;
      if (pos >= 26) pos += 6;
      out += String.fromCodePoint(0x41 + pos);
    } else if (cp >= 0xa0 && cp <= 0xff) {
      const thisDir = (dir % 95) + 1;
      out += String.fromCodePoint(0xa0 + ((cp - 0xa0 + thisDir) % 96));
    } else if (cp >= 0x100) {
      const thisDir = (dir % 127) + 1;
      const base = cp - (cp % 256);
      // rclone quotes a rotation that lands on an invalid rune; none can: surrogates fill whole
      // 256-code-point blocks, and a valid code point rotates within its own block.
      out += String.fromCodePoint(base + ((cp - base + thisDir) % 256));
    } else {
      out += ch;
    }
  }
  return out;
}

function deobfuscateSegment(cipher: string, nameKey: Uint8Array): string {
  if (cipher === '') return '';
  const dot = cipher.indexOf('.');
  if (dot < 0) throw new CryptError('bad-name', 'not an encrypted file name (no "." in an obfuscated name)');
  const num = cipher.slice(0, dot);
  const rest = cipher.slice(dot + 1);
  if (num === '!') return rest;
  if (!/^[+-]?\d+$/.test(num) || !Number.isSafeInteger(Number(num))) {
    throw new CryptError('bad-name', 'not an encrypted file name (bad obfuscation prefix)');
  }
  const dir = Number(num) + keySum(nameKey);
  let out = '';
  let inQuote = false;
  for (const ch of rest) {
    const cp = ch.codePointAt(0)!;
    if (inQuote) {
      out += ch;
      inQuote = false;
    } else if (ch === QUOTE) {
      inQuote = true;
    } else if (cp >= 0x30 && cp <= 0x39) {
      const thisDir = (dir % 9) + 1;
      let n = cp - thisDir;
      if (n < 0x30) n += 10;
      out += String.fromCodePoint(n);
    } else if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) {
      const thisDir = (dir % 25) + 1;
      let pos = cp - 0x41;
      if (pos >= 26) pos -= 6;
      pos -= thisDir;
      if (pos < 0) pos += 52;
      if (pos >= 26) pos += 6;
      out += String.fromCodePoint(0x41 + pos);
    } else if (cp >= 0xa0 && cp <= 0xff) {
      const thisDir = (dir % 95) + 1;
      let n = cp - thisDir;
      if (n < 0xa0) n += 96;
      out += String.fromCodePoint(n);
    } else if (cp >= 0x100) {
      const thisDir = (dir % 127) + 1;
      const base = cp - (cp % 256);
      let n = cp - thisDir;
      if (n < base) n += 256;
      out += String.fromCodePoint(n);
    } else {
      out += ch;
    }
  }
  return out;
}

// --- standard ---

function encryptStandard(plain: string, keys: CryptKeys, encoder: NameEncoder): string {
  if (plain === '') return '';
  const padded = pad(Buffer.from(plain, 'utf8'));
  if (padded.length > EME_MAX_BYTES) {
    throw new CryptError(
      'bad-name',
      `a name segment of ${padded.length - 1} bytes or more is too long to encrypt`,
    );
  }
  return encoder.encode(emeTransform(keys.nameKey, keys.nameTweak, padded, 'encrypt'));
}

function decryptStandard(cipher: string, keys: CryptKeys, encoder: NameEncoder): string {
  if (cipher === '') return '';
  const raw = encoder.decode(cipher);
  if (raw.length % BLOCK !== 0) throw new CryptError('bad-name', 'not a multiple of blocksize');
  if (raw.length === 0) throw new CryptError('bad-name', 'too short after base32 decode');
  if (raw.length > EME_MAX_BYTES) throw new CryptError('bad-name', 'too long after base32 decode');
  return unpad(emeTransform(keys.nameKey, keys.nameTweak, raw, 'decrypt')).toString('utf8');
}

export function createNameCipher(keys: CryptKeys, options: NameOptions = {}): NameCipher {
  const resolved: Required<NameOptions> = {
    filenameEncryption: options.filenameEncryption ?? 'standard',
    directoryNameEncryption: options.directoryNameEncryption ?? true,
    filenameEncoding: options.filenameEncoding ?? 'base32',
    suffix: options.suffix ?? '.bin',
  };
  const mode = resolved.filenameEncryption;
  if (mode !== 'standard' && mode !== 'obfuscate' && mode !== 'off') {
    throw new CryptError('invalid-options', `unknown file name encryption mode ${JSON.stringify(mode)}`);
  }
  const encoder = nameEncoder(resolved.filenameEncoding);
  const suffix = resolved.suffix.toLowerCase() === 'none' ? '' : resolved.suffix;
  if (suffix !== '' && !suffix.startsWith('.'))
    throw new CryptError('invalid-options', 'the suffix must start with "."');

  const encryptSegment = (segment: string): string =>
    mode === 'standard'
      ? encryptStandard(segment, keys, encoder)
      : mode === 'obfuscate'
        ? obfuscateSegment(segment, keys.nameKey)
        : segment;
  const decryptSegment = (segment: string): string =>
    mode === 'standard'
      ? decryptStandard(segment, keys, encoder)
      : mode === 'obfuscate'
        ? deobfuscateSegment(segment, keys.nameKey)
        : segment;

  /** Applies `transform` to the segments rclone transforms, keeping a trailing version in clear. */
  const mapPath = (path: string, transform: (segment: string) => string): string => {
    const segments = path.split('/');
    const last = segments.length - 1;
    return segments
      .map((segment, i) => {
        if (!resolved.directoryNameEncryption && i !== last) return segment;
        const versioned = i === last ? splitVersion(segment) : undefined;
        if (!versioned) return transform(segment);
        return addVersion(transform(versioned[0]), versioned[1]);
      })
      .join('/');
  };

  return {
    options: resolved,
    encryptSegment,
    decryptSegment,
    encryptPath(path) {
      return mode === 'off' ? path + suffix : mapPath(path, encryptSegment);
    },
    decryptPath(path) {
      if (mode === 'off') {
        const remaining = path.length - suffix.length;
        if (remaining === 0 || !path.endsWith(suffix)) {
          throw new CryptError('bad-name', `not an encrypted file name (no ${suffix} suffix)`);
        }
        const plain = path.slice(0, remaining);
        const versioned = splitVersion(plain);
        if (versioned && versioned[0] === '') throw new CryptError('bad-name', 'not an encrypted file name');
        return plain;
      }
      return mapPath(path, decryptSegment);
    },
    encryptDirPath(path) {
      return mode === 'off' || !resolved.directoryNameEncryption ? path : mapPath(path, encryptSegment);
    },
    decryptDirPath(path) {
      return mode === 'off' || !resolved.directoryNameEncryption ? path : mapPath(path, decryptSegment);
    },
  };
}

/** The name settings a crypt remote is configured with and a job records (suffix stays rclone's default). */
export type RemoteNameSettings = Required<
  Pick<NameOptions, 'filenameEncryption' | 'directoryNameEncryption' | 'filenameEncoding'>
>;

/**
 * The names rclone's crypt remote with these settings writes. Only the three settings are read:
 * what they arrive in (a job's encryption, a restore message) carries other fields too.
 */
export function remoteNameCipher(keys: CryptKeys, settings: RemoteNameSettings): NameCipher {
  return createNameCipher(keys, {
    filenameEncryption: settings.filenameEncryption,
    directoryNameEncryption: settings.directoryNameEncryption,
    filenameEncoding: settings.filenameEncoding,
  });
}
