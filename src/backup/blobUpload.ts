// One blob through the upload engine, as both task paths send it: a batch or first delivery
// (./uploadFiles.ts) and a large file's continuation (./uploader.ts). Where it lands (encrypted
// name or plain, Office handling), what is sent (ciphertext or the blob), the engine's settings,
// the saved session, and progress rows that bind a new session to the file at once.
import { QUEUES } from '../app/queues';
import type { Logger } from '../log/logger';
import type { BlobFacts } from '../sources/blobFacts';
import type { BlobSource } from '../sources/types';
import type { Job } from '../store/jobs';
import type { ManifestEntry } from '../store/manifest';
import type { Run } from '../store/runs';
import type { BackupDeps, DriveDestination } from './deps';
import { blobDestination, officeHandling, runFolder } from './destination';
import { uploadForm, type UploadForm } from './encryption';
import type { UploadMessage } from './messages';
import { DEFAULT_RETRY_POLICY, quickXorAlgorithm, uploadFile } from './upload';
import { Checkpointer } from './upload/sessionStore';
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

/** What a file's saved session is bound to: its run and the version it uploads. */
const sessionFile = (run: Pick<Run, 'id'>, file: BlobRef) => ({
  runId: run.id,
  blobName: file.blobName,
  etag: file.etag,
  size: file.size,
});

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
  const checkpoints = deps.uploadSessions?.(sessionFile(run, file));
  if (checkpoints) await new Checkpointer(checkpoints, log).clear();
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
      checkpoints: deps.uploadSessions?.(sessionFile(run, file)),
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

/**
 * A large file out of time: its progress row bound to the session it created (the total is what
 * is sent, ciphertext for an encrypted job, as the engine's own progress writes record it), the
 * run's heartbeat, and the task that goes on with it, a task of its own.
 */
export async function handOver(
  deps: Pick<BackupDeps, 'runs' | 'send' | 'clock'>,
  task: Omit<UploadMessage, 'continuation'>,
  placed: PlacedBlob,
  continuation: UploadContinuation,
  attempts: number,
  started: number,
  log: Logger,
): Promise<void> {
  log.info('upload.file.continues', {
    committed: continuation.nextOffset,
    bytes: task.size,
    ms: deps.clock.now() - started,
  });
  await deps.runs.recordFileProgress(
    task.runId,
    task.blobName,
    placed.form.size,
    continuation.nextOffset,
    attempts,
    sessionUrlHash(continuation.uploadUrl),
  );
  await deps.runs.heartbeat(task.runId);
  await deps.send(QUEUES.upload, { ...task, continuation } satisfies UploadMessage);
}

/**
 * The manifest entry of a file the drive now holds, and its `upload.file.done` line. `recorded` is
 * the version's MD5, time and facts as the run recorded them, never a message's: a forged date
 * would make retention remove the copy as past its maximum age.
 */
export function uploadedEntry(
  deps: Pick<BackupDeps, 'clock'>,
  run: Pick<Run, 'id'>,
  file: BlobRef,
  placed: PlacedBlob,
  outcome: Extract<UploadOutcome, { status: 'completed' }>,
  recorded: { contentMd5?: string; lastModified?: string; facts?: BlobFacts },
  started: number,
  log: Logger,
): ManifestEntry {
  const rewrite = outcome.item.rewritten ? { rewritten: true, driveSize: outcome.item.size } : {};
  log.info('upload.file.done', {
    bytes: file.size,
    ms: deps.clock.now() - started,
    requests: outcome.stats.requests,
    retries: outcome.stats.retries,
    throttledMs: outcome.stats.throttledMs,
    ...rewrite,
  });
  return {
    blobName: file.blobName,
    etag: file.etag,
    size: file.size,
    contentMd5: recorded.contentMd5,
    lastModified: recorded.lastModified,
    driveItemId: outcome.item.id,
    drivePath: placed.path.drivePath,
    quickXorHash: outcome.item.quickXorHash,
    uploadedAt: new Date(deps.clock.now()).toISOString(),
    seenRunId: run.id,
    ...rewrite,
    facts: recorded.facts,
  };
}
