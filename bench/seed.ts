// Source data for the benchmarks, written to Azurite without holding it in memory: a large blob is
// streamed from 8 MiB random pieces, many small blobs go with bounded concurrency.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';

const PIECE = 8 * 1024 * 1024;

export async function seedLargeBlob(container: ContainerClient, name: string, size: number): Promise<void> {
  let left = size;
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(PIECE, left);
      left -= n;
      this.push(randomBytes(n));
    },
  });
  await container.getBlockBlobClient(name).uploadStream(stream, PIECE, 4);
}

/**
 * Writes `count` tiny blobs with `concurrency` requests in flight, stopping early at `deadline`
 * (epoch ms). Returns how many were written: the caller reports what it measured.
 */
export async function seedManyBlobs(
  container: ContainerClient,
  count: number,
  concurrency: number,
  deadline: number,
): Promise<number> {
  let next = 0;
  let written = 0;
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      // Folders of 1,000 like a real dated layout; the body is small, listing cost is per blob.
      const name = `d${String(Math.floor(i / 1000)).padStart(3, '0')}/f${String(i).padStart(6, '0')}.txt`;
      const body = `blob ${i}\n`;
      await container.getBlockBlobClient(name).upload(body, body.length);
      written += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return written;
}

/**
 * A blob of `size` bytes that Azurite stores in a few MiB: `distinct` random blocks staged once and
 * named over and over in the block list (Azurite keeps one copy of each staged block). Reads of it
 * cost what reads of any blob cost, so a 4 GiB source fits on a machine whose Azurite runs in memory.
 * Returns the blob's ETag.
 */
export async function seedRepeatedBlob(
  container: ContainerClient,
  name: string,
  size: number,
  blockBytes = 4 * 1024 * 1024,
  distinct = 8,
): Promise<string> {
  const blob = container.getBlockBlobClient(name);
  const ids = Array.from({ length: distinct }, (_, i) =>
    Buffer.from(`block-${String(i).padStart(4, '0')}`).toString('base64'),
  );
  for (const id of ids) await blob.stageBlock(id, randomBytes(blockBytes), blockBytes);
  const count = Math.ceil(size / blockBytes);
  const tail = size - (count - 1) * blockBytes;
  const list = Array.from({ length: count - 1 }, (_, i) => ids[i % distinct]);
  if (tail === blockBytes) list.push(ids[(count - 1) % distinct]);
  else {
    const tailId = Buffer.from('block-tail').toString('base64');
    await blob.stageBlock(tailId, randomBytes(tail), tail);
    list.push(tailId);
  }
  const { etag } = await blob.commitBlockList(list);
  return etag!;
}
