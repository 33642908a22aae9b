// Builds the backup area's dependencies from the shared services and the auth area's connections
// and token service. The one module that knows the real pieces; handlers and tests see only ./deps.ts.
import type { Services } from '../app/services';
import type { AuthDeps } from '../auth/deps';
import { AppError } from '../errors';
import { createBlobSource } from '../sources/blobSource';
import { blobEndpointPolicy, type BlobEndpointPolicy } from '../sources/endpointPolicy';
import { listContainerNames } from '../sources/containerClient';
import { toSourceError } from '../sources/storageErrors';
import { JOBS_TABLE, JobStore, type Job } from '../store/jobs';
import { MANIFEST_TABLE, ManifestStore } from '../store/manifest';
import { RUN_FILES_TABLE, RUN_PROGRESS_TABLE, RUNS_TABLE, RunStore } from '../store/runs';
import { UPLOAD_SESSIONS_TABLE, UploadSessionStore } from '../store/uploadSessions';
import { DataKeyProvider } from '../secrets/dataKey';
import { UPLOAD_SESSION_KEY_SECRET } from '../secrets/names';
import { AesGcmSealer } from '../secrets/sealing';
import type { SessionCheckpoints } from './upload/sessionStore';
import type { AdminDeps } from './admin';
import type { BackupDeps, DriveDestination } from './deps';
import { systemClock } from '../runtime/clock';
import { processBackoff } from '../graph/backoff';
import { PagePrefetch } from './pagePrefetch';
import { UPLOAD_HOSTS_BY_CLOUD } from './upload/uploadUrl';
import { CryptKeyring, CryptPasswordStore } from '../secrets/cryptPasswords';

/** `auth` is the one every area shares: one token service keeps refreshes single-flight. */
export async function buildBackupDeps(
  services: Services,
  auth: Pick<AuthDeps, 'connections' | 'tokens'> & Partial<Pick<AuthDeps, 'secrets'>>,
  options: Pick<BackupDeps, 'onQuotaAlert'> = {},
): Promise<BackupDeps> {
  const config = services.config;
  const [jobs, runs, progress, files, manifest, sessions] = await Promise.all(
    [JOBS_TABLE, RUNS_TABLE, RUN_PROGRESS_TABLE, RUN_FILES_TABLE, MANIFEST_TABLE, UPLOAD_SESSIONS_TABLE].map(
      (t) => services.table(t),
    ),
  );
  const log = services.log.child({ area: 'backup' });
  // The key is read from Key Vault once per process (created on first use) and kept in memory.
  const sessionStore =
    auth.secrets &&
    new UploadSessionStore(
      sessions,
      new AesGcmSealer(
        new DataKeyProvider(auth.secrets, UPLOAD_SESSION_KEY_SECRET, 'upload-session-aes-256-gcm'),
      ),
      Date.now,
      (why) => log.warn('upload.checkpoint.discarded', { reason: why }),
    );
  const endpointPolicy = blobEndpointPolicy(config);
  const emulator = config.graphEndpointOverride ? new URL(config.graphEndpointOverride) : undefined;
  const localUploadHosts = emulator
    ? // The Graph emulator serves upload URLs on a second name of its own host, as Graph serves them
      // off the API host, so a leaked Authorization header would show in tests;
      // pinned to its port, so no other local service can be made to receive an upload.
      [emulator.host, `127.0.0.1:${emulator.port || '443'}`]
    : [];
  return {
    jobs: new JobStore(jobs),
    runs: new RunStore({ runs, progress, files }),
    manifest: new ManifestStore(manifest),
    source: (job: Job) =>
      createBlobSource({
        container: job.source.container,
        prefix: job.source.prefix,
        ...(job.source.blobEndpoint
          ? { blobEndpoint: job.source.blobEndpoint, credential: services.credential(), endpointPolicy }
          : { connectionString: config.sourceConnectionString ?? requireLocalSource() }),
      }),
    destination: async (connectionId): Promise<DriveDestination> => {
      const connection = await auth.connections.require(connectionId);
      if (!connection.driveId)
        throw new AppError('StateInvalid', `Connection ${connection.name} has no drive yet.`, {
          advice: 'Authorize the connection and pick its drive on the setup page.',
        });
      return {
        apiBaseUrl: auth.tokens.endpointsFor(connection).graphBaseUrl,
        driveId: connection.driveId,
        rootFolder: connection.rootFolder,
        driveType: connection.driveType,
        allowedUploadHosts: [...UPLOAD_HOSTS_BY_CLOUD[connection.cloud], ...localUploadHosts],
        tokens: ({ forceRefresh }, limits) =>
          auth.tokens.getAccessToken(connectionId, { forceRefresh, deadline: limits?.deadline }),
      };
    },
    uploadSessions:
      sessionStore &&
      ((file): SessionCheckpoints => ({
        load: () => sessionStore.get(file),
        save: (session) => sessionStore.put(file, session),
        clear: () => sessionStore.delete(file),
      })),
    send: (queue, message, options) => services.sendMessage(queue, message, options),
    settings: {
      simpleUploadMaxBytes: config.simpleUploadMaxBytes,
      invocationBudgetSeconds: config.invocationBudgetSeconds,
      plannerPageSize: config.plannerPageSize,
      runTimeoutMinutes: config.runTimeoutMinutes,
      sendConcurrency: 16,
      defaultChunkBytes: config.uploadChunkBytes,
      eventsEnabled: config.eventsEnabled,
      eventsSettleSeconds: config.eventsSettleSeconds,
    },
    clock: systemClock,
    log,
    backoff: processBackoff,
    pagePrefetch: new PagePrefetch(systemClock),
    onQuotaAlert: options.onQuotaAlert,
    crypt: auth.secrets && new CryptKeyring(new CryptPasswordStore(auth.secrets)),
  };
}

export function buildAdminDeps(
  backup: BackupDeps,
  auth: Pick<AuthDeps, 'connections'>,
  blobEndpoints: BlobEndpointPolicy,
  services?: Services,
): AdminDeps {
  const sourceConnectionString = services?.config.sourceConnectionString;
  return {
    backup,
    connectionExists: async (id: string) => (await auth.connections.get(id)) !== undefined,
    blobEndpoints,
    // Only the app's own source account: jobs with their own blobEndpoint name their container.
    sourceContainers: sourceConnectionString
      ? async () => {
          try {
            return await listContainerNames({ connectionString: sourceConnectionString });
          } catch (error) {
            throw toSourceError(error, { container: '(list of containers)' });
          }
        }
      : undefined,
  };
}

function requireLocalSource(): never {
  throw new AppError(
    'ConfigInvalid',
    'The job has no source.blobEndpoint and SOURCE_CONNECTION_STRING is not set.',
    {
      field: 'source.blobEndpoint',
      advice:
        "Set the job's source.blobEndpoint to the storage account's blob endpoint (https://<account>.blob.core.windows.net).",
    },
  );
}
