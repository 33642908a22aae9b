// Deterministic block ids that carry the hash state.
//
// A restore stages one block per range, then commits the list. To resume after a crash (or in the
// next invocation after the time budget ran out) without downloading staged blocks again, two
// things must survive: which blocks are staged, and the quickXorHash of the bytes in them (the
// final check must cover every byte, and the staged bytes cannot be read back before commit).
// Both live in the staged block list itself: each block id holds
//   magic 'r', version, an 8-byte fingerprint of (item id, size, quickXorHash, block size),
//   the block index (6 bytes), and the 20-byte QuickXorHash state after this block,
// 36 bytes → 48 base64 characters, the same length for every block as the service requires (at
// most 64 bytes before encoding). `getBlockList('uncommitted')` therefore tells a resumed restore
// where to continue and with which hash state, even after a crash that left no continuation
// message; no checkpoint table, no re-reading of skipped ranges. The hash length is implied: block
// i ends at min((i + 1) * blockSize, size).
//
// The fingerprint ties staged blocks to one version of one file with one block size: a file that
// changed in OneDrive (new hash) or a different block size never reuses old blocks.
import { createHash } from 'node:crypto';
import type { QuickXorHashState } from '../../graph/quickXorHash';
import type { StagedBlock } from './types';

const MAGIC = 0x72; // 'r'
const VERSION = 1;
const RAW_BYTES = 36;
const CELLS_BYTES = 20;

export interface BlockPlan {
  fingerprint: Buffer;
  size: number;
  blockSize: number;
}

export function blockPlan(
  item: { id: string; size: number; quickXorHash: string },
  blockSize: number,
): BlockPlan {
  const fingerprint = createHash('sha256')
    .update(`${item.id}\n${item.size}\n${item.quickXorHash}\n${blockSize}`)
    .digest()
    .subarray(0, 8);
  return { fingerprint, size: item.size, blockSize };
}

export function blockCount(plan: BlockPlan): number {
  return Math.ceil(plan.size / plan.blockSize);
}

/** Bytes in block `index` (the last one may be short). */
export function blockLength(plan: BlockPlan, index: number): number {
  return Math.min(plan.blockSize, plan.size - index * plan.blockSize);
}

export function blockId(plan: BlockPlan, index: number, state: QuickXorHashState): string {
  const raw = Buffer.alloc(RAW_BYTES);
  raw[0] = MAGIC;
  raw[1] = VERSION;
  plan.fingerprint.copy(raw, 2);
  raw.writeUIntBE(index, 10, 6);
  const cells = Buffer.from(state.cells, 'base64');
  if (cells.length !== CELLS_BYTES) throw new RangeError('QuickXorHash state must hold 20 bytes');
  cells.copy(raw, 16);
  return raw.toString('base64');
}

/** The index and hash cells in an id made by `blockId` for this plan; undefined for any other id. */
export function parseBlockId(plan: BlockPlan, id: string): { index: number; cells: string } | undefined {
  const raw = Buffer.from(id, 'base64');
  if (raw.length !== RAW_BYTES || raw[0] !== MAGIC || raw[1] !== VERSION) return undefined;
  if (!raw.subarray(2, 10).equals(plan.fingerprint)) return undefined;
  return { index: raw.readUIntBE(10, 6), cells: raw.subarray(16).toString('base64') };
}

export interface ResumePoint {
  /** Blocks [0, nextIndex) are staged with the right size and can be reused. */
  nextIndex: number;
  /** Their ids, in order. */
  ids: string[];
  /** Hash state after block nextIndex - 1 (undefined when nothing is reusable). */
  state?: QuickXorHashState;
}

/**
 * The longest run of blocks 0, 1, 2, ... of this plan found staged with the expected sizes. Only a
 * contiguous prefix counts: the hash state of block k covers all bytes before it, so a gap means
 * the bytes in the gap must be downloaded (and everything after them hashed) again.
 */
export function resumePoint(plan: BlockPlan, staged: readonly StagedBlock[]): ResumePoint {
  const byIndex = new Map<number, { id: string; cells: string }>();
  for (const block of staged) {
    const parsed = parseBlockId(plan, block.id);
    if (!parsed || block.size !== blockLength(plan, parsed.index)) continue;
    byIndex.set(parsed.index, { id: block.id, cells: parsed.cells });
  }
  const ids: string[] = [];
  const total = blockCount(plan);
  let last: { id: string; cells: string } | undefined;
  while (ids.length < total) {
    const found = byIndex.get(ids.length);
    if (!found) break;
    ids.push(found.id);
    last = found;
  }
  if (!last) return { nextIndex: 0, ids: [] };
  const length = Math.min(ids.length * plan.blockSize, plan.size);
  return { nextIndex: ids.length, ids, state: { cells: last.cells, length } };
}
