// Fixtures for the restore tests: a Graph emulator drive that files are put into through its
// upload API (simple PUT, or an upload session for large files), a fresh Azurite container, and
// engine options with a clock that records waits instead of sleeping, and the worker's deps.
import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { TestToken } from '../../emulators/graph/testing';
import { ManualClock } from '../../src/runtime/clock';
import { DEFAULT_RETRY_POLICY } from '../../src/runtime/retry';
import { graphPath } from '../../src/graph/names';
import { createLogger } from '../../src/log/logger';
import type { RestoreDeps } from '../../src/restore/deps';
import type { DownloadOptions, DriveLocation } from '../../src/restore/download/types';
import { tableListingLedger } from '../../src/restore/listing/ledger';
import type { RestoreMessage } from '../../src/restore/messages';
import { runStoreRecorder } from '../../src/restore/runRecorder';
import { blockBlobTarget } from '../../src/restore/target/blockBlobTarget';
import { ManifestStore } from '../../src/store/manifest';
import { RunStore } from '../../src/store/runs';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';
import { startGraph, type GraphFixture } from './backupHarness';

export const MiB = 1024 * 1024;
const TOKEN: TestToken = 'personal';
/** Fragment size for seeding large files: a multiple of 320 KiB under the emulator's 64 MiB body limit. */
const SEED_FRAGMENT = 327_680 * 96;

export interface DriveFixture extends GraphFixture {
  location(folderPath: string): DriveLocation;
}

export async function startDrive(): Promise<DriveFixture> {
  const fx = await startGraph(TOKEN);
  return {
    ...fx,
    location: (folderPath) => ({ graphBaseUrl: fx.apiBaseUrl, driveId: fx.driveId, folderPath }),
  };
}

/** Puts a file at a decoded drive path ('Backups/a/b.bin'); returns its item id. */
export async function putDriveFile(fx: DriveFixture, path: string, data: Buffer): Promise<string> {
  const base = `${fx.apiBaseUrl}/drives/${fx.driveId}/root:/${graphPath(path)}:`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  if (data.length <= 4 * MiB) {
    const response = await fetch(`${base}/content`, {
      method: 'PUT',
      headers: auth,
      body: data as unknown as BodyInit,
    });
    if (!response.ok) throw new Error(`seed PUT ${path}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { id: string }).id;
  }
  const session = await fetch(`${base}/createUploadSession`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ item: { '@microsoft.graph.conflictBehavior': 'replace' } }),
  });
  if (!session.ok) throw new Error(`seed session ${path}: ${session.status} ${await session.text()}`);
  const { uploadUrl } = (await session.json()) as { uploadUrl: string };
  for (let offset = 0; ; offset += SEED_FRAGMENT) {
    const end = Math.min(offset + SEED_FRAGMENT, data.length);
    const response = await fetch(uploadUrl, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${offset}-${end - 1}/${data.length}` },
      body: data.subarray(offset, end) as unknown as BodyInit,
    });
    if (response.status === 200 || response.status === 201)
      return ((await response.json()) as { id: string }).id;
    if (response.status !== 202)
      throw new Error(`seed chunk ${path}: ${response.status} ${await response.text()}`);
  }
}

export async function newContainer(create = true): Promise<ContainerClient> {
  const container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
    uniqueName('restore'),
  );
  if (create) await container.create();
  return container;
}

export async function readBlob(container: ContainerClient, name: string): Promise<Buffer> {
  return container.getBlobClient(name).downloadToBuffer();
}

export async function blobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

export function content(size: number): Buffer {
  return randomBytes(size);
}

export function engineOptions(
  overrides: Partial<DownloadOptions> = {},
): DownloadOptions & { clock: ManualClock } {
  const clock = new ManualClock();
  return {
    blockSize: 8 * MiB,
    deadline: Number.MAX_SAFE_INTEGER,
    overwrite: 'overwrite',
    clock,
    retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
    log: createLogger({ test: 'restore' }),
    requestTimeoutMs: 60_000,
    ...overrides,
  } as DownloadOptions & { clock: ManualClock };
}

// ---- the restore worker's world: RestoreDeps over fresh Azurite tables and the drive `fx` ----

/** A fresh Azurite table under a name no other test uses. */
export async function azuriteTable(prefix: string): Promise<TableClient> {
  const client = TableClient.fromConnectionString(azuriteConnectionString(), uniqueName(prefix), {
    allowInsecureConnection: true,
  });
  await client.createTable();
  return client;
}

export function containerFor(name: string): ContainerClient {
  return BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(name);
}

export interface RestoreWorld {
  deps: RestoreDeps;
  runs: RunStore;
  manifest: TableClient;
  /** What the worker queued (a JSON copy, as a real queue carries it). */
  queue: RestoreMessage[];
}

export interface RestoreWorldOptions {
  /** How its tables are made (default: azuriteTable); a test that drops its tables afterwards passes its own. */
  table?: (prefix: string) => Promise<TableClient>;
  /** The manifest table the listing pages through (default: a fresh one). */
  manifest?: TableClient;
  /** Default: 4. */
  sendConcurrency?: number;
}

/** RestoreDeps for the worker: the connection's root folder 'Backups' of `fx`, targets on Azurite. */
export async function restoreWorld(
  fx: DriveFixture,
  logName: string,
  options: RestoreWorldOptions = {},
): Promise<RestoreWorld> {
  const table = options.table ?? azuriteTable;
  const runs = new RunStore({
    runs: await table('runs'),
    progress: await table('prog'),
    files: await table('files'),
  });
  const manifest = options.manifest ?? (await table('manifest'));
  const queue: RestoreMessage[] = [];
  const clock = new ManualClock(Date.now());
  const deps: RestoreDeps = {
    runs: runStoreRecorder(runs, () => new Date(clock.now())),
    ledger: tableListingLedger(await table('listings')),
    manifest: new ManifestStore(manifest),
    drive: async () => ({
      graphBaseUrl: fx.apiBaseUrl,
      driveId: fx.driveId,
      rootFolder: 'Backups',
      tokens: fx.tokens,
    }),
    target: (spec, blobName) => blockBlobTarget(containerFor(spec.targetContainer), blobName),
    ensureContainer: async (spec) => void (await containerFor(spec.targetContainer).createIfNotExists()),
    send: async (message) => void queue.push(JSON.parse(JSON.stringify(message)) as RestoreMessage),
    settings: {
      blockSize: 8 * MiB,
      invocationBudgetSeconds: 600,
      requestTimeoutMs: 60_000,
      manifestPageSize: 100,
      sendConcurrency: options.sendConcurrency ?? 4,
    },
    clock,
    retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
    log: createLogger({ test: logName }),
  };
  return { deps, runs, manifest, queue };
}
