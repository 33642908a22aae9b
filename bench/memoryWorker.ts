// (2) Child-process entry: backs up one container (one large blob) through the real pipeline and
// reports this process's peak memory, sampled every 10 ms. A process of its own so the figure is the
// worker's alone: Azurite and the Graph emulator (which keep the data) run in other processes, and
// no earlier benchmark's garbage is counted. Prints one JSON line.
import { setLogSink } from '../src/log/logger';
import { benchPipeline, runOnce } from './pipeline';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function main(): Promise<void> {
  setLogSink(() => undefined);
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
  const baseline = process.memoryUsage();
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  const started = process.hrtime.bigint();
  const run = await runOnce(pipeline);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  sample();
  process.stdout.write(
    `${JSON.stringify({
      bytes: run.totals?.uploadedBytes,
      seconds,
      baseline: { rss: baseline.rss, heapUsed: baseline.heapUsed, arrayBuffers: baseline.arrayBuffers },
      peak,
    })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
