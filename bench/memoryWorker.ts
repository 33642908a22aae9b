// (2) Child-process entry: backs up one container (one large blob) through the real pipeline and
// reports this process's peak memory, sampled every 10 ms. A process of its own so the figure is the
// worker's alone: Azurite and the Graph emulator (which keep the data) run in other processes, and
// no earlier benchmark's garbage is counted. Prints one JSON line.
//
// Two modes (BENCH_MEM_MODE):
// - `peak` (default): the run as production runs it; the peak includes garbage not yet collected.
//   V8 collects array buffers only when its heuristics say so (external memory grows by about
//   64 MiB since the last full collection, or the young generation fills), so dead chunks can
//   linger; that is part of what a worker really uses, so it is the headline figure.
// - `live`: the same run, with a full collection forced every 50 ms and the array buffers sampled
//   just after it: what the code still references (the chunks in memory, the HTTP client's
//   buffers). It tells held memory from uncollected garbage; it is slower and never the headline.
// Both report the RSS after the run and a forced collection: the floor the allocator keeps.
// BENCH_CPU_PROFILE=<file> also writes a CPU profile of the run (chrome://inspect reads it): the
// worker is spawned through tsx, where --cpu-prof cannot be passed.
//
// Two targets (BENCH_MEM_TARGET):
// - `pipeline` (default): the real pipeline (scheduler, planner, uploader) into the Graph emulator.
// - `engine`: the uploader's engine alone (uploadFile reading the blob through the blob source, as
//   the uploader wires it) into bench/uploadSink.ts, for files the Graph emulator cannot hold (4 GiB).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_RETRY_POLICY, quickXorAlgorithm, systemClock, uploadFile } from '../src/backup/upload';
import { createLogger, setLogSink } from '../src/log/logger';
import { createBlobSource } from '../src/sources/blobSource';
import { benchPipeline, runOnce } from './pipeline';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

// The worker forces collections itself (before the baseline, after the run, and in `live` mode);
// exposing gc at run time avoids passing a V8 flag through tsx.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

interface Figures {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

const figures = (): Figures => {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
};

/** What the run does, prepared before the baseline is taken; resolves to the bytes uploaded. */
async function prepare(): Promise<() => Promise<number | undefined>> {
  if (process.env.BENCH_MEM_TARGET === 'engine') {
    const source = createBlobSource({
      connectionString: env('BENCH_CONNECTION_STRING'),
      container: env('BENCH_CONTAINER'),
    });
    const [name, size, etag] = [env('BENCH_BLOB'), Number(env('BENCH_SIZE')), env('BENCH_ETAG')];
    return async () => {
      const outcome = await uploadFile(
        {
          target: { apiBaseUrl: env('BENCH_GRAPH_API'), driveId: env('BENCH_DRIVE_ID'), encodedPath: name },
          size,
          read: (offset, count, into) => source.readRange(name, offset, count, etag, into),
          tokens: async () => env('BENCH_GRAPH_TOKEN'),
        },
        {
          chunkBytes: Number(env('BENCH_CHUNK_BYTES')),
          simpleUploadMaxBytes: 4 * 1024 * 1024,
          deadline: Number.MAX_SAFE_INTEGER,
          allowedUploadHosts: ['127.0.0.1'],
          clock: systemClock,
          retry: DEFAULT_RETRY_POLICY,
          hash: quickXorAlgorithm,
          log: createLogger({ bench: 'memory' }),
          requestTimeoutMs: 120_000,
        },
      );
      return outcome.status === 'completed' ? outcome.item.size : undefined;
    };
  }
  const pipeline = await benchPipeline({
    connectionString: env('BENCH_CONNECTION_STRING'),
    container: env('BENCH_CONTAINER'),
    job: { chunkSizeBytes: Number(env('BENCH_CHUNK_BYTES')) },
    destination: async () => ({
      apiBaseUrl: env('BENCH_GRAPH_API'),
      driveId: env('BENCH_DRIVE_ID'),
      rootFolder: '',
      driveType: 'business',
      allowedUploadHosts: ['127.0.0.1'],
      tokens: async () => env('BENCH_GRAPH_TOKEN'),
    }),
  });
  return async () => (await runOnce(pipeline)).totals?.uploadedBytes;
}

async function main(): Promise<void> {
  setLogSink(() => undefined);
  const mode = process.env.BENCH_MEM_MODE ?? 'peak';
  const run = await prepare();
  gc();
  const baseline = figures();
  const peak: Figures = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  // RSS every 10 ms (process.memoryUsage.rss() is one cheap read); the full figures, which walk V8's
  // heap statistics and cost the worker measurable CPU at that rate, every 100 ms.
  // What the process held at the moment of its highest RSS (read whole when a new high arrives, which
  // after the first chunks is rare), so the peak's make-up shows: V8's heap, array buffers, the rest.
  let atPeakRss: Figures = { ...baseline };
  // RSS every 500 ms too (from the full reads), to tell a peak that grows with the file from one
  // that only swings: what is reached late in a long run against what was reached early.
  const series: number[] = [];
  let ticks = 0;
  const sample = (): void => {
    if (mode === 'live') gc();
    let m: Figures | undefined;
    if (mode === 'live' || ticks++ % 10 === 0) {
      m = figures();
      for (const key of Object.keys(peak) as Array<keyof Figures>) peak[key] = Math.max(peak[key], m[key]);
      if (ticks % 50 === 1) series.push(m.rss);
    }
    const rss = m?.rss ?? process.memoryUsage.rss();
    if (rss >= atPeakRss.rss) atPeakRss = m ?? figures();
    peak.rss = Math.max(peak.rss, rss);
  };
  const timer = setInterval(sample, mode === 'live' ? 50 : 10);
  const profileTo = process.env.BENCH_CPU_PROFILE;
  const profiler = profileTo ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const bytes = await run();
  const used = process.cpuUsage(cpu);
  if (profiler && profileTo) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(profileTo, JSON.stringify(profile));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  sample();
  gc();
  // Let the allocator settle: freed chunks go back to the system (or not) asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = figures();
  process.stdout.write(
    `${JSON.stringify({ bytes, seconds, cpuSeconds: (used.user + used.system) / 1e6, baseline, peak, atPeakRss, after, rssSeries: series })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
