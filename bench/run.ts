// `npm run bench`: throughput, memory, request counts and planning speed, printed as a table and
// written to docs/benchmarks.md. Starts its own Azurite and Graph emulator (each in its own process).
// BENCH_ONLY=throughput,memory,requests,planning,crypt picks a subset; BENCH_PLAN_BLOBS sizes planning.
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../emulators/azurite';
import { setLogSink } from '../src/log/logger';
import { describeCrypt, measureCrypt } from './crypt';
import { describeMachine } from './machine';
import { measureMemory } from './memory';
import { driveIdOf, MiB, tableName } from './pipeline';
import { measurePlanning } from './planning';
import { startGraphProcess } from './processes';
import { printTable, writeMarkdown, type Results } from './report';
import { measureRequests } from './requests';
import { measureThroughput } from './throughput';

const GRAPH_TOKEN = 'work'; // a business drive in the emulator's test principals
const CHUNK = 10 * MiB;

function wanted(name: string): boolean {
  const only = process.env.BENCH_ONLY;
  return !only || only.split(',').includes(name);
}

async function main(): Promise<void> {
  // Per-file logs would dominate the console and cost time; the figures are the output.
  setLogSink(() => undefined);
  const results: Results = { machine: describeMachine(), memory: [], requests: [] };
  const azurite = await startAzurite();
  const graph = await startGraphProcess();
  try {
    const driveId = await driveIdOf(graph.apiBaseUrl, GRAPH_TOKEN);
    const step = (what: string): void => console.log(`[bench] ${new Date().toISOString()} ${what}`);

    if (wanted('throughput')) {
      step('upload throughput: engine vs plain PUT, 256 MiB');
      results.throughput = await measureThroughput({
        apiBaseUrl: graph.apiBaseUrl,
        driveId,
        token: GRAPH_TOKEN,
        bytes: 256 * MiB,
        chunkBytes: CHUNK,
        rounds: 3,
      });
    }
    if (wanted('memory')) {
      for (const size of [256 * MiB, 1024 * MiB]) {
        step(`peak memory: ${size / MiB} MiB blob`);
        results.memory.push(
          await measureMemory({
            connectionString: azurite.connectionString,
            graph,
            driveId,
            graphToken: GRAPH_TOKEN,
            fileBytes: size,
            chunkBytes: CHUNK,
          }),
        );
      }
    }
    if (wanted('requests')) {
      step('Graph and Key Vault requests per run');
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
        tableName('req').toLowerCase(),
      );
      await container.create();
      results.requests = await measureRequests({
        connectionString: azurite.connectionString,
        container,
        graph,
        driveId,
        graphToken: GRAPH_TOKEN,
      });
      await container.delete();
    }
    if (wanted('planning')) {
      const target = Number(process.env.BENCH_PLAN_BLOBS ?? 100_000);
      step(`planning: seeding up to ${target} blobs`);
      results.planning = await measurePlanning({
        connectionString: azurite.connectionString,
        graph,
        driveId,
        graphToken: GRAPH_TOKEN,
        target,
        seedConcurrency: 64,
        seedBudgetMs: 5 * 60_000,
      });
    }
    if (wanted('crypt')) step(describeCrypt(await measureCrypt()));
  } finally {
    await graph.stop();
    await azurite.stop();
  }
  printTable(results);
  writeMarkdown(results);
  console.log('\nWrote docs/benchmarks.md');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
