// (0) quickXorHash alone: MiB hashed per CPU-second, for the kernel the product uses (WebAssembly
// SIMD where the runtime has it) and for the portable JavaScript kernel, fed 10 MiB chunks as the
// uploader does, at an aligned and at an odd memory offset (socket buffers are rarely aligned).
// CPU time rather than wall time, so a machine shared with other work still gives a usable figure;
// rounds alternate between the kernels so a drift in the machine's state falls on both.
import { randomBytes } from 'node:crypto';
import { jsKernel, QuickXorHash, simdKernel, type QuickXorKernel } from '../src/graph/quickXorHash';
import { MiB } from './pipeline';

export interface HashResult {
  chunkBytes: number;
  /** Which kernel the product uses on this runtime. */
  kernel: 'simd' | 'js';
  /** Median MiB per CPU-second of the product's kernel, aligned and odd offsets. */
  miBps: { aligned: number; odd: number };
  /** The same for the JavaScript kernel (what every runtime falls back to). */
  jsMiBps: { aligned: number; odd: number };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function rate(kernel: QuickXorKernel, chunk: Uint8Array, totalBytes: number): number {
  const hash = new QuickXorHash(kernel);
  const cpu = process.cpuUsage();
  for (let done = 0; done < totalBytes; done += chunk.length) hash.update(chunk);
  const used = process.cpuUsage(cpu);
  hash.digest();
  return totalBytes / MiB / ((used.user + used.system) / 1e6);
}

export function measureHash(options: { chunkBytes: number; totalBytes: number; rounds: number }): HashResult {
  const backing = randomBytes(options.chunkBytes + 1);
  const views = { aligned: backing.subarray(0, options.chunkBytes), odd: backing.subarray(1) };
  const product = simdKernel ?? jsKernel;
  const runs = {
    product: { aligned: [] as number[], odd: [] as number[] },
    js: { aligned: [] as number[], odd: [] as number[] },
  };
  // A warm-up pass of each lets the JIT settle before anything is timed.
  for (const kernel of [product, jsKernel]) rate(kernel, views.aligned, 20 * options.chunkBytes);
  for (let round = 0; round < options.rounds; round++) {
    for (const at of ['aligned', 'odd'] as const) {
      const order = round % 2 === 0 ? (['product', 'js'] as const) : (['js', 'product'] as const);
      for (const which of order)
        runs[which][at].push(rate(which === 'product' ? product : jsKernel, views[at], options.totalBytes));
    }
  }
  return {
    chunkBytes: options.chunkBytes,
    kernel: simdKernel ? 'simd' : 'js',
    miBps: { aligned: median(runs.product.aligned), odd: median(runs.product.odd) },
    jsMiBps: { aligned: median(runs.js.aligned), odd: median(runs.js.odd) },
  };
}
