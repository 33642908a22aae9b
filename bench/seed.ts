// Source data for the benchmarks, written to Azurite without holding it in memory: a large blob is
// streamed from 8 MiB random pieces, many small blobs go with bounded concurrency, or straight into
// Azurite's metadata when there are too many for its Put Blob.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteInstance, type AzuriteOptions } from '../emulators/azurite';

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

/** The name of the i-th tiny blob: folders of 1,000, like a real dated layout. */
export function seedName(i: number): string {
  return `d${String(Math.floor(i / 1000)).padStart(3, '0')}/f${String(i).padStart(6, '0')}.txt`;
}

/** The body of the i-th tiny blob: small, as a listing's cost is per blob. */
export function seedBody(i: number): string {
  return `blob ${i}\n`;
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
      const body = seedBody(i);
      await container.getBlockBlobClient(seedName(i)).upload(body, body.length);
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

/** A seeded Blob service on disk, for an Azurite (a process per service) to start on, and again. */
export interface BlobsOnDisk {
  blobs: number;
  seedSeconds: number;
  /** An Azurite on these blobs; one at a time (its Blob metadata is one file). */
  start(options?: Pick<AzuriteOptions, 'youngGenerationMiB'>): Promise<AzuriteInstance>;
  /** Deletes the folder; every Azurite started on it is stopped first. */
  remove(): Promise<void>;
}

/**
 * A Blob service folder whose container `containerName` holds `count` tiny blobs, named as
 * seedManyBlobs names them. Written this way because Azurite (3.35) looks each new blob up by
 * account, container and name before it inserts it, and only the account part of that lookup is
 * indexed: every Put Blob scans every blob already stored, so seeding through the service is
 * quadratic (10,000 blobs 31–41 s, 20,000 about 180 s, 100,000 over an hour). Instead one blob is
 * put through the service, Azurite is stopped, and its Blob metadata file gets that blob's record
 * copied under the other names (bench/blobMetadataChild.ts). The copies share the first blob's
 * stored bytes, size and MD5; each has an ETag of its own. A listing, which is what they are for,
 * reads the records alone.
 */
export async function blobsOnDisk(containerName: string, count: number): Promise<BlobsOnDisk> {
  const started = Date.now();
  const blobLocation = await mkdtemp(path.join(tmpdir(), 'bench-blobs-'));
  const remove = (): Promise<void> => rm(blobLocation, { recursive: true, force: true });
  try {
    const seeding = await startAzurite({ processPerService: true, blobLocation });
    try {
      const container = BlobServiceClient.fromConnectionString(seeding.connectionString).getContainerClient(
        containerName,
      );
      await container.create();
      const body = seedBody(0);
      await container.getBlockBlobClient(seedName(0)).upload(body, body.length);
    } finally {
      await seeding.stop();
    }
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'blobMetadataChild.ts')],
      {
        env: {
          ...process.env,
          BLOB_LOCATION: blobLocation,
          BLOB_CONTAINER: containerName,
          BLOB_COUNT: String(count),
        },
      },
    );
  } catch (error) {
    await remove();
    throw error;
  }
  const running = new Set<AzuriteInstance>();
  return {
    blobs: count,
    seedSeconds: (Date.now() - started) / 1000,
    start: async (options = {}) => {
      const azurite = await startAzurite({ ...options, processPerService: true, blobLocation });
      running.add(azurite);
      return {
        ...azurite,
        stop: async () => {
          running.delete(azurite);
          await azurite.stop();
        },
      };
    },
    remove: async () => {
      await Promise.all([...running].map((azurite) => azurite.stop()));
      running.clear();
      await remove();
    },
  };
}
