// quickXorHash against the published test vectors of an independent implementation (rclone's
// OneDrive backend; source and commit in the data file). Each input is fed whole and in blocks of
// 1, 7 and 64 bytes, so a mistake in carrying lanes across calls shows as well as one in the
// algorithm itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsKernel, QuickXorHash, simdKernel } from '../../../src/graph/quickXorHash';

interface Vector {
  size: number;
  input: string;
  quickXorHash: string;
}

const { vectors } = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'vectors', 'quickXorHash.rclone.json'), 'utf8'),
) as { vectors: Vector[] };

function inBlocks(data: Buffer, blockSize: number, kernel = simdKernel!): string {
  const hash = new QuickXorHash(kernel);
  for (let offset = 0; offset < data.length; offset += blockSize)
    hash.update(data.subarray(offset, offset + blockSize));
  return hash.digest();
}

describe('quickXorHash, rclone test vectors', () => {
  it('has the vectors to check (about 70, sizes 0 to 333)', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(70);
    expect(Math.max(...vectors.map((v) => v.size))).toBe(333);
  });

  describe.each([1, 7, 64, 'whole'] as const)('fed in blocks of %p bytes', (blockSize) => {
    it.each(vectors.map((v) => [v.size, v] as const))('matches for %i bytes', (_size, vector) => {
      const data = Buffer.from(vector.input, 'base64');
      expect(data.length).toBe(vector.size);
      const digest = blockSize === 'whole' ? QuickXorHash.of(data) : inBlocks(data, blockSize);
      expect(digest).toBe(vector.quickXorHash);
    });
  });

  // The JavaScript kernel is what a runtime without WebAssembly SIMD runs: the same vectors, whole
  // and in odd blocks (161 bytes: one whole block and one byte per call, at shifting offsets).
  describe.each([7, 161, 'whole'] as const)(
    'with the JavaScript kernel, in blocks of %p bytes',
    (blockSize) => {
      it.each(vectors.map((v) => [v.size, v] as const))('matches for %i bytes', (_size, vector) => {
        const data = Buffer.from(vector.input, 'base64');
        const digest =
          blockSize === 'whole'
            ? new QuickXorHash(jsKernel).update(data).digest()
            : inBlocks(data, blockSize, jsKernel);
        expect(digest).toBe(vector.quickXorHash);
      });
    },
  );
});
