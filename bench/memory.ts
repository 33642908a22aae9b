// (2) Peak memory of the worker backing up one large blob from Azurite with 10 MiB chunks, at two
// file sizes: bounded memory means the peak above the idle baseline is a few chunks and the same
// for both. Each size runs in a fresh worker process (bench/memoryWorker.ts).
import { BlobServiceClient } from '@azure/storage-blob';
import type { GraphProcess } from './processes';
import { runWorker } from './processes';
import { MiB, tableName } from './pipeline';
import { seedLargeBlob } from './seed';

interface MemoryFigures {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

export interface MemoryResult {
  fileBytes: number;
  chunkBytes: number;
  seconds: number;
  baseline: MemoryFigures;
  peak: MemoryFigures & { external: number };
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
  const result = await runWorker<{
    bytes: number;
    seconds: number;
    baseline: MemoryFigures;
    peak: MemoryResult['peak'];
  }>('memoryWorker.ts', {
    BENCH_CONNECTION_STRING: options.connectionString,
    BENCH_CONTAINER: container.containerName,
    BENCH_CHUNK_BYTES: String(options.chunkBytes),
    BENCH_GRAPH_API: options.graph.apiBaseUrl,
    BENCH_DRIVE_ID: options.driveId,
    BENCH_GRAPH_TOKEN: options.graphToken,
  });
  if (result.bytes !== options.fileBytes)
    throw new Error(`memory run uploaded ${result.bytes} bytes, expected ${options.fileBytes}`);
  const graphRequests = (await options.graph.requests()).length - before;
  await container.delete();
  return { fileBytes: options.fileBytes, chunkBytes: options.chunkBytes, ...result, graphRequests };
}
