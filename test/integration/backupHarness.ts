// Shared fixtures for the backup integration tests: a Graph emulator with a signed-in drive, an
// Azurite container with blobs built from a seed, the upload engine's options with a clock that
// records waits instead of sleeping, and the pipeline's "backup world" (BackupDeps over fresh
// Azurite tables and the Graph emulator, an in-memory queue, a job) for the handler-level tests.
import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { GraphEmulator } from '../../emulators/graph';
import { testAuthorize, type TestToken } from '../../emulators/graph/testing';
import { QUEUES } from '../../src/app/queues';
import { APP_FOLDER_NAME } from '../../src/graph/names';
import type { BackupDeps, DriveDestination } from '../../src/backup/deps';
import { handlePlanMessage } from '../../src/backup/planner';
import { handleUploadMessage } from '../../src/backup/uploader';
import {
  parseUploadMessage,
  parseUploadTask,
  type UploadBatchFile,
  type UploadMessage,
} from '../../src/backup/messages';
import { ManualClock } from '../../src/runtime/clock';
import { quickXorAlgorithm } from '../../src/backup/upload/quickXor';
import { DEFAULT_RETRY_POLICY } from '../../src/runtime/retry';
import type { AccessTokenProvider, UploadOptions } from '../../src/backup/upload/types';
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { createBlobSource } from '../../src/sources/blobSource';
import type { BlobSource } from '../../src/sources/types';
import { JobStore, validateJob, type Job } from '../../src/store/jobs';
import { ManifestStore } from '../../src/store/manifest';
import { RunStore } from '../../src/store/runs';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

export const MiB = 1024 * 1024;
export const UNIT = 327_680;

export interface GraphFixture {
  graph: GraphEmulator;
  driveId: string;
  apiBaseUrl: string;
  token: TestToken;
  tokenCalls: Array<{ forceRefresh: boolean }>;
  tokens: AccessTokenProvider;
}

export async function startGraph(token: TestToken = 'personal'): Promise<GraphFixture> {
  const graph = await new GraphEmulator({ authorize: testAuthorize }).start();
  const apiBaseUrl = `${graph.baseUrl}/v1.0`;
  const response = await fetch(`${apiBaseUrl}/me/drive`, { headers: { authorization: `Bearer ${token}` } });
  const drive = (await response.json()) as { id: string };
  const tokenCalls: Array<{ forceRefresh: boolean }> = [];
  return {
    graph,
    driveId: drive.id,
    apiBaseUrl,
    token,
    tokenCalls,
    tokens: async (options) => {
      tokenCalls.push(options);
      return token;
    },
  };
}

/**
 * A Graph emulator signed in as `token` for the tests of one file: started before them (and handed
 * to `use`), stopped after them, with the log sink set to `sink` meanwhile (silent unless told), so
 * the file's own hooks only hold what is particular to it.
 */
export function useGraph(
  token: TestToken,
  use: (fixture: GraphFixture) => void,
  sink: LogSink = () => undefined,
): void {
  let fixture: GraphFixture | undefined;
  let previousSink: LogSink | undefined;
  beforeAll(async () => {
    previousSink = setLogSink(sink);
    fixture = await startGraph(token);
    use(fixture);
  }, 60_000);
  afterAll(async () => {
    if (previousSink) setLogSink(previousSink);
    await fixture?.graph.stop();
  });
}

/** True for a drive path (decoded or percent-encoded) inside the app's own folder (the run index). */
export const inAppFolder = (path: string): boolean =>
  decodeURIComponent(path).includes(`/${APP_FOLDER_NAME}/`);

/**
 * Graph requests for the user's files: every run that ends also writes its run index (and prunes
 * old ones) in the app's own folder, which is not a copy of a source blob.
 */
export const fileRequests = (fx: GraphFixture): number =>
  fx.graph.server.requests.filter((r) => !inAppFolder(r.path)).length;

export async function newContainer(): Promise<ContainerClient> {
  const container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
    uniqueName('src'),
  );
  await container.create();
  return container;
}

/** Random content: every test compares against the exact bytes it wrote. */
export function content(size: number): Buffer {
  return randomBytes(size);
}

export async function putBlob(container: ContainerClient, name: string, data: Buffer): Promise<string> {
  const result = await container.getBlockBlobClient(name).uploadData(data);
  return result.etag!;
}

export function uploadOptions(
  overrides: Partial<UploadOptions> = {},
): UploadOptions & { clock: ManualClock } {
  const clock = new ManualClock(Date.now());
  return {
    chunkBytes: 10 * MiB,
    simpleUploadMaxBytes: 4 * MiB,
    deadline: Number.MAX_SAFE_INTEGER,
    allowedUploadHosts: ['127.0.0.1'],
    retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
    hash: quickXorAlgorithm,
    log: createLogger({ test: 'upload' }),
    requestTimeoutMs: 60_000,
    ...overrides,
    clock: (overrides.clock as ManualClock | undefined) ?? clock,
  };
}

export function randomName(ext = 'bin'): string {
  return `file-${randomBytes(4).toString('hex')}.${ext}`;
}

// ---- the backup world: the pipeline's handlers over Azurite tables and the Graph emulator ----

/** A client for a table on Azurite under a name no other test uses (not created: the stores do that). */
export function azuriteTable(prefix: string): TableClient {
  return TableClient.fromConnectionString(azuriteConnectionString(), uniqueName(prefix), {
    allowInsecureConnection: true,
  });
}

/** A fresh table on Azurite, created (for code that expects its tables to exist). */
export async function newTable(prefix: string): Promise<TableClient> {
  const client = azuriteTable(prefix);
  await client.createTable();
  return client;
}

export type BackupStores = Pick<BackupDeps, 'jobs' | 'runs' | 'manifest'>;

/** The job, run and manifest stores over fresh Azurite tables; the run store stamps times with `now`. */
export function backupStores(now: () => Date): BackupStores {
  return {
    jobs: new JobStore(azuriteTable('jobs')),
    runs: new RunStore(
      { runs: azuriteTable('runs'), progress: azuriteTable('prog'), files: azuriteTable('files') },
      now,
    ),
    manifest: new ManifestStore(azuriteTable('manifest')),
  };
}

export interface QueuedMessage {
  queue: string;
  message: unknown;
}

/** An in-memory queue the test drains: a send puts a JSON copy, as a real queue carries it. */
export function memoryQueue(): { queue: QueuedMessage[]; send: BackupDeps['send'] } {
  const queue: QueuedMessage[] = [];
  return {
    queue,
    send: async (q, message) => void queue.push({ queue: q, message: JSON.parse(JSON.stringify(message)) }),
  };
}

/** The job's source: its container (and prefix) on Azurite. */
export function azuriteBlobSource(job: Job): BlobSource {
  return createBlobSource({
    connectionString: azuriteConnectionString(),
    container: job.source.container,
    prefix: job.source.prefix,
  });
}

export interface BackupDepsOptions {
  fx: GraphFixture;
  clock: ManualClock;
  /** Where the queues' messages go: memoryQueue().send, or the test's own queues. */
  send: BackupDeps['send'];
  /** The connection's root folder in the emulator's drive. */
  rootFolder: string;
  plannerPageSize: number;
  /** The logger's `test` field. */
  logName: string;
  /** Default: fresh Azurite tables, the run store on `clock`. */
  stores?: BackupStores;
  /** Default: the job's container on Azurite. */
  source?: BackupDeps['source'];
  /** Default: 'business'. */
  driveType?: DriveDestination['driveType'];
  /** Default: ['127.0.0.1'], the emulator's upload host. */
  allowedUploadHosts?: readonly string[];
  /** Default: 480. */
  invocationBudgetSeconds?: number;
}

/** BackupDeps against the Graph emulator's drive `fx`, with the settings every backup test uses. */
export function backupDeps(options: BackupDepsOptions): BackupDeps {
  const { fx, clock } = options;
  return {
    ...(options.stores ?? backupStores(() => new Date(clock.now()))),
    source: options.source ?? azuriteBlobSource,
    destination: async () => ({
      apiBaseUrl: fx.apiBaseUrl,
      driveId: fx.driveId,
      rootFolder: options.rootFolder,
      driveType: options.driveType ?? 'business',
      allowedUploadHosts: options.allowedUploadHosts ?? ['127.0.0.1'],
      tokens: fx.tokens,
    }),
    send: options.send,
    settings: {
      simpleUploadMaxBytes: 4 * MiB,
      invocationBudgetSeconds: options.invocationBudgetSeconds ?? 480,
      plannerPageSize: options.plannerPageSize,
      runTimeoutMinutes: 60,
      sendConcurrency: 4,
    },
    clock,
    log: createLogger({ test: options.logName }),
  };
}

/**
 * Creates a backup job of `container` for connection 'conn-1' (nightly at 02:00, 4 × 320 KiB chunks,
 * into Jobs/<container>); `input` overrides or adds job settings.
 */
export async function createBackupJob(
  deps: BackupDeps,
  job: { name: string; container: string; now: Date },
  input: Record<string, unknown> = {},
): Promise<Job> {
  const created = validateJob(
    {
      name: job.name,
      connectionId: 'conn-1',
      source: { container: job.container },
      destinationFolder: `Jobs/${job.container}`,
      schedule: '0 0 2 * * *',
      chunkSizeBytes: 4 * UNIT,
      ...input,
    },
    undefined,
    uniqueName('job'),
    job.now,
  );
  await deps.jobs.create(created);
  return created;
}

/** Delivers queued messages in order until none are left; returns how many uploads were handled. */
export async function deliverAll(deps: BackupDeps, queue: QueuedMessage[]): Promise<number> {
  let uploads = 0;
  while (queue.length) {
    const { queue: name, message } = queue.shift()!;
    if (name === QUEUES.plan) await handlePlanMessage(deps, message);
    else {
      uploads += filesOf(message).length;
      await handleUploadMessage(deps, message);
    }
  }
  return uploads;
}

/** The files an upload task names: one, or a batch's. */
export function filesOf(message: unknown): UploadBatchFile[] {
  const task = parseUploadTask(message);
  if (task.v === 2) return task.files;
  const { v: _v, runId: _r, jobId: _j, continuation: _c, ...file } = task;
  return [file];
}

/**
 * Each queued upload task as single-file (v1) tasks, in queue order: for tests that deliver, drop or
 * redeliver one file's task. A batch's files are each planned, so each single task is accepted.
 */
export function singleFileTasks(queue: QueuedMessage[]): QueuedMessage[] {
  return queue.flatMap((entry) => {
    if (entry.queue !== QUEUES.upload) return [entry];
    const task = parseUploadTask(entry.message);
    if (task.v === 1) return [entry];
    return task.files.map((file) => ({
      queue: entry.queue,
      message: { v: 1, runId: task.runId, jobId: task.jobId, ...file, set: task.set } satisfies UploadMessage,
    }));
  });
}

/** Takes the task of `blobName` off the queue as a single-file task (the rest of its batch stays queued). */
export function takeUploadTask(queue: QueuedMessage[], blobName: string): UploadMessage {
  const singles = singleFileTasks(queue);
  const index = singles.findIndex(
    (m) => m.queue === QUEUES.upload && (m.message as UploadMessage).blobName === blobName,
  );
  if (index < 0) throw new Error(`No upload task for ${blobName}`);
  const [taken] = singles.splice(index, 1);
  queue.splice(0, queue.length, ...singles);
  return parseUploadMessage(taken.message);
}
