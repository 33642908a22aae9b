// rclone crypt's cost on its own: the encrypting range reader (what the upload engine will pull
// its chunks through) and the streaming decryptor (what restore will push downloads through), over
// a plaintext held in memory, so the figure is secretbox plus the block mapping and nothing else.
// Compare with the upload throughput above: encryption keeps up when it is well above it.
import { randomBytes } from 'node:crypto';
import {
  decryptStream,
  encryptedSize,
  encryptingRangeReader,
  keysFromBytes,
  HEADER_BYTES,
  newFileNonce,
  sealHere,
} from '../src/crypt';
import { cryptDecryption } from '../src/restore/download/decryption';
import { nativeSodium } from '../src/crypt/nativeSecretbox';

const MiB = 1024 * 1024;

export interface CryptResult {
  bytes: number;
  chunkBytes: number;
  rounds: number;
  /** Large ranges sealed in the worker pool (the default). */
  encryptMiBps: number[];
  /** The same ranges sealed on the calling thread. */
  encryptInThreadMiBps?: number[];
  /** The streaming decryptor (rclone's order, from byte 0). */
  decryptMiBps: number[];
  /** What a restore does: whole-block ranges of 10 MiB of plaintext, opened in the worker pool. */
  restoreDecryptMiBps?: number[];
  /** Which build of libsodium sealed and opened (absent in older results: the WebAssembly one). */
  secretbox?: 'sodium-native' | 'libsodium-wrappers';
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** Encrypts `bytes` in `chunkBytes` ciphertext ranges (engine-sized, not block-aligned), then decrypts it. */
export async function measureCrypt(
  options: { bytes?: number; chunkBytes?: number; rounds?: number } = {},
): Promise<CryptResult> {
  const bytes = options.bytes ?? 64 * MiB;
  const chunkBytes = options.chunkBytes ?? 10 * MiB;
  const rounds = options.rounds ?? 3;
  const plain = randomBytes(bytes);
  const keys = keysFromBytes(randomBytes(80));
  const total = encryptedSize(bytes);
  const result: CryptResult = {
    bytes,
    chunkBytes,
    rounds,
    encryptMiBps: [],
    encryptInThreadMiBps: [],
    decryptMiBps: [],
    restoreDecryptMiBps: [],
    secretbox: nativeSodium ? 'sodium-native' : 'libsodium-wrappers',
  };
  const source = async (offset: number, count: number): Promise<Buffer> =>
    plain.subarray(offset, offset + count);
  for (let round = 0; round < rounds; round++) {
    // On the calling thread first: what one core does, with nothing else to overlap.
    const here = encryptingRangeReader(keys, newFileNonce(), bytes, source, { sealer: sealHere });
    const into = Buffer.allocUnsafe(chunkBytes);
    const began = process.hrtime.bigint();
    for (let offset = 0; offset < total; offset += chunkBytes) {
      await here(offset, Math.min(chunkBytes, total - offset), into);
    }
    result.encryptInThreadMiBps!.push(bytes / MiB / seconds(began));

    const read = encryptingRangeReader(keys, newFileNonce(), bytes, source);
    const chunks: Buffer[] = [];
    let start = process.hrtime.bigint();
    for (let offset = 0; offset < total; offset += chunkBytes) {
      chunks.push(await read(offset, Math.min(chunkBytes, total - offset)));
    }
    result.encryptMiBps.push(bytes / MiB / seconds(start));

    start = process.hrtime.bigint();
    let out = 0;
    for await (const block of decryptStream(keys, chunks)) out += block.length;
    result.decryptMiBps.push(bytes / MiB / seconds(start));
    if (out !== bytes) throw new Error(`decrypted ${out} of ${bytes} bytes`);

    // The restore's ranges: plaintext blocks of chunkBytes (a multiple of 64 KiB), their boxes opened at once.
    const whole = Buffer.concat(chunks);
    const header = whole.subarray(0, HEADER_BYTES);
    const content = cryptDecryption(keys);
    start = process.hrtime.bigint();
    out = 0;
    for (let offset = 0; offset < bytes; offset += chunkBytes) {
      const range = content.cipherRange(offset, Math.min(chunkBytes, bytes - offset));
      out += (await content.decrypt(header, offset, whole.subarray(range.offset, range.offset + range.count)))
        .length;
    }
    result.restoreDecryptMiBps!.push(bytes / MiB / seconds(start));
    if (out !== bytes) throw new Error(`restore-decrypted ${out} of ${bytes} bytes`);
  }
  return result;
}

export function describeCrypt(r: CryptResult): string {
  const list = (values: number[]): string => values.map((v) => v.toFixed(0)).join(', ');
  const here = r.encryptInThreadMiBps?.length ? ` (on the event loop: ${list(r.encryptInThreadMiBps)})` : '';
  return `rclone crypt alone, ${r.bytes / MiB} MiB in ${r.chunkBytes / MiB} MiB ranges: encrypt MiB/s ${list(r.encryptMiBps)}${here}; decrypt MiB/s ${list(r.decryptMiBps)}${r.restoreDecryptMiBps?.length ? ` (restore's ranges, in the worker: ${list(r.restoreDecryptMiBps)})` : ''}`;
}
