// The restore's view of rclone crypt (../../crypt): a ContentDecryption over one job's keys. It opens
// whole cipher blocks at any position (the engine resumes mid-file in another invocation, so it
// cannot stream from byte 0 as rclone's reader does), checks the header's magic, and turns every
// failure into DecryptionFailed with the reason a person can act on.
import { AppError } from '../../errors';
import {
  BLOCK_BYTES,
  BLOCK_DATA_BYTES,
  CryptError,
  decryptedSize,
  decryptingTransform,
  encryptedSize,
  HEADER_BYTES,
  headerNonce,
  nonceAdd,
  remoteNameCipher,
  sodiumReady,
  type CryptKeys,
} from '../../crypt';
import type { RestoreCrypt } from '../deps';
import type { RestoreEncryption } from '../messages';
import { openBoxes } from '../../crypt/openBoxes';
import type { ContentDecryption } from './types';

function failed(why: string, advice: string): AppError {
  return new AppError('DecryptionFailed', why, { advice });
}

const WRONG_KEY_ADVICE =
  "Check that the job's passwords are the ones these files were written with (`job keys`); a file written by another tool or with other passwords cannot be opened with these.";
const DAMAGED_ADVICE =
  "The copy in OneDrive was changed after upload: restore an earlier version from OneDrive's version history, or back the source up again.";

export function cryptDecryption(keys: CryptKeys): ContentDecryption {
  return {
    headerBytes: HEADER_BYTES,
    blockUnit: BLOCK_DATA_BYTES,
    plainSize(cipherSize) {
      try {
        return decryptedSize(cipherSize);
      } catch (error) {
        if (!(error instanceof CryptError)) throw error;
        throw failed(
          `A file of ${cipherSize} bytes cannot be an rclone crypt file (no plaintext encrypts to that size).`,
          DAMAGED_ADVICE,
        );
      }
    },
    cipherRange(offset, count) {
      if (offset % BLOCK_DATA_BYTES !== 0) throw new RangeError(`offset ${offset} is not on a block`);
      // The boxes of `count` plaintext bytes are those of a file that size, without its header.
      return {
        offset: HEADER_BYTES + (offset / BLOCK_DATA_BYTES) * BLOCK_BYTES,
        count: encryptedSize(count) - HEADER_BYTES,
      };
    },
    async decrypt(header, offset, ciphertext) {
      let nonce: Buffer;
      try {
        nonce = headerNonce(header);
      } catch (error) {
        if (!(error instanceof CryptError)) throw error;
        throw failed('The file is not an rclone crypt file (its header is wrong).', WRONG_KEY_ADVICE);
      }
      const first = offset / BLOCK_DATA_BYTES;
      let opened: Awaited<ReturnType<typeof openBoxes>>;
      try {
        // All boxes into one buffer, in a worker when the range is large (../../crypt/openBoxes.ts).
        opened = await openBoxes(keys.dataKey, nonceAdd(nonce, first), ciphertext);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        throw failed(`Block ${first} of the file is cut inside its tag.`, DAMAGED_ADVICE);
      }
      if (opened.bad >= 0) {
        const block = first + opened.bad;
        throw block === 0
          ? failed(
              "The file does not open with this job's passwords (its first block fails authentication).",
              WRONG_KEY_ADVICE,
            )
          : failed(`Block ${block} of the file fails authentication: it was changed or cut.`, DAMAGED_ADVICE);
      }
      return opened.plain;
    },
  };
}

/** An encrypted job's keys as a restore uses them: contents and names (../deps.ts RestoreCrypt). */
export async function restoreCrypt(keys: CryptKeys, encryption: RestoreEncryption): Promise<RestoreCrypt> {
  await sodiumReady();
  const names = remoteNameCipher(keys, encryption);
  return {
    content: cryptDecryption(keys),
    decryptPath: (path) => names.decryptPath(path),
    storedDirPath: (path) => names.encryptDirPath(path),
    decrypting: () => decryptingTransform(keys),
  };
}
