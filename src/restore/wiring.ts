// Builds the restore area's dependencies from the shared services and the pieces other areas own:
// the backup area's jobs, runs and connection drives (token service), the manifest table, and the
// storage SDK for the target container. The one module that knows the real pieces.
import type { Services } from '../app/services';
import { QUEUES } from '../app/queues';
import type { AccessTokenProvider } from '../graph/http';
import type { JobStore } from '../store/jobs';
import type { ManifestStore } from '../store/manifest';
import type { RunStore } from '../store/runs';
import { systemClock } from '../runtime/clock';
import { processBackoff } from '../graph/backoff';
import { DEFAULT_RETRY_POLICY } from '../runtime/retry';
import { AppError } from '../errors';
import { createContainerClient } from '../sources/containerClient';
import { blobEndpointPolicy } from '../sources/endpointPolicy';
import { toSourceError } from '../sources/storageErrors';
import type { ContainerClient } from '@azure/storage-blob';
import type { RestoreApiDeps } from './api';
import type { RestoreDeps } from './deps';
import { DEFAULT_BLOCK_SIZE } from './download/types';
import { RESTORE_INDEX_TABLE, tableRestoreIndexStore } from './index/indexStore';
import { restoreReport } from './index/report';
import { RESTORE_LISTINGS_TABLE, tableListingLedger } from './listing/ledger';
import type { RestoreSpec } from './messages';
import { runStoreRecorder } from './runRecorder';
import { blockBlobTarget } from './target/blockBlobTarget';
import { parseRestoreTargets } from './targets';
import type { CryptKeys } from '../crypt';
import { restoreCrypt } from './download/decryption';

/**
 * What restore shares with the backup area: the same stores (so a restore run is one more row of the
 * runs table) and the connection's drive as the backup wiring resolves it. Described here by shape,
 * so restore depends on shared modules only and the composition root hands the backup deps in.
 */
export interface SharedBackupPieces {
  jobs: JobStore;
  runs: RunStore;
  manifest: ManifestStore;
  /** Encrypted jobs' keys (Key Vault, derived once per process). */
  crypt?: { keys(jobId: string): Promise<CryptKeys> };
  destination(connectionId: string): Promise<{
    apiBaseUrl: string;
    driveId: string;
    rootFolder: string;
    driveType: 'personal' | 'business' | 'sharepoint';
    tokens: AccessTokenProvider;
  }>;
}

export async function buildRestoreApiDeps(
  services: Services,
  backup: SharedBackupPieces,
): Promise<RestoreApiDeps> {
  const config = services.config;
  const [ledgerTable, indexTable] = await Promise.all([
    services.table(RESTORE_LISTINGS_TABLE),
    services.table(RESTORE_INDEX_TABLE),
  ]);
  const index = tableRestoreIndexStore(indexTable);
  const endpointPolicy = blobEndpointPolicy(config);
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
              endpointPolicy,
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
    manifest: backup.manifest,
    drive: async (connectionId) => {
      const destination = await backup.destination(connectionId);
      return {
        graphBaseUrl: destination.apiBaseUrl,
        driveId: destination.driveId,
        rootFolder: destination.rootFolder,
        driveType: destination.driveType,
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
      targetContainers: parseRestoreTargets(config.restoreTargetContainers),
    },
    clock: systemClock,
    retry: DEFAULT_RETRY_POLICY,
    backoff: processBackoff,
    log: services.log.child({ area: 'restore' }),
    crypt:
      backup.crypt &&
      (async (encryption) => restoreCrypt(await backup.crypt!.keys(encryption.jobId), encryption)),
  };
  return { restore, job: (id) => backup.jobs.require(id), blobEndpoints: endpointPolicy };
}
