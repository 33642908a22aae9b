// Authenticated encryption of small values kept at rest (AES-256-GCM, node:crypto: nothing a library
// would add). `context` is bound in as additional authenticated data, so a sealed value copied into
// another row (another run, file or blob version) no longer opens; any changed byte, or a key
// version that is gone, is refused, never decrypted into something else.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../errors';
import type { DataKeyProvider } from './dataKey';

export interface Sealer {
  seal(plaintext: string, context: string): Promise<string>;
  /** The plaintext, or a StateInvalid error when the value was altered or its key is gone. */
  open(sealed: string, context: string): Promise<string>;
}

const FORMAT = 'g1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class AesGcmSealer implements Sealer {
  constructor(private readonly keys: DataKeyProvider) {}

  async seal(plaintext: string, context: string): Promise<string> {
    const { key, version } = await this.keys.latest();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    return `${FORMAT}.${version}.${sealed}`;
  }

  async open(sealed: string, context: string): Promise<string> {
    const [format, version, data, extra] = sealed.split('.');
    if (format !== FORMAT || !version || !data || extra !== undefined) throw refused('unknown format');
    const key = await this.keys.version(version);
    if (!key) throw refused('its key version is gone');
    const raw = Buffer.from(data, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw refused('too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw refused('it does not authenticate');
    }
  }
}

function refused(why: string): AppError {
  return new AppError('StateInvalid', `A sealed value was refused: ${why}.`);
}
