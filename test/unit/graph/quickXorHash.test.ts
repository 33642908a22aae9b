import { randomBytes } from 'node:crypto';
import { jsKernel, QuickXorHash, simdKernel, type QuickXorKernel } from '../../../src/graph/quickXorHash';

// A deliberately naive transcription of the published algorithm: every set bit of byte i flips bit
// (i * 11 + bit) mod 160 of the block; then the length goes into the last 8 bytes, little-endian.
// Sharing nothing with the word-based implementation, it catches mistakes in lanes and rotation.
function referenceBlock(data: Uint8Array): Uint8Array {
  const block = new Uint8Array(20);
  for (let i = 0; i < data.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      if ((data[i] >> bit) & 1) {
        const position = (i * 11 + bit) % 160;
        block[position >> 3] ^= 1 << (position & 7);
      }
    }
  }
  return block;
}

function referenceQuickXor(data: Uint8Array): string {
  const block = referenceBlock(data);
  let length = BigInt(data.length);
  for (let b = 0; b < 8; b++) {
    block[12 + b] ^= Number(length & 0xffn);
    length >>= 8n;
  }
  return Buffer.from(block).toString('base64');
}

/** Splits data into pieces of awkward sizes (1, 7, 159, 161, ...) at unaligned offsets. */
function oddPieces(data: Buffer): Buffer[] {
  const sizes = [1, 7, 159, 161, 3, 320, 13, 1000];
  const pieces: Buffer[] = [];
  let offset = 0;
  for (let n = 0; offset < data.length; n++) {
    const size = sizes[n % sizes.length];
    pieces.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}

describe('QuickXorHash kernels', () => {
  it('has the WebAssembly SIMD kernel on this runtime, so the fast path is the one tested', () => {
    expect(simdKernel).toBeDefined();
  });

  it('continues a state saved by one kernel in the other (the state does not depend on the kernel)', () => {
    const data = randomBytes(100_003);
    for (const [first, second] of [
      [simdKernel!, jsKernel],
      [jsKernel, simdKernel!],
    ]) {
      const state = new QuickXorHash(first).update(data.subarray(0, 54_321)).toState();
      const resumed = QuickXorHash.fromState(state, second).update(data.subarray(54_321));
      expect(resumed.digest()).toBe(referenceQuickXor(data));
    }
  });
});

const kernels: Array<[string, QuickXorKernel]> = [
  ['WebAssembly SIMD', simdKernel!],
  ['JavaScript', jsKernel],
];

describe.each(kernels)('QuickXorHash with the %s kernel', (_name, kernel) => {
  const hashOf = (data: Uint8Array): string => new QuickXorHash(kernel).update(data).digest();

  it('matches the published vectors for empty input and the single byte 0x4A', () => {
    expect(hashOf(Buffer.alloc(0))).toBe('AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    expect(hashOf(Buffer.from([0x4a]))).toBe('SgAAAAAAAAAAAAAAAQAAAAAAAAA=');
  });

  it('matches an independent implementation on "hello world" (vector from the Rust quickxorhash crate)', () => {
    const expected = [104, 40, 3, 27, 216, 240, 6, 16, 220, 225, 13, 114, 107, 3, 25, 0, 0, 0, 0, 0];
    expect([...Buffer.from(hashOf(Buffer.from('hello world')), 'base64')]).toEqual(expected);
  });

  it('agrees with a bit-by-bit reference over random inputs of many sizes', () => {
    // 64,000 bytes is what the SIMD kernel copies in per call: sizes around it cross that boundary.
    const sizes = [
      1, 2, 3, 4, 5, 19, 20, 21, 159, 160, 161, 319, 320, 321, 1000, 4096, 63_999, 64_000, 64_161, 65_537,
      200_003,
    ];
    for (const size of sizes) {
      const data = randomBytes(size);
      expect({ size, hash: hashOf(data) }).toEqual({ size, hash: referenceQuickXor(data) });
    }
  });

  it('gives the same digest for buffers at unaligned memory offsets', () => {
    const backing = randomBytes(140_000);
    for (const start of [0, 1, 2, 3, 7]) {
      const view = backing.subarray(start, start + 130_001);
      expect(hashOf(view)).toBe(referenceQuickXor(view));
    }
  });

  it('gives the same digest when fed in odd-sized pieces as in one call', () => {
    const data = randomBytes(50_000);
    const hash = new QuickXorHash(kernel);
    for (const piece of oddPieces(data)) hash.update(piece);
    expect(hash.digest()).toBe(hashOf(data));
    expect(hash.length).toBe(data.length);
  });

  it('continues from a saved state mid-stream exactly as an uninterrupted hash', () => {
    const data = randomBytes(10_000);
    for (const cut of [0, 1, 159, 160, 161, 4321, 10_000]) {
      const first = new QuickXorHash(kernel).update(data.subarray(0, cut));
      // Through JSON, as a queue message would carry it.
      const state = JSON.parse(JSON.stringify(first.toState()));
      const resumed = QuickXorHash.fromState(state, kernel).update(data.subarray(cut));
      expect({ cut, hash: resumed.digest() }).toEqual({ cut, hash: referenceQuickXor(data) });
    }
  });

  it('keeps accepting updates after a digest', () => {
    const data = randomBytes(777);
    const hash = new QuickXorHash(kernel).update(data.subarray(0, 300));
    hash.digest();
    hash.update(data.subarray(300));
    expect(hash.digest()).toBe(referenceQuickXor(data));
  });

  it('keeps its state in the published form: the 160-bit block without the length, and the length', () => {
    const data = randomBytes(12_345);
    const state = new QuickXorHash(kernel).update(data).toState();
    expect(state).toEqual({ cells: Buffer.from(referenceBlock(data)).toString('base64'), length: 12_345 });
  });
});

describe('QuickXorHash state', () => {
  it('refuses a state that is not 20 bytes plus a non-negative length', () => {
    expect(() => QuickXorHash.fromState({ cells: Buffer.alloc(19).toString('base64'), length: 0 })).toThrow(
      /20 bytes/,
    );
    expect(() => QuickXorHash.fromState({ cells: Buffer.alloc(20).toString('base64'), length: -1 })).toThrow(
      /length/,
    );
  });
});
