// (3) Planning rate: a container of many blobs planned through the real planner over real Azurite
// queues and tables, 5,000 blobs per page (the service's listing limit). First run: no blob is
// known, so every one becomes part of an upload task, sent to the real upload queue (the tasks are
// counted there and not run: this measures planning only). Unchanged rerun: the first run's page
// digests are recorded as its successful end records them (src/backup/plannedDigests.ts), so no
// blob becomes a task and no page is compared with the manifest. The rerun after a run with a
// failure (no digest recorded) runs too when asked: the manifest then holds every blob as the
// uploader would have recorded it, and the rerun queries it for every page (and records the
// digests). The container comes seeded (bench/seed.ts); seeding is not timed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { finishRun } from '../src/backup/completion';
import { startRun } from '../src/backup/scheduler';
import type { BlobSource } from '../src/sources/types';
import type { ManifestEntry } from '../src/store/manifest';
import { EMPTY_TOTALS } from '../src/store/runs';
import { benchPipeline, type BenchPipeline } from './pipeline';
import { drainPlanQueue, useRealQueues, type RealQueues } from './realQueues';

export interface PlanningPass {
  seconds: number;
  blobsPerSecond: number;
  pages: number;
  /** Upload queue messages the pass left (each one file, or a batch of small files). */
  uploadTasks: number;
  /** Peak RSS of this process during the pass, MiB (garbage not yet collected included). */
  peakRssMiB: number;
  /**
   * The JavaScript heap still in use after a full collection at the pass's end, MiB: what the
   * planner holds on to. It stays flat from 10,000 to 100,000 blobs when memory is bounded per page.
   */
  liveHeapMiB?: number;
  /** CPU seconds of the worker (this process) and of Azurite during the pass: load-independent. */
  workerCpuSeconds: number;
  azuriteCpuSeconds?: number;
  /** With a process per service: Blob, Queue, Table. */
  azuriteCpuByProcess?: number[];
}

/** A listing of the whole container, timed as a pass is. */
export type PlanningListing = Omit<PlanningPass, 'pages' | 'uploadTasks'>;

/** User + system CPU seconds of another process (Linux /proc), undefined elsewhere. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the command), in ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export interface PlanningResult {
  target: number;
  /** How the Azurite it ran on was laid out (absent in results written before it was recorded). */
  azuriteLayout?: 'one process' | 'a process per service';
  blobs: number;
  seedSeconds: number;
  seedCapped: boolean;
  pages: number;
  uploadTasks: number;
  seconds: number;
  blobsPerSecond: number;
  /** The container listed through the product's source and nothing else (after one untimed listing). */
  listing?: PlanningListing;
  /**
   * Each Azurite process's young generation, MiB a semi-space, when the part set one
   * (AzuriteOptions.youngGenerationMiB); absent: Node's default.
   */
  azuriteYoungGenerationMiB?: number;
  /** With azuriteYoungGenerationMiB: the same listing on the same blobs, Azurite at Node's default. */
  listingAtDefaults?: PlanningListing;
  first: PlanningPass;
  /**
   * An unchanged rerun with no page digest recorded (after a run with a failure): it queries the
   * manifest. Absent when not asked for: its manifest, one Table row per blob in one partition,
   * costs Azurite more per row the more the partition holds (about 46 s for 10,000, 200 s for 20,000).
   */
  firstRerun?: PlanningPass;
  /** The unchanged rerun after the first run succeeded: every page's digest matches, no manifest query. */
  rerun: PlanningPass;
}

/**
 * With BENCH_CPU_PROFILE=<dir>, a V8 CPU profile of just this pass (what `node --cpu-prof` writes,
 * but without the seeding around it), for chrome://inspect or a script that sums self time.
 */
async function profiled<T>(label: string, work: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return work();
  const session = new Session();
  session.connect();
  const post = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `planning-${label}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * A full garbage collection without starting node with --expose-gc: the flag set at run time is
 * picked up by a fresh context, whose global `gc` then collects this isolate's whole heap.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Wall time, peak RSS and CPU (this process's and Azurite's) of `work`, with `blobs` for the rate. */
async function measured(
  blobs: number,
  azuritePids: number[],
  work: () => Promise<void>,
): Promise<PlanningListing> {
  const cpu = process.cpuUsage();
  const azuriteBefore = azuritePids.map(cpuSecondsOf);
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const started = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  collectGarbage();
  const liveHeapMiB = process.memoryUsage().heapUsed / 1024 / 1024;
  const azuriteAfter = azuritePids.map(cpuSecondsOf);
  const azuriteUsed = azuriteAfter.map((after, i) =>
    after !== undefined && azuriteBefore[i] !== undefined ? after - azuriteBefore[i] : undefined,
  );
  // Every process's CPU read, or none reported (not a sum missing one).
  const known = azuriteUsed.every((used) => used !== undefined) ? (azuriteUsed as number[]) : undefined;
  return {
    seconds,
    blobsPerSecond: blobs / seconds,
    peakRssMiB: peak / 1024 / 1024,
    liveHeapMiB,
    workerCpuSeconds: (used.user + used.system) / 1e6,
    ...(known && { azuriteCpuSeconds: known.reduce((sum, used) => sum + used, 0) }),
    ...(known && known.length > 1 && { azuriteCpuByProcess: known }),
  };
}

async function pass(
  p: BenchPipeline,
  q: RealQueues,
  blobs: number,
  azuritePids: number[],
): Promise<PlanningPass> {
  const before = q.handled.plan;
  const figures = await measured(blobs, azuritePids, async () => {
    await startRun(p.deps, p.job.id, 'manual');
    await drainPlanQueue(p, q);
  });
  const { approximateMessagesCount } = await q.upload.getProperties();
  return { ...figures, pages: q.handled.plan - before, uploadTasks: approximateMessagesCount ?? 0 };
}

async function listAll(source: Pick<BlobSource, 'listPage'>): Promise<void> {
  let token: string | undefined;
  do token = (await source.listPage(token, 5000)).continuationToken;
  while (token);
}

/**
 * What the source alone can be listed at (the product's listing, nothing else): the ceiling the
 * planner's passes are read against. One untimed listing first, as the rclone comparison runs each
 * side once untimed: Azurite's first List Blobs in a process costs it about a third more CPU (its
 * code not yet compiled), which a long-running storage service never pays, and the worker's
 * listing code warms the same way a function instance's does on its first page.
 */
export async function listingAlone(
  source: Pick<BlobSource, 'listPage'>,
  blobs: number,
  azuritePids: number[],
): Promise<PlanningListing> {
  await listAll(source);
  return measured(blobs, azuritePids, () => listAll(source));
}

/**
 * What the uploader would have recorded for every blob (without running it), so the next run is an
 * unchanged rerun. Written in 100-row transactions.
 */
async function recordAllUploaded(p: BenchPipeline): Promise<void> {
  const source = p.deps.source(p.job);
  let token: string | undefined;
  const now = new Date().toISOString();
  do {
    const page = await source.listPage(token, 5000);
    const entries: ManifestEntry[] = page.items.map((item) => ({
      blobName: item.name,
      etag: item.etag,
      size: item.size,
      contentMd5: item.contentMd5,
      lastModified: item.lastModified.toISOString(),
      driveItemId: `bench-${item.name}`,
      drivePath: `Bench/${item.name}`,
      quickXorHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      uploadedAt: now,
      facts: item.facts,
    }));
    await p.deps.manifest.putMany(p.job.id, entries);
    token = page.continuationToken;
  } while (token);
}

export async function measurePlanning(options: {
  connectionString: string;
  /** The container, already seeded with `blobs` tiny blobs in `seedSeconds`. */
  container: string;
  blobs: number;
  target: number;
  seedSeconds: number;
  /** The Graph emulator: the planner reads the drive's quota once per page with uploads. */
  graph: { apiBaseUrl: string };
  driveId: string;
  graphToken: string;
  /** Also the rerun after a run with a failure, which needs the manifest written first. */
  manifestPass: boolean;
  /** Azurite's processes (one, or Blob, Queue and Table), to read their CPU time. */
  azuritePids: number[];
  azuriteLayout: 'one process' | 'a process per service';
}): Promise<PlanningResult> {
  const { blobs, seedSeconds } = options;
  const say = (what: string): void => console.log(`[bench] ${new Date().toISOString()} planning: ${what}`);
  say(`${blobs} blobs, seeded in ${seedSeconds.toFixed(0)} s`);

  const pipeline = await benchPipeline({
    connectionString: options.connectionString,
    container: options.container,
    plannerPageSize: 5000,
    destination: async () => ({
      apiBaseUrl: options.graph.apiBaseUrl,
      driveId: options.driveId,
      rootFolder: '',
      driveType: 'business',
      allowedUploadHosts: ['127.0.0.1'],
      tokens: async () => options.graphToken,
    }),
  });
  const queues = await useRealQueues(pipeline, options.connectionString);
  const listing = await listingAlone(pipeline.deps.source(pipeline.job), blobs, options.azuritePids);
  say(`listing alone ${JSON.stringify(listing)}`);
  const first = await profiled('first', () => pass(pipeline, queues, blobs, options.azuritePids));
  say(`first run ${JSON.stringify(first)}`);
  await queues.upload.clearMessages();
  const firstRun = (await pipeline.deps.runs.listForJob(pipeline.job.id, 1))[0];
  if (options.manifestPass) await recordAllUploaded(pipeline);
  // The first run's end as it is when every upload succeeded (finishRun): the page digests its
  // planner kept recorded, its run index written, the job released.
  const firstRow = (await pipeline.deps.runs.get(pipeline.job.id, firstRun.id))!;
  const planned = { ...EMPTY_TOTALS, plannedFiles: blobs, uploadedFiles: blobs };
  const ended = await finishRun(pipeline.deps, firstRow.value, firstRow.etag, planned, 'succeeded');
  if (ended !== 'succeeded') throw new Error(`the first run could not be finished (${ended})`);
  const rerun = await profiled('rerun', () => pass(pipeline, queues, blobs, options.azuritePids));
  say(`unchanged rerun, page digests ${JSON.stringify(rerun)}`);
  const firstRerun = options.manifestPass
    ? await rerunAfterFailure(pipeline, queues, firstRun.id, first.pages, blobs, options.azuritePids)
    : undefined;
  if (firstRerun) say(`unchanged rerun, manifest queried ${JSON.stringify(firstRerun)}`);
  return {
    target: options.target,
    azuriteLayout: options.azuriteLayout,
    blobs,
    seedSeconds,
    seedCapped: blobs < options.target,
    pages: first.pages,
    uploadTasks: first.uploadTasks,
    seconds: first.seconds,
    blobsPerSecond: first.blobsPerSecond,
    listing,
    first,
    ...(firstRerun && { firstRerun }),
    rerun,
  };
}

/** As after a run with a failure: no page digest that matches, so every page is compared with the manifest. */
async function rerunAfterFailure(
  pipeline: BenchPipeline,
  queues: RealQueues,
  firstRunId: string,
  pages: number,
  blobs: number,
  azuritePids: number[],
): Promise<PlanningPass> {
  const positions = await pipeline.deps.runs.pendingDigests(firstRunId);
  if (positions.length !== pages) throw new Error(`the first run kept ${positions.length} page digests`);
  await pipeline.deps.manifest.recordPageDigests(
    pipeline.job.id,
    positions.map(({ tokenHash }) => ({ position: tokenHash, digest: 'none' })),
  );
  return profiled('rerun-query', () => pass(pipeline, queues, blobs, azuritePids));
}
