// The restore side of a deployment for the integration tests that run the real workers (the round
// trip, the lossless round trip): RestoreDeps over Azurite tables and the Graph emulator's drive,
// and the HTTP request a restore route is called with.
import { ManifestStore } from '../../src/store/manifest';
import type { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QUEUES } from '../../src/app/queues';
import type { HttpRequestLike } from '../../src/http/types';
import { createLogger } from '../../src/log/logger';
import type { RestoreDeps, RestoreSettings } from '../../src/restore/deps';
import { tableRestoreIndexStore } from '../../src/restore/index/indexStore';
import { restoreReport } from '../../src/restore/index/report';
import { tableListingLedger } from '../../src/restore/listing/ledger';
import { runStoreRecorder } from '../../src/restore/runRecorder';
import { blockBlobTarget } from '../../src/restore/target/blockBlobTarget';
import type { ManualClock } from '../../src/runtime/clock';
import { DEFAULT_RETRY_POLICY } from '../../src/runtime/retry';
import type { RunStore } from '../../src/store/runs';
import { azuriteConnectionString } from '../helpers/azurite';
import { MiB, type GraphFixture } from './backupHarness';

export const containerClient = (name: string): ContainerClient =>
  BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(name);

export interface RestoreWorldOptions {
  fx: GraphFixture;
  runs: RunStore;
  tables: { listings: TableClient; manifest: TableClient; index?: TableClient };
  clock: ManualClock;
  send: (queue: string, message: unknown) => Promise<void>;
  rootFolder: string;
  logName: string;
  settings?: Partial<RestoreSettings>;
}

/** The restore workers' deps; with an `index` table they load run indexes and report on them. */
export function restoreDeps(options: RestoreWorldOptions): RestoreDeps {
  const { fx, runs, tables, clock } = options;
  const index = tables.index && tableRestoreIndexStore(tables.index);
  return {
    // One run store for backups and restores: GET runs/{id} shows restore runs as it shows backups.
    runs: runStoreRecorder(
      runs,
      () => new Date(clock.now()),
      index && ((runId) => restoreReport(index, (id) => runs.fileRows(id), runId)),
    ),
    ledger: tableListingLedger(tables.listings),
    index,
    manifest: new ManifestStore(tables.manifest),
    drive: async () => ({
      graphBaseUrl: fx.apiBaseUrl,
      driveId: fx.driveId,
      rootFolder: options.rootFolder,
      tokens: fx.tokens,
    }),
    target: (spec, blobName) => blockBlobTarget(containerClient(spec.targetContainer), blobName),
    ensureContainer: async (spec) => void (await containerClient(spec.targetContainer).createIfNotExists()),
    send: (message) => options.send(QUEUES.restore, message),
    settings: {
      blockSize: 8 * MiB,
      invocationBudgetSeconds: 600,
      requestTimeoutMs: 60_000,
      manifestPageSize: 5,
      sendConcurrency: 4,
      ...options.settings,
    },
    clock,
    retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
    log: createLogger({ test: options.logName }),
  };
}

/** A POST with a JSON body, as the restore routes receive it. */
export function restoreRequest(body: unknown): HttpRequestLike {
  return {
    method: 'POST',
    url: 'http://localhost:7071/api/restore',
    params: {},
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}
