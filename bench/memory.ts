// (2) Peak memory of the worker backing up one large blob from Azurite with 10 MiB chunks, at two
// file sizes: bounded memory means the peak above the idle baseline is a few chunks and the same
// for both. Each size runs in a fresh worker process (bench/memoryWorker.ts), twice: once as
// production runs it (the headline peak) and once with collections forced, to tell what the
// engine holds from garbage V8 has not collected yet.
import { BlobServiceClient } from '@azure/storage-blob';
import type { GraphProcess } from './processes';
import { runWorker } from './processes';
import { MiB, tableName } from './pipeline';
import { seedLargeBlob } from './seed';

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface WorkerAnswer {
  bytes: number;
  seconds: number;
  baseline: MemoryFigures;
  peak: MemoryFigures;
  after: MemoryFigures;
}

export interface MemoryResult {
  fileBytes: number;
  chunkBytes: number;
  seconds: number;
  /** After start-up and a forced collection, just before the run. */
  baseline: MemoryFigures;
  /** The run as production runs it: live data plus garbage V8 has not collected yet. */
  peak: MemoryFigures;
  /** The same run with a collection forced every 50 ms: what the code still references. */
  livePeak: MemoryFigures;
  /** After the run and a forced collection: what the process keeps (the allocator's floor). */
  after: MemoryFigures;
  graphRequests: number;
}

export async function measureMemory(options: {
  connectionString: string;
  graph: GraphProcess;
  driveId: string;
  graphToken: string;
  fileBytes: number;
  chunkBytes: number;
}): Promise<MemoryResult> {
  const container = BlobServiceClient.fromConnectionString(options.connectionString).getContainerClient(
    tableName('mem').toLowerCase(),
  );
  await container.create();
  await seedLargeBlob(container, `large-${options.fileBytes / MiB}MiB.bin`, options.fileBytes);
  const before = (await options.graph.requests()).length;
  const run = (mode: 'peak' | 'live'): Promise<WorkerAnswer> =>
    runWorker<WorkerAnswer>('memoryWorker.ts', {
      BENCH_CONNECTION_STRING: options.connectionString,
      BENCH_CONTAINER: container.containerName,
      BENCH_CHUNK_BYTES: String(options.chunkBytes),
      BENCH_GRAPH_API: options.graph.apiBaseUrl,
      BENCH_DRIVE_ID: options.driveId,
      BENCH_GRAPH_TOKEN: options.graphToken,
      BENCH_MEM_MODE: mode,
    });
  const result = await run('peak');
  if (result.bytes !== options.fileBytes)
    throw new Error(`memory run uploaded ${result.bytes} bytes, expected ${options.fileBytes}`);
  const graphRequests = (await options.graph.requests()).length - before;
  // A second fresh worker backs the same blob up again (each worker has its own tables, so it is a
  // first run for it too), this time separating what is held from what awaits collection.
  const live = await run('live');
  if (live.bytes !== options.fileBytes)
    throw new Error(`memory live run uploaded ${live.bytes} bytes, expected ${options.fileBytes}`);
  await container.delete();
  return {
    fileBytes: options.fileBytes,
    chunkBytes: options.chunkBytes,
    seconds: result.seconds,
    baseline: result.baseline,
    peak: result.peak,
    livePeak: live.peak,
    after: result.after,
    graphRequests,
  };
}
