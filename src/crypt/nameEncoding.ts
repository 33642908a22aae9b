// The three ways rclone writes an encrypted name as text (backend/crypt/cipher.go, NewNameEncoding):
// base32 (RFC 4648 "hex" alphabet, lower case, no padding; the default, safe on case-insensitive
// drives such as OneDrive), base64 (URL-safe, no padding) and base32768. Node has no base32, so it
// is written out here; Buffer's base64url decoder skips bad characters silently, so input is
// checked first, as Go's decoder would refuse it.
import { base32768Decode, base32768Encode } from './base32768';
import { CryptError } from './errors';

export type FilenameEncoding = 'base32' | 'base64' | 'base32768';

export interface NameEncoder {
  encode(bytes: Uint8Array): string;
  decode(text: string): Buffer;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32HEX[(buffer << (5 - bits)) & 31];
  return out;
}

function base32Decode(text: string): Buffer {
  // '=' (rclone strips the padding) fails as an illegal character below. Lengths that leave 1, 3 or 6 characters in the last group of 8 cannot come from whole bytes.
  if ([1, 3, 6].includes(text.length % 8)) throw new CryptError('bad-name', 'illegal base32 data (length)');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  const lower = text.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const value = BASE32HEX.indexOf(lower[i]);
    if (value < 0) throw new CryptError('bad-name', `illegal base32 data at input byte ${i}`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function base64Decode(text: string): Buffer {
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw new CryptError('bad-name', 'illegal base64 data');
  return Buffer.from(text, 'base64url');
}

export function nameEncoder(encoding: FilenameEncoding): NameEncoder {
  switch (encoding) {
    case 'base32':
      return { encode: base32Encode, decode: base32Decode };
    case 'base64':
      return { encode: (bytes) => Buffer.from(bytes).toString('base64url'), decode: base64Decode };
    case 'base32768':
      return { encode: base32768Encode, decode: base32768Decode };
    default:
      throw new CryptError('invalid-options', `unknown file name encoding ${JSON.stringify(encoding)}`);
  }
}
