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
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setLogSink } from '../src/log/logger';
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
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

const figures = (): Figures => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
};

async function main(): Promise<void> {
  setLogSink(() => undefined);
  const mode = process.env.BENCH_MEM_MODE ?? 'peak';
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
  gc();
  const baseline = figures();
  const peak: Figures = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = (): void => {
    if (mode === 'live') gc();
    const m = figures();
    for (const key of Object.keys(peak) as Array<keyof Figures>) peak[key] = Math.max(peak[key], m[key]);
  };
  const timer = setInterval(sample, mode === 'live' ? 50 : 10);
  const started = process.hrtime.bigint();
  const run = await runOnce(pipeline);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  sample();
  gc();
  // Let the allocator settle: freed chunks go back to the system (or not) asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = figures();
  process.stdout.write(
    `${JSON.stringify({ bytes: run.totals?.uploadedBytes, seconds, baseline, peak, after })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
