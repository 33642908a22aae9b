// The inner loop of quickXorHash (./quickXorHash.ts) in WebAssembly SIMD: XOR every 160-byte block of
// a buffer into one 160-byte accumulator, ten 128-bit XORs per block. In JavaScript the same loop is
// bounded by 32-bit typed-array reads with their bounds checks (about 1.3 GiB/s on a 2-core Xeon, 2.8
// GiB/s fully unrolled); this kernel, with the copy into its memory included, runs at about 11 GiB/s
// on the same machine (bench/hash.ts measures both). The hash runs over every byte the uploader sends
// and the restorer receives, so this is most of its CPU.
//
// The module is assembled here from its instructions (below) instead of compiled from a .wat file:
// the build has no WebAssembly toolchain, and the whole module is one 340-byte function. A runtime
// without WebAssembly SIMD (WebAssembly.validate says so) gets `undefined` and the hash falls back to
// its JavaScript loop; both paths pass the same test vectors.

/** XORs `blocks` 160-byte blocks of `data`, from `start`, into `out` (160 bytes, overwritten). */
export type BlockFolder = (data: Uint8Array, start: number, blocks: number, out: Uint8Array) => void;

const BLOCK = 160;
const VECTORS = BLOCK / 16;
/** The accumulator sits at address 0 of the module's one 64 KiB page, the input right after it. */
const SCRATCH_AT = BLOCK;
/** Input copied in per call: as many whole blocks as fit in the page (small enough to stay in L2). */
const SCRATCH_BLOCKS = Math.floor((65536 - SCRATCH_AT) / BLOCK);

const leb128 = (value: number): number[] => {
  const out: number[] = [];
  for (let v = value; ;) {
    const byte = v & 0x7f;
    v >>>= 7;
    if (v === 0) return [...out, byte];
    out.push(byte | 0x80);
  }
};
/** Signed LEB128, for i32.const of small non-negative values. */
const sleb128 = (value: number): number[] => {
  const out: number[] = [];
  for (let v = value; ;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const section = (id: number, bytes: number[]): number[] => [id, ...leb128(bytes.length), ...bytes];
const name = (text: string): number[] => [...leb128(text.length), ...Buffer.from(text, 'utf8')];

// Opcodes used (WebAssembly core 2.0 and its fixed-width SIMD proposal).
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_GE_U = 0x4f;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const BLOCK_OP = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const V128_XOR = 0x51;
const V128 = 0x7b;
const I32 = 0x7f;
/** memarg: alignment hint 2^0 (the input may sit at any address), then the constant offset. */
const memarg = (offset: number): number[] => [0x00, ...leb128(offset)];

/**
 * fold(from, to): acc[0..160) ^= every 160-byte block in [from, to). Parameters are locals 0 and 1;
 * the ten v128 accumulators are locals 2..11.
 */
function foldFunctionBody(): number[] {
  const acc = (j: number): number => 2 + j;
  const code: number[] = [];
  for (let j = 0; j < VECTORS; j++)
    code.push(I32_CONST, 0, SIMD, ...leb128(V128_LOAD), ...memarg(16 * j), LOCAL_SET, acc(j));
  code.push(BLOCK_OP, VOID, LOOP, VOID);
  code.push(LOCAL_GET, 0, LOCAL_GET, 1, I32_GE_U, BR_IF, 1);
  for (let j = 0; j < VECTORS; j++)
    code.push(
      LOCAL_GET,
      acc(j),
      LOCAL_GET,
      0,
      SIMD,
      ...leb128(V128_LOAD),
      ...memarg(16 * j),
      SIMD,
      ...leb128(V128_XOR),
      LOCAL_SET,
      acc(j),
    );
  code.push(LOCAL_GET, 0, I32_CONST, ...sleb128(BLOCK), I32_ADD, LOCAL_SET, 0, BR, 0, END, END);
  for (let j = 0; j < VECTORS; j++)
    code.push(I32_CONST, 0, LOCAL_GET, acc(j), SIMD, ...leb128(V128_STORE), ...memarg(16 * j));
  code.push(END);
  const body = [1, VECTORS, V128, ...code];
  return [...leb128(body.length), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 2, I32, I32, 0]), // one type: (i32, i32) -> ()
    ...section(3, [1, 0]), // one function, of that type
    ...section(5, [1, 0x00, 1]), // one memory: 1 page, no maximum
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('fold'), 0x00, 0]),
    ...section(10, [1, ...foldFunctionBody()]),
  ]);
}

function instantiate(): BlockFolder | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  const bytes = moduleBytes();
  if (!WebAssembly.validate(bytes)) return undefined;
  // Synchronous compilation is fine for a module this small, and keeps the hash synchronous.
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = new Uint8Array((exports.memory as WebAssembly.Memory).buffer);
  const fold = exports.fold as (from: number, to: number) => void;
  return (data, start, blocks, out) => {
    memory.fill(0, 0, BLOCK);
    for (let done = 0; done < blocks;) {
      const count = Math.min(SCRATCH_BLOCKS, blocks - done);
      const from = start + done * BLOCK;
      memory.set(data.subarray(from, from + count * BLOCK), SCRATCH_AT);
      fold(SCRATCH_AT, SCRATCH_AT + count * BLOCK);
      done += count;
    }
    out.set(memory.subarray(0, BLOCK));
  };
}

/** The SIMD kernel, or undefined where the runtime cannot run it. One instance per process: it is synchronous, so calls never interleave. */
export const simdBlockFolder: BlockFolder | undefined = instantiate();
