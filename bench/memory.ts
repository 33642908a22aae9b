// (2) Peak memory of the worker backing up one large blob from Azurite with 10 MiB chunks, at two
// file sizes: bounded memory means the peak above the idle baseline is a few chunks and the same
// for both. Each size runs in a fresh worker process (bench/memoryWorker.ts), twice: once as
// production runs it (the headline peak) and once with collections forced, to tell what the
// engine holds from garbage V8 has not collected yet.
//
// measureEngineMemory does the same for files too large for the emulators to hold (4 GiB): the
// uploader's engine alone reads a blob Azurite stores as a few repeated blocks (bench/seed.ts) and
// sends it to a sink that hashes and drops what it receives (bench/uploadSink.ts). Both sizes of
// that comparison go the same way, so the two peaks differ only by the file's size. A peak is the
// maximum of a quantity that swings by tens of MiB as V8 collects the download's socket pieces, and
// a fresh process's idle RSS itself varies by several MiB, so one run per size can differ by more
// than the bound it checks: each size runs in several fresh workers and the median run counts.
import { BlobServiceClient } from '@azure/storage-blob';
import type { GraphProcess } from './processes';
import { runWorker } from './processes';
import { MiB, tableName } from './pipeline';
import { seedLargeBlob, seedRepeatedBlob } from './seed';
import { startUploadSink } from './uploadSink';

export interface MemoryFigures {
  rss: number;
  /** V8's heap as reserved (older results lack it). */
  heapTotal?: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** What one worker measured of its run. */
interface RunMemory {
  seconds: number;
  cpuSeconds: number;
  baseline: MemoryFigures;
  peak: MemoryFigures;
  atPeakRss?: MemoryFigures;
  after: MemoryFigures;
}

interface WorkerAnswer extends RunMemory {
  bytes: number;
  /** RSS every 500 ms of the run. */
  rssSeries?: number[];
}

/** One fresh worker's figures (the engine runs keep each, the median one is the result's). */
export interface MemoryRun extends RunMemory {
  /** Highest RSS in the last quarter of the run minus the highest in its second quarter (≥ 8 samples). */
  lateRssGrowth?: number;
}

export interface MemoryResult {
  /** `pipeline`: the whole backup into the Graph emulator; `engine`: the upload engine into the sink. */
  target: 'pipeline' | 'engine';
  fileBytes: number;
  chunkBytes: number;
  seconds: number;
  /** The worker's CPU time (user + system) for the run. */
  cpuSeconds: number;
  /** After start-up and a forced collection, just before the run. */
  baseline: MemoryFigures;
  /** The run as production runs it: live data plus garbage V8 has not collected yet. */
  peak: MemoryFigures;
  /** The same run with a collection forced every 50 ms: what the code still references (pipeline only). */
  livePeak?: MemoryFigures;
  /** After the run and a forced collection: what the process keeps (the allocator's floor). */
  after: MemoryFigures;
  /** The figures at the moment RSS peaked (the peak's make-up; the `peak` fields are each one's own maximum). */
  atPeakRss?: MemoryFigures;
  /** Highest RSS in the last quarter of the run minus the highest in its second quarter: near 0 when nothing grows with the file. */
  lateRssGrowth?: number;
  /** Every run of this size (engine only), the median of which the fields above come from. */
  runs?: MemoryRun[];
  /** Graph requests of the run (pipeline only: the sink does not count). */
  graphRequests?: number;
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
    target: 'pipeline',
    fileBytes: options.fileBytes,
    chunkBytes: options.chunkBytes,
    seconds: result.seconds,
    cpuSeconds: result.cpuSeconds,
    baseline: result.baseline,
    peak: result.peak,
    atPeakRss: result.atPeakRss,
    livePeak: live.peak,
    after: result.after,
    graphRequests,
  };
}

export async function measureEngineMemory(options: {
  connectionString: string;
  fileBytes: number;
  chunkBytes: number;
  /** Fresh workers per size; the run with the median peak RSS is the result. */
  runs?: number;
}): Promise<MemoryResult> {
  const container = BlobServiceClient.fromConnectionString(options.connectionString).getContainerClient(
    tableName('memeng').toLowerCase(),
  );
  await container.create();
  const name = `large-${options.fileBytes / MiB}MiB.bin`;
  const etag = await seedRepeatedBlob(container, name, options.fileBytes);
  const sink = await startUploadSink();
  try {
    const runs: MemoryRun[] = [];
    for (let i = 0; i < Math.max(1, options.runs ?? 1); i += 1) {
      const completedBefore = sink.completed;
      const result = await runWorker<WorkerAnswer>('memoryWorker.ts', {
        BENCH_MEM_TARGET: 'engine',
        BENCH_MEM_MODE: 'peak',
        BENCH_CONNECTION_STRING: options.connectionString,
        BENCH_CONTAINER: container.containerName,
        BENCH_BLOB: name,
        BENCH_SIZE: String(options.fileBytes),
        BENCH_ETAG: etag,
        BENCH_CHUNK_BYTES: String(options.chunkBytes),
        BENCH_GRAPH_API: sink.apiBaseUrl,
        BENCH_DRIVE_ID: sink.driveId,
        BENCH_GRAPH_TOKEN: 'unused',
      });
      if (result.bytes !== options.fileBytes || sink.completed !== completedBefore + 1)
        throw new Error(`engine memory run uploaded ${result.bytes} bytes, expected ${options.fileBytes}`);
      const { seconds, cpuSeconds, baseline, peak, atPeakRss, after } = result;
      runs.push({
        seconds,
        cpuSeconds,
        baseline,
        peak,
        atPeakRss,
        after,
        lateRssGrowth: lateGrowth(result.rssSeries),
      });
    }
    const median = [...runs].sort((a, b) => a.peak.rss - b.peak.rss)[Math.floor((runs.length - 1) / 2)];
    return {
      target: 'engine',
      fileBytes: options.fileBytes,
      chunkBytes: options.chunkBytes,
      ...median,
      runs,
    };
  } finally {
    await sink.stop();
    await container.delete();
  }
}

/**
 * The highest RSS of a run's last quarter minus that of its second (the first is warm-up: the pool's
 * two chunks, TLS, the heap growing to its working size). A peak that only swings gives about 0; one
 * that grows with the bytes sent gives the growth over half the file. Needs 8 samples (4 s).
 */
export function lateGrowth(series: number[] | undefined): number | undefined {
  if (!series || series.length < 8) return undefined;
  const q = Math.floor(series.length / 4);
  return Math.max(...series.slice(series.length - q)) - Math.max(...series.slice(q, 2 * q));
}
