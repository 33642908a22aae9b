// The Graph emulator's own quickXorHash (the hash it reports for every stored file) against rclone's
// published test vectors, and against the product's implementation on large inputs, split into
// chunks at odd lengths and odd memory offsets so its word-at-a-time fold meets every alignment.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quickXorHash } from '../../emulators/graph/hash';
import { QuickXorHash } from '../../src/graph/quickXorHash';

interface Vector {
  size: number;
  input: string;
  quickXorHash: string;
}

const { vectors } = JSON.parse(
  readFileSync(join(__dirname, '..', 'vectors', 'quickXorHash.rclone.json'), 'utf8'),
) as { vectors: Vector[] };

/** `data` cut at the given lengths (the rest in one last chunk), each copy at `offset` bytes into its memory. */
function split(data: Buffer, lengths: number[], offset: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const length of [...lengths, data.length]) {
    if (at >= data.length) break;
    const part = data.subarray(at, Math.min(data.length, at + length));
    const memory = new Uint8Array(part.length + offset);
    memory.set(part, offset);
    chunks.push(memory.subarray(offset));
    at += part.length;
  }
  return chunks;
}

describe("the Graph emulator's quickXorHash", () => {
  it.each(vectors.map((v) => [v.size, v] as const))(
    'matches rclone for %i bytes, whole and split',
    (_size, vector) => {
      const data = Buffer.from(vector.input, 'base64');
      expect(quickXorHash([data])).toBe(vector.quickXorHash);
      expect(quickXorHash(split(data, [1, 7, 160, 3], 1))).toBe(vector.quickXorHash);
    },
  );

  it.each([
    ['aligned, whole periods', [1600, 3200], 0],
    ['a chunk ending mid-period', [1000, 5000, 161], 0],
    ['memory one byte off a word', [1600, 4800], 1],
    ['memory two bytes off, odd cuts', [7, 333, 2049], 2],
    ['memory three bytes off, period-long cuts', [160, 160, 320], 3],
  ] as const)('matches the product on 1 MiB + 13 bytes: %s', (_label, lengths, offset) => {
    const data = randomBytes(1024 * 1024 + 13);
    const expected = QuickXorHash.of(data);
    expect(quickXorHash(split(data, [...lengths], offset))).toBe(expected);
    expect(quickXorHash([data])).toBe(expected);
  });
});
