// OneDrive's QuickXorHash: the one content hash that both personal and business drives report
// (file.hashes.quickXorHash). Byte i of the input is XORed into a 160-bit block at bit offset
// (i * 11) mod 160, circularly; the digest is that block with the input length XORed into its last
// 8 bytes (little-endian), in base64.
// Reference: https://learn.microsoft.com/onedrive/developer/code-snippets/quickxorhash
//
// Speed matters because the uploader runs this over every byte it sends. Since 160 * 11 ≡ 0 (mod
// 160), byte i and byte i + 160 land on the same bits: a stream is folded 160 bytes at a time into
// "lanes" (lane k = XOR of all bytes whose index ≡ k mod 160) with 32-bit XORs, and the lanes are
// rotated into the 160-bit block only when a digest or a state is asked for. XOR is linear, so the
// order of folding does not matter. The folding of whole blocks runs in WebAssembly SIMD where the
// runtime has it (./quickXorSimd.ts), else in the 32-bit JavaScript loop below.

import { simdBlockFolder, type BlockFolder } from './quickXorSimd';

const WIDTH_BYTES = 20;
const LANE_COUNT = 160;
const LANE_WORDS = LANE_COUNT / 4;
const SHIFT = 11;
const TWO_POW_32 = 0x1_0000_0000;

/** How whole 160-byte blocks are folded; `alignment` is what `start`'s byte address must be a multiple of. */
export interface QuickXorKernel {
  alignment: number;
  fold: BlockFolder;
}

/** The portable kernel: 32-bit XORs over a Uint32Array view, which needs 4-byte aligned input. */
export const jsKernel: QuickXorKernel = {
  alignment: 4,
  fold(data, start, blocks, out) {
    const words = new Uint32Array(data.buffer, data.byteOffset + start, blocks * LANE_WORDS);
    const acc = new Uint32Array(out.buffer, out.byteOffset, LANE_WORDS);
    acc.fill(0);
    for (let w = 0; w < words.length; w += LANE_WORDS) {
      for (let k = 0; k < LANE_WORDS; k++) acc[k] ^= words[w + k];
    }
  },
};

/** The WebAssembly SIMD kernel, when this runtime can run it (the input is copied, so any address does). */
export const simdKernel: QuickXorKernel | undefined = simdBlockFolder && {
  alignment: 1,
  fold: simdBlockFolder,
};

const defaultKernel: QuickXorKernel = simdKernel ?? jsKernel;

/** What an upload must carry to continue the hash in another invocation: the 160-bit block and the length. */
export interface QuickXorHashState {
  /** The 20-byte block, base64. */
  cells: string;
  /** Bytes hashed so far. */
  length: number;
}

export class QuickXorHash {
  /** The 160-bit block with everything folded in so far (length not yet XORed in). */
  private readonly cells = new Uint8Array(WIDTH_BYTES);
  /** Pending lanes, not yet rotated into `cells`; lane k holds bytes whose absolute index ≡ k (mod 160). */
  private readonly lanes = new Uint8Array(LANE_COUNT);
  /** Per-call block accumulator (word-aligned for the JavaScript kernel), reused to avoid allocating on every update. */
  private readonly blockBytes = new Uint8Array(new Uint32Array(LANE_WORDS).buffer);
  private hashed = 0;

  /** `kernel` is for tests that check each implementation; everything else takes the fastest one. */
  constructor(private readonly kernel: QuickXorKernel = defaultKernel) {}

  /** Hashes a whole buffer in one call. */
  static of(data: Uint8Array): string {
    return new QuickXorHash().update(data).digest();
  }

  static fromState(state: QuickXorHashState, kernel?: QuickXorKernel): QuickXorHash {
    const cells = Buffer.from(state.cells, 'base64');
    if (cells.length !== WIDTH_BYTES) {
      throw new RangeError(`QuickXorHash state needs ${WIDTH_BYTES} bytes of cells, got ${cells.length}`);
    }
    if (!Number.isSafeInteger(state.length) || state.length < 0) {
      throw new RangeError(`QuickXorHash state length must be a non-negative integer, got ${state.length}`);
    }
    const hash = new QuickXorHash(kernel);
    hash.cells.set(cells);
    hash.hashed = state.length;
    return hash;
  }

  get length(): number {
    return this.hashed;
  }

  update(data: Uint8Array): this {
    const n = data.length;
    let i = 0;
    // The JavaScript kernel reads through a Uint32Array view, which needs a 4-byte aligned offset;
    // Node buffers sliced from sockets rarely are. The SIMD kernel copies, so it takes any offset.
    const align = this.kernel.alignment;
    const lead = Math.min(n, (align - (data.byteOffset % align)) % align);
    for (; i < lead; i++) this.lanes[(this.hashed + i) % LANE_COUNT] ^= data[i];

    const blocks = Math.floor((n - i) / LANE_COUNT);
    if (blocks > 0) {
      const acc = this.blockBytes;
      this.kernel.fold(data, i, blocks, acc);
      // Every block starts on the same lane, so one rotation of the accumulator places them all.
      // Both kernels leave it as bytes in input order, which keeps this independent of endianness.
      const phase = (this.hashed + i) % LANE_COUNT;
      for (let b = 0; b < LANE_COUNT; b++) this.lanes[(phase + b) % LANE_COUNT] ^= acc[b];
      i += blocks * LANE_COUNT;
    }

    for (; i < n; i++) this.lanes[(this.hashed + i) % LANE_COUNT] ^= data[i];
    this.hashed += n;
    return this;
  }

  /** Base64 digest of everything so far; the hash can keep taking updates afterwards. */
  digest(): string {
    this.foldLanes();
    const out = Buffer.from(this.cells);
    const low = this.hashed % TWO_POW_32;
    const high = Math.floor(this.hashed / TWO_POW_32);
    for (let b = 0; b < 4; b++) {
      out[WIDTH_BYTES - 8 + b] ^= (low >>> (8 * b)) & 0xff;
      out[WIDTH_BYTES - 4 + b] ^= (high >>> (8 * b)) & 0xff;
    }
    return out.toString('base64');
  }

  toState(): QuickXorHashState {
    this.foldLanes();
    return { cells: Buffer.from(this.cells).toString('base64'), length: this.hashed };
  }

  /** Rotates each pending lane into the 160-bit block at (lane * 11) mod 160 bits, then clears the lanes. */
  private foldLanes(): void {
    for (let k = 0; k < LANE_COUNT; k++) {
      const value = this.lanes[k];
      if (value === 0) continue;
      const bitOffset = (k * SHIFT) % LANE_COUNT;
      const byte = bitOffset >> 3;
      const bit = bitOffset & 7;
      this.cells[byte] ^= (value << bit) & 0xff;
      if (bit !== 0) this.cells[(byte + 1) % WIDTH_BYTES] ^= value >> (8 - bit);
    }
    this.lanes.fill(0);
  }
}
