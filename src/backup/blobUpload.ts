// One blob through the upload engine, as both task paths send it: a batch or first delivery
// (./uploadFiles.ts) and a large file's continuation (./uploader.ts). Where it lands (encrypted
// name or plain, Office handling), what is sent (ciphertext or the blob), the engine's settings,
// the saved session, and progress rows that bind a new session to the file at once.
import type { Logger } from '../log/logger';
import type { BlobSource } from '../sources/types';
import type { Job } from '../store/jobs';
import type { Run } from '../store/runs';
import type { BackupDeps, DriveDestination } from './deps';
import { blobDestination, officeHandling, runFolder } from './destination';
import { uploadForm, type UploadForm } from './encryption';
import { DEFAULT_RETRY_POLICY, quickXorAlgorithm, uploadFile } from './upload';
import type { UploadContinuation, UploadOutcome } from './upload/types';
import { sessionUrlHash } from './upload/uploadUrl';

/** How often a file in flight writes its progress row and the run's heartbeat. */
export const PROGRESS_EVERY_MS = 10_000;

export interface BlobRef {
  blobName: string;
  etag: string;
  size: number;
}

export interface PlacedBlob {
  form: UploadForm;
  path: { drivePath: string; encodedPath: string };
  acceptRewrite: boolean;
}

/**
 * Where and what: an encrypted job sends ciphertext under the encrypted name, and Office handling
 * is for plain files only. Throws PathTooLong or NameInvalid (the file fails with the reason).
 */
export async function placeBlob(
  deps: Pick<BackupDeps, 'crypt'>,
  job: Job,
  run: Run,
  destination: DriveDestination,
  source: BlobSource,
  file: BlobRef,
): Promise<PlacedBlob> {
  const form = await uploadForm(
    deps,
    job,
    { name: file.blobName, etag: file.etag, size: file.size },
    (offset, count, into) => source.readRange(file.blobName, offset, count, file.etag, into),
  );
  const office = form.encrypted
    ? { protectOffice: false, acceptRewrite: false }
    : officeHandling(job, destination.driveType, file.blobName);
  const path = blobDestination(runFolder(destination.rootFolder, job, run), form.name, {
    protectOffice: office.protectOffice,
  });
  return { form, path, acceptRewrite: office.acceptRewrite };
}

/**
 * Deletes a file's saved session once its task has recorded the file: the engine keeps the finished
 * state until then, so a task killed in between does not send the file again. Only files sent
 * through a session have a row. A failed delete is logged; the row expires with its session.
 */
export async function forgetSession(
  deps: Pick<BackupDeps, 'uploadSessions'>,
  run: Pick<Run, 'id'>,
  file: BlobRef,
  log: Logger,
): Promise<void> {
  const checkpoints = deps.uploadSessions?.({
    runId: run.id,
    blobName: file.blobName,
    etag: file.etag,
    size: file.size,
  });
  await checkpoints?.clear().catch((error: unknown) =>
    log.warn('upload.checkpoint.clear.failed', {
      reason: (error as { code?: unknown })?.code ?? (error instanceof Error ? error.name : 'error'),
    }),
  );
}

export async function sendBlob(
  deps: BackupDeps,
  upload: {
    job: Job;
    run: Run;
    destination: DriveDestination;
    file: BlobRef;
    placed: PlacedBlob;
    lastModified?: string;
    continuation?: UploadContinuation;
    /** The task's dequeue count, recorded on the file's progress row. */
    attempts: number;
    /** When the invocation's budget started: the engine hands over a continuation at its end. */
    started: number;
    log: Logger;
  },
): Promise<UploadOutcome> {
  const { job, run, destination, file, placed } = upload;
  let lastProgress = upload.started;
  let boundSession = upload.continuation?.uploadUrl;
  return uploadFile(
    {
      target: {
        apiBaseUrl: destination.apiBaseUrl,
        driveId: destination.driveId,
        encodedPath: placed.path.encodedPath,
      },
      size: placed.form.size,
      read: placed.form.read,
      tokens: destination.tokens,
      continuation: upload.continuation,
      // A large file's session is saved as it goes, so a crash resends at most the chunk on the wire.
      checkpoints: deps.uploadSessions?.({
        runId: run.id,
        blobName: file.blobName,
        etag: file.etag,
        size: file.size,
      }),
      lastModified: upload.lastModified,
      redelivered: upload.attempts > 1,
    },
    {
      chunkBytes: job.chunkSizeBytes,
      simpleUploadMaxBytes: deps.settings.simpleUploadMaxBytes,
      deadline: upload.started + deps.settings.invocationBudgetSeconds * 1000,
      allowedUploadHosts: destination.allowedUploadHosts,
      clock: deps.clock,
      retry: DEFAULT_RETRY_POLICY,
      hash: quickXorAlgorithm,
      log: upload.log,
      requestTimeoutMs: 120_000,
      backoff: deps.backoff && { gate: deps.backoff, key: job.connectionId },
      acceptRewrite: placed.acceptRewrite,
      onProgress: async ({ committed, total, continuation }) => {
        // A new session is bound to the file at once, before any continuation can name it.
        const newSession = continuation.uploadUrl !== boundSession;
        if (!newSession && deps.clock.now() - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = deps.clock.now();
        boundSession = continuation.uploadUrl;
        await deps.runs.recordFileProgress(
          run.id,
          file.blobName,
          total,
          committed,
          upload.attempts,
          newSession ? sessionUrlHash(continuation.uploadUrl) : undefined,
        );
        await deps.runs.heartbeat(run.id);
      },
    },
  );
}
