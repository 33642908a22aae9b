// `npm run bench`: every bench part in turn, printed as a table and written to docs/benchmarks.md
// (with its chart). Starts its own Azurite and Graph emulator (each in its own process) for the
// parts that share them; the rclone comparison starts its own world (bench/rclone/compare.ts).
// BENCH_ONLY=hash,throughput,memory,requests,planning,smallfiles,events,crypt,crash,rclone picks a subset;
// BENCH_PLAN_BLOBS (100000) and BENCH_PLAN_MANIFEST_BLOBS (10000) size planning; BENCH_MEM_ENGINE_MIB (256,4096) and BENCH_MEM_RUNS (3) the engine
// memory runs; the comparison's settings are in docs/benchmarks.md (Reproduce).
//
// A part is one entry of PARTS: a name for BENCH_ONLY and a function that measures and stores its
// result (and any goal figure, see goals.ts) in `results`. Adding a part is adding an entry.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteInstance } from '../emulators/azurite';
import { setLogSink } from '../src/log/logger';
import { createBlobSource } from '../src/sources/blobSource';
import { describeMachine } from './machine';
import { measureCrashResume } from './crashResume';
import { describeCrypt, measureCrypt } from './crypt';
import { measureEvents, writeEventsSection } from './events';
import { measureHash } from './hash';
import { measureEngineMemory, measureMemory } from './memory';
import { driveIdOf, MiB, tableName } from './pipeline';
import { listingAlone, measurePlanning, type PlanningListing, type PlanningResult } from './planning';
import { startGraphProcess, type GraphProcess } from './processes';
import { comparisonOptionsFromEnv, measureRcloneComparison } from './rclone/compare';
import { printTable, RESULTS_FILE, writeMarkdown, type Results } from './report';
import { measureRequests } from './requests';
import { blobsOnDisk, seedManyBlobs } from './seed';
import { measureSmallFiles } from './smallFiles';
import { measureThroughput } from './throughput';

const GRAPH_TOKEN = 'work'; // a business drive in the emulator's test principals
const CHUNK = 10 * MiB;

/** What the shared parts get: the bench's Azurite and Graph emulator, and a progress line. */
interface BenchContext {
  azurite: AzuriteInstance;
  graph: GraphProcess;
  driveId: string;
  graphToken: string;
  step(what: string): void;
}

interface Part {
  name: string;
  run(ctx: BenchContext, results: Results): Promise<void>;
}

/**
 * The largest container whose manifest the planning part writes: Azurite's cost per Table row grows
 * with the rows already in the partition (about 46 s for 10,000 rows, 200 s for 20,000).
 */
const MANIFEST_PASS_MAX_BLOBS = 20_000;

/**
 * The planning part on an Azurite of its own, a process per service (emulators/azurite.ts says why):
 * planning lists blobs while it sends queue messages and writes Table rows, and the real services
 * never share a CPU. BENCH_PLAN_AZURITE=shared measures it on the bench's one-process Azurite
 * instead, seeded through Put Blob (capped at 5 minutes).
 */
async function planningAt(ctx: BenchContext, target: number, manifestPass: boolean): Promise<PlanningResult> {
  const container = tableName('plan').toLowerCase();
  const seeded =
    process.env.BENCH_PLAN_AZURITE === 'shared'
      ? await sharedAzuriteWithBlobs(ctx, container, target)
      : await ownAzuriteWithBlobs(ctx, container, target);
  try {
    const measuredPlanning = await measurePlanning({
      container,
      target,
      manifestPass,
      graph: ctx.graph,
      driveId: ctx.driveId,
      graphToken: ctx.graphToken,
      blobs: seeded.blobs,
      seedSeconds: seeded.seedSeconds,
      connectionString: seeded.azurite.connectionString,
      azuritePids: seeded.azurite.pids,
      azuriteLayout: seeded.layout,
    });
    return { ...measuredPlanning, ...seeded.tuning };
  } finally {
    await seeded.release();
  }
}

interface SeededPlanning {
  azurite: AzuriteInstance;
  blobs: number;
  seedSeconds: number;
  layout: 'one process' | 'a process per service';
  /** How its Azurite was started when not at Node's defaults, and the listing at the defaults. */
  tuning?: Pick<PlanningResult, 'azuriteYoungGenerationMiB' | 'listingAtDefaults'>;
  /** Gives back what seeding took: the container, or the Azurite started for it. */
  release(): Promise<void>;
}

/**
 * Each planning Azurite process's young generation, MiB a semi-space (AzuriteOptions says why).
 * The listing alone is measured at Node's default as well, so the page shows both ceilings.
 */
const PLANNING_AZURITE_YOUNG_MIB = 64;

async function ownAzuriteWithBlobs(
  ctx: BenchContext,
  container: string,
  target: number,
): Promise<SeededPlanning> {
  ctx.step(`planning: ${target} blobs`);
  const disk = await blobsOnDisk(container, target);
  try {
    const atDefaults = await disk.start();
    let listingAtDefaults: PlanningListing;
    try {
      const source = createBlobSource({ connectionString: atDefaults.connectionString, container });
      listingAtDefaults = await listingAlone(source, disk.blobs, atDefaults.pids);
    } finally {
      await atDefaults.stop();
    }
    ctx.step(`planning: listing alone, Azurite at Node's defaults ${JSON.stringify(listingAtDefaults)}`);
    const azurite = await disk.start({ youngGenerationMiB: PLANNING_AZURITE_YOUNG_MIB });
    return {
      azurite,
      blobs: disk.blobs,
      seedSeconds: disk.seedSeconds,
      layout: 'a process per service',
      tuning: { azuriteYoungGenerationMiB: PLANNING_AZURITE_YOUNG_MIB, listingAtDefaults },
      release: () => disk.remove(),
    };
  } catch (error) {
    await disk.remove();
    throw error;
  }
}

async function sharedAzuriteWithBlobs(
  ctx: BenchContext,
  container: string,
  target: number,
): Promise<SeededPlanning> {
  ctx.step(`planning: seeding up to ${target} blobs through Put Blob`);
  const client = BlobServiceClient.fromConnectionString(ctx.azurite.connectionString).getContainerClient(
    container,
  );
  await client.create();
  const seedStart = Date.now();
  const blobs = await seedManyBlobs(client, target, 64, seedStart + 5 * 60_000);
  return {
    azurite: ctx.azurite,
    blobs,
    seedSeconds: (Date.now() - seedStart) / 1000,
    layout: 'one process',
    release: async () => void (await client.delete()),
  };
}

const PARTS: Part[] = [
  {
    name: 'hash',
    run: async (ctx, results) => {
      ctx.step('quickXorHash alone, 10 MiB updates');
      results.hash = measureHash({ chunkBytes: CHUNK, totalBytes: 512 * MiB, rounds: 3 });
    },
  },
  {
    name: 'throughput',
    run: async (ctx, results) => {
      ctx.step('upload throughput: engine vs plain PUT, 256 MiB');
      results.throughput = await measureThroughput({
        apiBaseUrl: ctx.graph.apiBaseUrl,
        graphPid: ctx.graph.pid,
        driveId: ctx.driveId,
        token: ctx.graphToken,
        bytes: 256 * MiB,
        chunkBytes: CHUNK,
        // Five: both sides are bound by the Graph emulator's core, so one round swings by 10 % or more.
        rounds: Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 5),
      });
    },
  },
  {
    name: 'memory',
    run: async (ctx, results) => {
      ctx.step('peak memory, full pipeline: 256 MiB blob');
      results.memory.push(
        await measureMemory({
          connectionString: ctx.azurite.connectionString,
          graph: ctx.graph,
          driveId: ctx.driveId,
          graphToken: ctx.graphToken,
          fileBytes: 256 * MiB,
          chunkBytes: CHUNK,
        }),
      );
      const sizes = (process.env.BENCH_MEM_ENGINE_MIB ?? '256,4096').split(',').map((n) => Number(n) * MiB);
      for (const size of sizes) {
        ctx.step(`peak memory, upload engine: ${size / MiB} MiB blob`);
        results.memory.push(
          await measureEngineMemory({
            connectionString: ctx.azurite.connectionString,
            fileBytes: size,
            chunkBytes: CHUNK,
            runs: Math.max(1, Number(process.env.BENCH_MEM_RUNS ?? 3)),
          }),
        );
      }
    },
  },
  {
    name: 'requests',
    run: async (ctx, results) => {
      ctx.step('Graph and Key Vault requests per run');
      const container = BlobServiceClient.fromConnectionString(
        ctx.azurite.connectionString,
      ).getContainerClient(tableName('req').toLowerCase());
      await container.create();
      results.requests = await measureRequests({
        connectionString: ctx.azurite.connectionString,
        container,
        graph: ctx.graph,
        driveId: ctx.driveId,
        graphToken: ctx.graphToken,
      });
      await container.delete();
    },
  },
  {
    name: 'planning',
    run: async (ctx, results) => {
      // The issue's container: 100,000 blobs by default, seeded into Azurite's metadata (bench/seed.ts
      // says why not through Put Blob).
      const target = Number(process.env.BENCH_PLAN_BLOBS ?? 100_000);
      results.planning = await planningAt(ctx, target, target <= MANIFEST_PASS_MAX_BLOBS);
      // The rerun after a run with a failure needs the manifest of every blob first, which a larger
      // container makes Azurite too slow to write: measured on a container of its own.
      const manifestBlobs = Number(process.env.BENCH_PLAN_MANIFEST_BLOBS ?? 10_000);
      if (target > MANIFEST_PASS_MAX_BLOBS && manifestBlobs > 0)
        results.planningManifest = await planningAt(
          ctx,
          Math.min(manifestBlobs, MANIFEST_PASS_MAX_BLOBS),
          true,
        );
    },
  },
  {
    name: 'smallfiles',
    run: async (ctx, results) => {
      ctx.step('storage transactions per small file, first run and unchanged rerun');
      const measured = await measureSmallFiles({
        azurite: ctx.azurite,
        graph: ctx.graph,
        driveId: ctx.driveId,
        graphToken: ctx.graphToken,
        files: Number(process.env.BENCH_SMALL_FILES ?? 1000),
        fileBytes: 4096,
      });
      results.smallFiles = measured.passes;
      results.smallFilesRerun = measured.rerun;
    },
  },
  {
    name: 'events',
    run: async (ctx, results) => {
      ctx.step('event-driven backups: 200 blobs, write to verified copy');
      results.events = await measureEvents({
        connectionString: ctx.azurite.connectionString,
        graph: ctx.graph,
        graphToken: ctx.graphToken,
      });
    },
  },
  {
    name: 'crypt',
    run: async (ctx, results) => {
      ctx.step('rclone crypt: encrypt and decrypt throughput alone');
      results.crypt = await measureCrypt();
      ctx.step(describeCrypt(results.crypt));
    },
  },
  {
    name: 'crash',
    run: async (ctx, results) => {
      ctx.step('crash resume: the soak with five host kills, 10 MiB chunks');
      results.crash = await measureCrashResume((line) => ctx.step(`crash: ${line}`));
    },
  },
  {
    name: 'rclone',
    run: async (ctx, results) => {
      const options = comparisonOptionsFromEnv();
      ctx.step(
        `product vs rclone: ${options.rounds} rounds; large ${options.largeBytes.map((b) => `${b / MiB} MiB`).join(' + ')}; ${options.smallFiles} small blobs`,
      );
      results.rclone = await measureRcloneComparison({ ...options, progress: ctx.step });
    },
  },
];

function wanted(name: string): boolean {
  const only = process.env.BENCH_ONLY;
  return !only || only.split(',').includes(name);
}

async function main(): Promise<void> {
  // Per-file logs would dominate the console and cost time; the figures are the output.
  setLogSink(() => undefined);
  const unknown = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .filter((n) => n && !PARTS.some((p) => p.name === n));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')}`);
  const results: Results = { machine: describeMachine(), memory: [], requests: [], goals: {} };
  const azurite = await startAzurite();
  const graph = await startGraphProcess();
  try {
    const ctx: BenchContext = {
      azurite,
      graph,
      driveId: await driveIdOf(graph.apiBaseUrl, GRAPH_TOKEN),
      graphToken: GRAPH_TOKEN,
      step: (what) => console.log(`[bench] ${new Date().toISOString()} ${what}`),
    };
    for (const part of PARTS) if (wanted(part.name)) await part.run(ctx, results);
  } finally {
    await graph.stop();
    await azurite.stop();
  }
  printTable(results);
  // The raw results too, so the page can be written again (bench/rewrite.ts) after a change to the
  // report alone, without measuring again.
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  writeMarkdown(results);
  if (results.events) writeEventsSection(results.events);
  console.log(`\nWrote docs/benchmarks.md (results in ${path.relative(process.cwd(), RESULTS_FILE)})`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
