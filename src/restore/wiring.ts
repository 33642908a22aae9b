// Builds the restore area's dependencies from the shared services and the pieces other areas own:
// the backup area's jobs, runs and connection drives (token service), the manifest table, and the
// storage SDK for the target container. The one module that knows the real pieces.
import type { TableClient } from '@azure/data-tables';
import type { Services } from '../app/services';
import { QUEUES } from '../app/queues';
import type { BackupDeps } from '../backup/deps';
import { systemClock } from '../runtime/clock';
import { DEFAULT_RETRY_POLICY } from '../runtime/retry';
import { AppError } from '../errors';
import { createContainerClient } from '../sources/containerClient';
import { toSourceError } from '../sources/storageErrors';
import { MANIFEST_TABLE } from '../store/manifest';
import type { ContainerClient } from '@azure/storage-blob';
import type { RestoreApiDeps } from './api';
import type { ManifestPager, RestoreDeps } from './deps';
import { DEFAULT_BLOCK_SIZE } from './download/types';
import { RESTORE_INDEX_TABLE, tableRestoreIndexStore } from './index/indexStore';
import { restoreReport } from './index/report';
import { RESTORE_LISTINGS_TABLE, tableListingLedger } from './listing/ledger';
import type { RestoreSpec } from './messages';
import { runStoreRecorder } from './runRecorder';
import { blockBlobTarget } from './target/blockBlobTarget';

/** Pages of a job's manifest rows, straight from the table (the manifest store reads rows one by one). */
export function tableManifestPager(client: TableClient): ManifestPager {
  return {
    async page(jobId, continuationToken, pageSize) {
      const pages = client
        .listEntities<Record<string, unknown>>({
          queryOptions: {
            filter: `PartitionKey eq '${jobId.replace(/'/g, "''")}'`,
            select: ['blobName', 'driveItemId', 'size'],
          },
        })
        .byPage({ maxPageSize: pageSize, continuationToken });
      const result = await pages.next();
      if (result.done || !result.value) return { entries: [] };
      const entries = result.value
        .filter((e) => typeof e.blobName === 'string' && typeof e.driveItemId === 'string')
        .map((e) => ({
          blobName: e.blobName as string,
          driveItemId: e.driveItemId as string,
          size: typeof e.size === 'number' ? e.size : 0,
        }));
      const next = result.value.continuationToken;
      return next ? { entries, continuationToken: next } : { entries };
    },
  };
}

export async function buildRestoreApiDeps(
  services: Services,
  backup: Pick<BackupDeps, 'jobs' | 'runs' | 'destination'>,
): Promise<RestoreApiDeps> {
  const config = services.config;
  const [manifestTable, ledgerTable, indexTable] = await Promise.all([
    services.table(MANIFEST_TABLE),
    services.table(RESTORE_LISTINGS_TABLE),
    services.table(RESTORE_INDEX_TABLE),
  ]);
  const index = tableRestoreIndexStore(indexTable);
  const containers = new Map<string, ContainerClient>();
  const container = (spec: RestoreSpec): ContainerClient => {
    const key = `${spec.blobEndpoint ?? ''}|${spec.targetContainer}`;
    let client = containers.get(key);
    if (!client) {
      if (!spec.blobEndpoint && !config.sourceConnectionString)
        throw new AppError(
          'ConfigInvalid',
          'The restore names no blobEndpoint and SOURCE_CONNECTION_STRING is not set.',
          {
            field: 'blobEndpoint',
            advice:
              'Give the target storage account blob endpoint (https://<account>.blob.core.windows.net).',
          },
        );
      client = createContainerClient(
        spec.blobEndpoint
          ? {
              container: spec.targetContainer,
              blobEndpoint: spec.blobEndpoint,
              credential: services.credential(),
            }
          : { container: spec.targetContainer, connectionString: config.sourceConnectionString },
      );
      containers.set(key, client);
    }
    return client;
  };
  const restore: RestoreDeps = {
    runs: runStoreRecorder(backup.runs, undefined, (runId) =>
      restoreReport(index, (id) => backup.runs.fileRows(id), runId),
    ),
    ledger: tableListingLedger(ledgerTable),
    index,
    manifest: tableManifestPager(manifestTable),
    drive: async (connectionId) => {
      const destination = await backup.destination(connectionId);
      return {
        graphBaseUrl: destination.apiBaseUrl,
        driveId: destination.driveId,
        rootFolder: destination.rootFolder,
        tokens: destination.tokens,
      };
    },
    target: (spec, blobName) => blockBlobTarget(container(spec), blobName),
    ensureContainer: async (spec) => {
      try {
        await container(spec).createIfNotExists();
      } catch (error) {
        throw toSourceError(error, { container: spec.targetContainer });
      }
    },
    send: (message) => services.sendMessage(QUEUES.restore, message),
    settings: {
      blockSize: DEFAULT_BLOCK_SIZE,
      invocationBudgetSeconds: config.invocationBudgetSeconds,
      requestTimeoutMs: 120_000,
      manifestPageSize: 1000,
      sendConcurrency: 16,
    },
    clock: systemClock,
    retry: DEFAULT_RETRY_POLICY,
    log: services.log.child({ area: 'restore' }),
  };
  return { restore, job: (id) => backup.jobs.require(id) };
}
