// The Graph emulator in a process of its own. It keeps every uploaded file in memory, so running it
// inside the benchmark would add the file's size to the RSS the memory benchmark means to measure.
// Prints one JSON line {baseUrl, controlKey} when listening, then serves until it is killed.
import { GraphEmulator } from '../emulators/graph';
import { testAuthorize } from '../emulators/graph/testing';
import { exitWithParent } from './withParent';

async function main(): Promise<void> {
  exitWithParent();
  const graph = await new GraphEmulator({ authorize: testAuthorize }).start();
  process.stdout.write(
    `${JSON.stringify({ baseUrl: graph.baseUrl, controlKey: graph.server.controlKey })}\n`,
  );
  const stop = (): void => void graph.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
