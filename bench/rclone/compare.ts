// The product against rclone on the same jobs, on this machine: the same Azurite containers copied
// into the same Graph emulator drive, runs alternating between the two (which one goes first
// alternates too, so a drift in the machine's load falls on both), medians of N rounds.
//
// The product is the real pipeline: the local host (bench/hostChild.ts) in a process of its own,
// with the whole function table, its queue pollers on Azurite's queues, its tables, Key Vault and a
// connection signed in through the identity emulator; a run is started with the admin API's run-now.
// Its worker CPU is that process's (/proc). rclone 1.60 copies with its defaults (4 transfers),
// through the TLS front (front.ts); its CPU is its own user + system time.
//
// Jobs: (a) large blobs (default 256 MiB + 1 GiB, 10 MiB chunks), (b) many small blobs of
// 4 KiB–1 MiB (log-uniform), (c) an unchanged rerun of (b): the product's next run of the same job,
// rclone's `copy --size-only` into the same folder.
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { freePort } from '../../emulators/azurite';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../../emulators/identity';
import { seeded } from '../../emulators/shared/faults';
import { SETTINGS } from '../../src/config/settings';
import { seedClientSecret } from '../../src/local/seed';
import { RUNS_TABLE } from '../../src/store/runs';
import {
  cpuSeconds,
  startCountingAzurite,
  startEmulatorsProcess,
  startHostProcess,
  type CountedAzurite,
  type EmulatorsProcess,
  type HostProcess,
} from '../processes';
import { MiB } from '../pipeline';
import { seedLargeBlob } from '../seed';
import { startTlsFront, type TlsFront } from './front';
import {
  DRIVE_REMOTE,
  findRclone,
  rcloneVersion,
  runRclone,
  setupRclone,
  SOURCE_REMOTE,
  type RcloneSetup,
} from './rclone';

export type JobKind = 'large' | 'small' | 'rerun';

/** One run of one side. */
export interface RunFigures {
  seconds: number;
  files: number;
  bytes: number;
  mibPerSecond: number;
  /** The product's worker process, or the rclone process: user + system CPU seconds. */
  workerCpuSeconds?: number;
  azuriteCpuSeconds?: number;
  graphRequests: number;
  /** Requests Azurite logged (blob, queue and table together). */
  storageRequests: number;
}

export interface SideFigures {
  runs: RunFigures[];
  /** Each figure's median over the runs (taken figure by figure). */
  median: RunFigures;
}

export interface JobComparison {
  kind: JobKind;
  label: string;
  product: SideFigures;
  rclone?: SideFigures;
  /** Product ÷ rclone, of the medians. */
  ratios?: Partial<Record<keyof RunFigures, number>>;
}

export interface RcloneComparison {
  /** rclone's version line, or undefined when no binary was found. */
  rclone?: string;
  /** Why rclone was not measured. */
  skipped?: string;
  rounds: number;
  largeBytes: number[];
  chunkBytes: number;
  smallFiles: number;
  smallBytes: number;
  jobs: JobComparison[];
  /** 1-minute load average when the comparison started and when it ended. */
  loadAverage: number[];
  /** What the TLS front forwarded for rclone (and how many Authorization headers it removed). */
  front?: TlsFront['stats'];
}

export interface ComparisonOptions {
  rounds: number;
  largeBytes: number[];
  chunkBytes: number;
  smallFiles: number;
  /** Ignore an rclone binary (measure the product only). */
  withoutRclone?: boolean;
  progress?: (line: string) => void;
}

/** Options from the environment: BENCH_ROUNDS, BENCH_RCLONE_LARGE_MIB, BENCH_RCLONE_SMALL_FILES. */
export function comparisonOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ComparisonOptions {
  const large = (env.BENCH_RCLONE_LARGE_MIB ?? '256,1024').split(',').map((s) => Number(s.trim()) * MiB);
  if (large.some((n) => !Number.isFinite(n) || n <= 0))
    throw new Error(`BENCH_RCLONE_LARGE_MIB: expected sizes in MiB, like 256,1024`);
  return {
    rounds: Math.max(1, Number(env.BENCH_ROUNDS ?? 3)),
    largeBytes: large,
    chunkBytes: 10 * MiB,
    smallFiles: Math.max(1, Number(env.BENCH_RCLONE_SMALL_FILES ?? 1000)),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(runs: RunFigures[]): SideFigures {
  const of = (key: keyof RunFigures): number | undefined => {
    const values = runs.map((r) => r[key]).filter((v): v is number => v !== undefined);
    return values.length === runs.length ? median(values) : undefined;
  };
  return {
    runs,
    median: {
      seconds: of('seconds')!,
      files: of('files')!,
      bytes: of('bytes')!,
      mibPerSecond: of('mibPerSecond')!,
      workerCpuSeconds: of('workerCpuSeconds'),
      azuriteCpuSeconds: of('azuriteCpuSeconds'),
      graphRequests: of('graphRequests')!,
      storageRequests: of('storageRequests')!,
    },
  };
}

export function ratiosOf(product: RunFigures, rclone: RunFigures): JobComparison['ratios'] {
  const out: JobComparison['ratios'] = {};
  for (const key of Object.keys(product) as Array<keyof RunFigures>) {
    const [p, r] = [product[key], rclone[key]];
    if (p !== undefined && r !== undefined && r > 0) out[key] = p / r;
  }
  return out;
}

const FINAL = new Set(['succeeded', 'partially-failed', 'failed', 'timed-out', 'cancelled']);
const FUNCTION_KEY = `bench-${randomBytes(12).toString('hex')}`;
const ROOT_FOLDER = 'Bench';

interface World {
  azurite: CountedAzurite;
  emulators: EmulatorsProcess;
  host: HostProcess;
  front?: TlsFront;
  rclone?: RcloneSetup;
  connectionId: string;
  driveId: string;
  runs: TableClient;
}

async function api<T>(host: HostProcess, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${host.url}/api/${route}`, {
    method,
    headers: { 'x-functions-key': FUNCTION_KEY, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A connection signed in as a browser would: authorize → the emulator's sign-in → callback. */
async function authorizeConnection(host: HostProcess): Promise<{ id: string; driveId: string }> {
  const { id } = await api<{ id: string }>(host, 'POST', 'connections', {
    name: 'Bench',
    tenant: 'organizations',
    rootFolder: `/${ROOT_FOLDER}`,
  });
  const start = await fetch(`${host.url}/api/connections/${id}/authorize`, {
    headers: { 'x-functions-key': FUNCTION_KEY },
    redirect: 'manual',
  });
  const signIn = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const callback = await fetch(signIn.headers.get('location')!, { redirect: 'manual' });
  if (callback.status !== 200) throw new Error(`sign-in callback answered ${callback.status}`);
  const connection = await api<{ driveId?: string }>(host, 'GET', `connections/${id}`);
  if (!connection.driveId) throw new Error('the bench connection has no drive');
  return { id, driveId: connection.driveId };
}

async function startWorld(withRclone: string | undefined, chunkBytes: number): Promise<World> {
  const azurite = await startCountingAzurite();
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const emulators = await startEmulatorsProcess({ BENCH_REDIRECT_URI: `${url}/api/auth/callback` });
  const secretName = SETTINGS.find((s) => s.name === 'CLIENT_SECRET_NAME')!.default as string;
  await seedClientSecret({
    vaultUrl: emulators.keyVaultUrl,
    token: emulators.keyVaultToken,
    name: secretName,
    value: DEFAULT_CLIENT_SECRET,
    expiresOn: new Date(Date.now() + 365 * 86_400_000),
  });
  const host = await startHostProcess({
    RUN_MODE: 'local',
    AzureWebJobsStorage: azurite.connectionString,
    SOURCE_CONNECTION_STRING: azurite.connectionString,
    KEY_VAULT_URL: emulators.keyVaultUrl,
    KEY_VAULT_TOKEN_OVERRIDE: emulators.keyVaultToken,
    LOGIN_ENDPOINT_OVERRIDE: emulators.identityBaseUrl,
    GRAPH_ENDPOINT_OVERRIDE: emulators.graphBaseUrl,
    GRAPH_CLIENT_ID: DEFAULT_CLIENT_ID,
    PUBLIC_BASE_URL: url,
    LOCAL_FUNCTION_KEY: FUNCTION_KEY,
    LOCAL_HOST_PORT: String(port),
  });
  const connection = await authorizeConnection(host);
  const world: World = {
    azurite,
    emulators,
    host,
    connectionId: connection.id,
    driveId: connection.driveId,
    runs: TableClient.fromConnectionString(azurite.connectionString, RUNS_TABLE, {
      allowInsecureConnection: true,
    }),
  };
  if (withRclone) {
    world.front = await startTlsFront({
      graph: emulators.graphBaseUrl,
      graphUploads: emulators.graphAltBaseUrl,
      login: emulators.identityBaseUrl,
    });
    world.rclone = setupRclone({
      binary: withRclone,
      blobUrl: azurite.blobUrl,
      driveId: connection.driveId,
      accessToken: emulators.driveToken,
      chunkMiB: chunkBytes / MiB,
      front: world.front,
    });
  }
  return world;
}

async function stopWorld(world: Partial<World>): Promise<void> {
  world.rclone?.dispose();
  await world.front?.stop();
  await world.host?.stop();
  await world.emulators?.stop();
  await world.azurite?.stop();
}

interface Snapshot {
  at: bigint;
  worker?: number;
  azurite?: number;
  graph: number;
  storage: number;
}

async function snapshot(world: World, workerPid?: number): Promise<Snapshot> {
  return {
    at: process.hrtime.bigint(),
    worker: workerPid === undefined ? undefined : cpuSeconds(workerPid),
    azurite: cpuSeconds(world.azurite.pid),
    graph: (await world.emulators.graphRequests()).length,
    storage: world.azurite.requests().total,
  };
}

const diff = (a?: number, b?: number): number | undefined =>
  a === undefined || b === undefined ? undefined : b - a;

/**
 * One product run of a job: run-now through the admin API, then the run's row read from the runs
 * table every 100 ms until it is final. The bench's own reads are one storage request each and
 * are subtracted from Azurite's count. The wall time is the run's own, from its creation (by
 * run-now) to its end as the completion recorded it, so the polling interval does not round it.
 */
async function productRun(world: World, jobId: string, profile?: string): Promise<RunFigures> {
  if (profile) await world.host.toggleProfile?.();
  const before = await snapshot(world, world.host.pid);
  const { id: runId } = await api<{ id: string }>(world.host, 'POST', `jobs/${jobId}/run`);
  let polls = 0;
  let row: Record<string, unknown>;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    polls += 1;
    row = await world.runs.getEntity<Record<string, unknown>>(jobId, runId);
    if (FINAL.has(String(row.status))) break;
  }
  const after = await snapshot(world, world.host.pid);
  // BENCH_CPU_PROFILE: <dir>/<job>-<round>.cpuprofile. The profiler's sampling costs CPU, so a
  // profiled run's CPU figures are for finding where the time goes, not for the comparison.
  const file = profile ? await world.host.toggleProfile?.() : undefined;
  if (file) renameSync(file, path.join(path.dirname(file), `${profile}.cpuprofile`));
  if (row.status !== 'succeeded')
    throw new Error(`bench run ${runId} ended ${String(row.status)}: ${String(row.error ?? '')}`);
  const totals = JSON.parse(String(row.totals ?? '{}')) as { uploadedFiles?: number; uploadedBytes?: number };
  const seconds = (Date.parse(String(row.endedAt)) - Date.parse(String(row.createdAt))) / 1000;
  const bytes = totals.uploadedBytes ?? 0;
  return {
    seconds,
    files: totals.uploadedFiles ?? 0,
    bytes,
    mibPerSecond: bytes / MiB / seconds,
    workerCpuSeconds: diff(before.worker, after.worker),
    azuriteCpuSeconds: diff(before.azurite, after.azurite),
    graphRequests: after.graph - before.graph,
    storageRequests: after.storage - before.storage - polls,
  };
}

async function rcloneRun(
  world: World,
  container: string,
  folder: string,
  sizeOnly: boolean,
  expect: { files: number; bytes: number },
): Promise<RunFigures> {
  const before = await snapshot(world);
  const run = await runRclone(world.rclone!, [
    'copy',
    ...(sizeOnly ? ['--size-only'] : []),
    `${SOURCE_REMOTE}:${container}`,
    `${DRIVE_REMOTE}:${ROOT_FOLDER}/${folder}`,
  ]);
  const after = await snapshot(world);
  return {
    seconds: run.seconds,
    files: expect.files,
    bytes: expect.bytes,
    mibPerSecond: expect.bytes / MiB / run.seconds,
    workerCpuSeconds: run.userSeconds + run.systemSeconds,
    azuriteCpuSeconds: diff(before.azurite, after.azurite),
    graphRequests: after.graph - before.graph,
    storageRequests: after.storage - before.storage,
  };
}

/** Removes a round's folder for good (not to the recycle bin), so the emulator's memory stays flat. */
async function dropFolder(world: World, folder: string): Promise<void> {
  const response = await fetch(
    `${world.emulators.graphBaseUrl}/v1.0/drives/${world.driveId}/root:/${ROOT_FOLDER}/${folder}:/permanentDelete`,
    { method: 'POST', headers: { authorization: `Bearer ${world.emulators.driveToken}` } },
  );
  await response.arrayBuffer();
  if (!response.ok && response.status !== 404)
    throw new Error(`permanentDelete ${folder}: ${response.status}`);
}

/** The files rclone reports, checked in the drive: a run that copied less must not look fast. */
async function folderFiles(world: World, folder: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (path: string): Promise<void> => {
    let next: string | undefined =
      `${world.emulators.graphBaseUrl}/v1.0/drives/${world.driveId}/root:/${path}:/children?$top=1000`;
    while (next) {
      const response = await fetch(next, {
        headers: { authorization: `Bearer ${world.emulators.driveToken}` },
      });
      const page = (await response.json()) as {
        value: Array<{ name: string; size: number; folder?: unknown }>;
        '@odata.nextLink'?: string;
      };
      for (const item of page.value) {
        if (item.folder) {
          if (!item.name.startsWith('.')) await walk(`${path}/${item.name}`);
        } else {
          files += 1;
          bytes += item.size;
        }
      }
      next = page['@odata.nextLink'];
    }
  };
  await walk(`${ROOT_FOLDER}/${folder}`);
  return { files, bytes };
}

async function seedSmall(container: ContainerClient, count: number): Promise<number> {
  const random = seeded(21);
  const sizes = Array.from({ length: count }, () =>
    Math.round(Math.exp(Math.log(4 * 1024) + random() * (Math.log(MiB) - Math.log(4 * 1024)))),
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const name = `d${String(Math.floor(i / 100)).padStart(2, '0')}/f${String(i).padStart(5, '0')}.bin`;
      await container.getBlockBlobClient(name).uploadData(randomBytes(sizes[i]));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return sizes.reduce((a, b) => a + b, 0);
}

export async function measureRcloneComparison(options: ComparisonOptions): Promise<RcloneComparison> {
  const say = options.progress ?? (() => undefined);
  const binary = options.withoutRclone ? undefined : findRclone();
  const version = binary ? await rcloneVersion(binary).catch(() => undefined) : undefined;
  const out: RcloneComparison = {
    rclone: version,
    skipped: binary
      ? version
        ? undefined
        : `${binary} did not answer \`rclone version\``
      : 'no rclone binary on PATH (install the Debian package rclone, or set BENCH_RCLONE)',
    rounds: options.rounds,
    largeBytes: options.largeBytes,
    chunkBytes: options.chunkBytes,
    smallFiles: options.smallFiles,
    smallBytes: 0,
    jobs: [],
    loadAverage: [os.loadavg()[0]],
  };
  if (out.skipped) say(`rclone comparison: ${out.skipped}; measuring the product alone`);
  const withRclone = out.skipped ? undefined : binary;
  let world: World | undefined;
  try {
    world = await startWorld(withRclone, options.chunkBytes);
    const w = world;
    const blobs = BlobServiceClient.fromConnectionString(w.azurite.connectionString);
    const job = async (container: string, folder: string): Promise<string> =>
      (
        await api<{ id: string }>(w.host, 'POST', 'jobs', {
          name: `bench ${folder}`,
          connectionId: w.connectionId,
          source: { container },
          destinationFolder: folder,
          schedule: '0 0 0 1 1 *',
          chunkSizeBytes: options.chunkBytes,
        })
      ).id;
    const checked = async (folder: string, want: { files: number; bytes: number }): Promise<void> => {
      const got = await folderFiles(w, folder);
      if (got.files !== want.files || got.bytes !== want.bytes)
        throw new Error(
          `${folder} holds ${got.files} files / ${got.bytes} bytes, expected ${want.files} / ${want.bytes}`,
        );
    };

    // Warm-up, untimed: the worker's first token (Key Vault reads, a refresh), its JIT, the
    // emulators' and the front's first connections.
    const warm = blobs.getContainerClient('warmup');
    await warm.create();
    const warmBytes = await seedSmall(warm, 20);
    await productRun(w, await job('warmup', 'p-warmup'));
    if (w.rclone) await rcloneRun(w, 'warmup', 'r-warmup', false, { files: 20, bytes: warmBytes });
    await dropFolder(w, 'p-warmup');
    await dropFolder(w, 'r-warmup');

    // (a) large blobs.
    const large = blobs.getContainerClient('large');
    await large.create();
    for (const [i, size] of options.largeBytes.entries()) await seedLargeBlob(large, `large-${i}.bin`, size);
    const largeWant = {
      files: options.largeBytes.length,
      bytes: options.largeBytes.reduce((a, b) => a + b, 0),
    };
    const runs = {
      large: { p: [] as RunFigures[], r: [] as RunFigures[] },
      small: { p: [] as RunFigures[], r: [] as RunFigures[] },
      rerun: { p: [] as RunFigures[], r: [] as RunFigures[] },
    };
    for (let round = 0; round < options.rounds; round += 1) {
      const sides = [
        async () => {
          say(`large, round ${round + 1}: product`);
          const figures = await productRun(w, await job('large', `p-large-${round}`), `large-${round}`);
          await checked(`p-large-${round}`, largeWant);
          runs.large.p.push(figures);
          await dropFolder(w, `p-large-${round}`);
        },
        async () => {
          if (!w.rclone) return;
          say(`large, round ${round + 1}: rclone`);
          const figures = await rcloneRun(w, 'large', `r-large-${round}`, false, largeWant);
          await checked(`r-large-${round}`, largeWant);
          runs.large.r.push(figures);
          await dropFolder(w, `r-large-${round}`);
        },
      ];
      if (round % 2) sides.reverse();
      for (const side of sides) await side();
    }
    await large.delete();

    // (b) small blobs and (c) the unchanged rerun.
    const small = blobs.getContainerClient('small');
    await small.create();
    out.smallBytes = await seedSmall(small, options.smallFiles);
    const smallWant = { files: options.smallFiles, bytes: out.smallBytes };
    for (let round = 0; round < options.rounds; round += 1) {
      let jobId = '';
      const first = [
        async () => {
          say(`small, round ${round + 1}: product`);
          jobId = await job('small', `p-small-${round}`);
          runs.small.p.push(await productRun(w, jobId, `small-${round}`));
          await checked(`p-small-${round}`, smallWant);
        },
        async () => {
          if (!w.rclone) return;
          say(`small, round ${round + 1}: rclone`);
          runs.small.r.push(await rcloneRun(w, 'small', `r-small-${round}`, false, smallWant));
          await checked(`r-small-${round}`, smallWant);
        },
      ];
      const again = [
        async () => {
          say(`unchanged rerun, round ${round + 1}: product`);
          const figures = await productRun(w, jobId, `rerun-${round}`);
          if (figures.files !== 0) throw new Error(`the unchanged rerun uploaded ${figures.files} files`);
          runs.rerun.p.push(figures);
        },
        async () => {
          if (!w.rclone) return;
          say(`unchanged rerun, round ${round + 1}: rclone --size-only`);
          runs.rerun.r.push(await rcloneRun(w, 'small', `r-small-${round}`, true, { files: 0, bytes: 0 }));
        },
      ];
      if (round % 2) {
        first.reverse();
        again.reverse();
      }
      for (const side of [...first, ...again]) await side();
      await dropFolder(w, `p-small-${round}`);
      await dropFolder(w, `r-small-${round}`);
    }

    const mib = (n: number): string => `${Math.round(n / MiB)} MiB`;
    const labels: Record<JobKind, string> = {
      large: `${options.largeBytes.length} blobs, ${options.largeBytes.map(mib).join(' + ')}, ${mib(options.chunkBytes)} chunks`,
      small: `${options.smallFiles.toLocaleString('en-US')} blobs of 4 KiB–1 MiB (${mib(out.smallBytes)})`,
      rerun: `unchanged rerun of the ${options.smallFiles.toLocaleString('en-US')} blobs`,
    };
    for (const kind of ['large', 'small', 'rerun'] as const) {
      const product = summarize(runs[kind].p);
      const rclone = runs[kind].r.length ? summarize(runs[kind].r) : undefined;
      out.jobs.push({
        kind,
        label: labels[kind],
        product,
        rclone,
        ratios: rclone ? ratiosOf(product.median, rclone.median) : undefined,
      });
    }
    out.front = w.front?.stats;
    out.loadAverage.push(os.loadavg()[0]);
    return out;
  } finally {
    if (world) await stopWorld(world);
  }
}
