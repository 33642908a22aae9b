// Starting a restore: from a job (its connection, folder, manifest and snapshots) or, for disaster
// recovery, from a connection and a folder alone. Creates the run with its spec (what to restore
// and where: the one trusted copy, ./trustedSpec.ts), then queues the first listing, which carries
// only the run's ids and its position.
import { joinDrivePath } from '../graph/names';
import { newRunId } from '../store/runs';
import type { Job } from '../store/jobs';
import { isEncrypted } from '../store/jobEncryption';
import type { RestoreDeps } from './deps';
import type { ListMessage, RestoreSpec } from './messages';
import type { RestoreRequest } from './request';

export interface StartedRestore {
  runId: string;
  runPartition: string;
  source: 'manifest' | 'drive';
  rootPath: string;
}

export interface StartOptions {
  request: RestoreRequest;
  connectionId: string;
  /** The connection's root folder in the drive. */
  rootFolder: string;
  job?: Job;
  /** True when the job's manifest has at least one entry. */
  manifestHasEntries?: boolean;
}

export async function startRestore(deps: RestoreDeps, options: StartOptions): Promise<StartedRestore> {
  const { request, job } = options;
  const rootPath = job
    ? joinDrivePath(options.rootFolder, job.destinationFolder)
    : joinDrivePath(options.rootFolder, request.folderPath ?? '');
  // Snapshot jobs restore one snapshot folder (the newest unless named), which only a walk of the
  // drive can pick; mirror jobs use the manifest when it has entries, else walk the folder.
  const snapshot = request.snapshot ?? (job?.mode === 'snapshot' ? 'latest' : undefined);
  const useManifest = !!job && !snapshot && options.manifestHasEntries === true;
  const spec: RestoreSpec = {
    connectionId: options.connectionId,
    rootPath,
    manifestJobId: useManifest ? job!.id : undefined,
    blobEndpoint: request.blobEndpoint ?? job?.source.blobEndpoint,
    targetContainer: request.targetContainer,
    prefix: request.prefix,
    overwrite: request.overwrite,
    snapshot,
    ...(job && isEncrypted(job.encryption)
      ? {
          encryption: {
            jobId: job.id,
            filenameEncryption: job.encryption.filenameEncryption,
            directoryNameEncryption: job.encryption.directoryNameEncryption,
            filenameEncoding: job.encryption.filenameEncoding,
          },
        }
      : {}),
  };
  const now = new Date(deps.clock.now());
  const runId = newRunId(now);
  const runPartition = job ? job.id : `connection-${options.connectionId}`;
  await deps.runs.create({ partition: runPartition, runId, createdAt: now.toISOString(), spec });
  const first: ListMessage = {
    v: 1,
    kind: 'list',
    runId,
    runPartition,
    source: useManifest ? { type: 'manifest', page: 0 } : { type: 'drive', relPath: '', page: 0 },
  };
  await deps.send(first);
  deps.log.info('restore.started', {
    runId,
    source: first.source.type,
    targetContainer: spec.targetContainer,
  });
  return { runId, runPartition, source: first.source.type, rootPath };
}
