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
  newFileNonce,
  sealHere,
} from '../src/crypt';

const MiB = 1024 * 1024;

export interface CryptResult {
  bytes: number;
  chunkBytes: number;
  rounds: number;
  /** Large ranges sealed in the worker pool (the default). */
  encryptMiBps: number[];
  /** The same ranges sealed on the calling thread. */
  encryptInThreadMiBps?: number[];
  decryptMiBps: number[];
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
  }
  return result;
}

export function describeCrypt(r: CryptResult): string {
  const list = (values: number[]): string => values.map((v) => v.toFixed(0)).join(', ');
  const here = r.encryptInThreadMiBps?.length ? ` (on the event loop: ${list(r.encryptInThreadMiBps)})` : '';
  return `rclone crypt alone, ${r.bytes / MiB} MiB in ${r.chunkBytes / MiB} MiB ranges: encrypt MiB/s ${list(r.encryptMiBps)}${here}; decrypt MiB/s ${list(r.decryptMiBps)}`;
}
