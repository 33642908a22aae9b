// The local host as the benchmark's worker process: the whole function table (HTTP, timers, queue
// pollers with host.json's semantics) over the Azurite and emulator settings the bench passes in
// the environment, as `npm start` runs it against real settings. A process of its own so its CPU
// time (/proc/<pid>/stat) is the worker's alone. Prints one JSON line {url} when it serves.
//
// With BENCH_CPU_PROFILE=<dir>, SIGUSR2 starts a V8 CPU profile and the next SIGUSR2 writes it to
// <dir>/host-<n>.cpuprofile and prints {profiled: path}: the bench profiles one run at a time this
// way (`node --cpu-prof` would cover the process's whole life, warm-up and set-up included).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { startLocalHost } from '../src/local/host';
import { setLogSink } from '../src/log/logger';
import { exitWithParent } from './withParent';

function profileOnSignal(dir: string): void {
  let session: Session | undefined;
  let count = 0;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!session) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        process.stdout.write(`${JSON.stringify({ profiling: true })}\n`);
        return;
      }
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `host-${(count += 1)}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      process.stdout.write(`${JSON.stringify({ profiled: file })}\n`);
    })();
  });
}

async function main(): Promise<void> {
  exitWithParent();
  // Per-file log lines would go to a pipe nobody reads; formatting them is still paid (as in
  // production), writing them is not.
  // BENCH_HOST_LOG=<file> keeps them, to see where a run's time goes.
  const logFile = process.env.BENCH_HOST_LOG;
  setLogSink(logFile ? (line) => appendFileSync(logFile, `${line}\n`) : () => undefined);
  if (process.env.BENCH_CPU_PROFILE) profileOnSignal(process.env.BENCH_CPU_PROFILE);
  const host = await startLocalHost({
    env: process.env,
    port: Number(process.env.LOCAL_HOST_PORT),
    embedded: false,
  });
  process.stdout.write(`${JSON.stringify({ url: host.url })}\n`);
  const stop = (): void => void host.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
