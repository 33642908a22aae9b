// The local host as the benchmark's worker process: the whole function table (HTTP, timers, queue
// pollers with host.json's semantics) over the Azurite and emulator settings the bench passes in
// the environment, as `npm start` runs it against real settings. A process of its own so its CPU
// time (/proc/<pid>/stat) is the worker's alone. Prints one JSON line {url} when it serves.
import { appendFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { startLocalHost } from '../src/local/host';
import { setLogSink } from '../src/log/logger';
import { exitWithParent } from './withParent';

async function main(): Promise<void> {
  exitWithParent();
  // Per-file log lines would go to a pipe nobody reads; formatting them is still paid (as in
  // production), writing them is not.
  // BENCH_HOST_LOG=<file> keeps them, to see where a run's time goes.
  const logFile = process.env.BENCH_HOST_LOG;
  setLogSink(logFile ? (line) => appendFileSync(logFile, `${line}\n`) : () => undefined);
  // BENCH_HOST_CPU_PROFILE=<file> writes a V8 CPU profile of the host's whole life when it stops
  // (the child is spawned through tsx, where --cpu-prof cannot be passed).
  const profileTo = process.env.BENCH_HOST_CPU_PROFILE;
  const profiler = profileTo ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const host = await startLocalHost({
    env: process.env,
    port: Number(process.env.LOCAL_HOST_PORT),
    embedded: false,
  });
  process.stdout.write(`${JSON.stringify({ url: host.url })}\n`);
  const stop = (): void =>
    void host
      .stop()
      .then(async () => {
        if (!profiler || !profileTo) return;
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(profileTo, JSON.stringify(profile));
      })
      .finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
