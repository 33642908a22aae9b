// `npm start`: runs the local host until Ctrl-C (SIGINT) or SIGTERM, then stops everything it
// started. Repeated signals while stopping are ignored (a terminal's Ctrl-C reaches every process
// of the group, and npm/tsx forward it again), except that a stop which hangs is cut short.
import { ConfigError } from '../config';
import { banner } from './banner';
import { startLocalHost, type LocalHost } from './host';

const STOP_DEADLINE_MS = 15_000;

async function main(): Promise<void> {
  let host: LocalHost | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local host...`);
    setTimeout(() => {
      console.error(`Stopping took over ${STOP_DEADLINE_MS} ms; exiting anyway.`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    void (host?.stop() ?? Promise.resolve()).then(
      () => {
        console.log('Stopped.');
        process.exitCode = 0;
      },
      (error: unknown) => {
        console.error('Stop failed:', error);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    host = await startLocalHost({ exportEnv: true, eventsByDefault: true });
  } catch (error) {
    console.error(error instanceof ConfigError ? `${error.message}\n\n${error.advice}` : error);
    process.exitCode = 1;
    return;
  }
  if (stopping) {
    // A signal arrived while starting: stop what has just started.
    await host.stop();
    return;
  }
  console.log(banner(host));
}

void main();
