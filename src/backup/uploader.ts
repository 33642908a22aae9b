// The uploader: one task per message. A batch of small files, or one file's first delivery, goes to
// ./uploadFiles.ts; a large file's continuation, which resumes the upload session its first
// delivery created, is here. Idempotent: a file already final in this run, or whose manifest entry
// already matches this blob version, changes nothing. The manifest is written only after a verified
// upload. Failures a retry cannot cure (quota, hash mismatch, a path too long, a blob that changed
// or vanished) fail the file with the reason; those every file would hit (a full drive, a revoked
// consent or sign-in) end the whole run at once (./stopRun.ts); the others are thrown so the queue
// retries and, in the end, the poison handler records them.
import { QUEUES } from '../app/queues';
import { AppError, isAppError, isPermanent } from '../errors';
import { ALERT_EVENTS, logAlert } from '../log/alertEvents';
import { FINAL_RUN_STATUSES } from '../store/runs';
import { checkCompletion } from './completion';
import type { BackupDeps } from './deps';
import type { UploadedItem, UploadStats } from './upload/types';
import { stopsTheRun } from './stopRun';
import { parseUploadTask, type UploadMessage } from './messages';
import { notPlanned, plannedFacts, sourceAware, stopWholeRun, uploaded, uploadFresh } from './uploadFiles';
import { sessionUrlHash } from './upload/uploadUrl';
import { forgetSession, handOver, placeBlob, sendBlob, uploadedEntry, type PlacedBlob } from './blobUpload';

/** One upload task: a batch of small files, one file's first delivery, or a large file's continuation. */
export async function handleUploadMessage(
  deps: BackupDeps,
  raw: unknown,
  meta: { dequeueCount: number } = { dequeueCount: 1 },
): Promise<void> {
  const task = parseUploadTask(raw);
  if (task.v === 2) return uploadFresh(deps, task, meta);
  if (!task.continuation) {
    const { v: _v, runId, jobId, continuation: _c, set, ...file } = task;
    return uploadFresh(deps, { runId, jobId, files: [file], set }, meta);
  }
  return continueUpload(deps, task, meta);
}

/** A large file's later invocations: it goes on in the upload session its first one created. */
async function continueUpload(
  deps: BackupDeps,
  message: UploadMessage,
  meta: { dequeueCount: number },
): Promise<void> {
  const log = deps.log.child({
    runId: message.runId,
    jobId: message.jobId,
    file: message.blobName,
    attempt: meta.dequeueCount,
  });
  const [job, stored] = await Promise.all([
    deps.jobs.get(message.jobId),
    deps.runs.get(message.jobId, message.runId),
  ]);
  if (!job || !stored) return log.warn('upload.orphan', { reason: !job ? 'job deleted' : 'run missing' });
  const run = stored.value;
  if (FINAL_RUN_STATUSES.has(run.status)) return log.info('upload.run.finished', { status: run.status });
  if (run.kind !== 'backup') throw notPlanned(message.blobName, run.id, 'it names a restore run');
  const row = await deps.runs.getStoredFile(run.id, message.blobName);
  // The planner marks every file it queues before queueing it: a task for any other file was not
  // written by this run's planner, and uploading or counting it would add a file to the run (and
  // could end it before its real files were done).
  if (!row) throw notPlanned(message.blobName, run.id, 'its run did not plan this file');
  const already = row.file;
  if (already.status === 'uploaded' || already.status === 'failed') {
    log.info('upload.duplicate', { status: already.status });
    // The earlier delivery may have died after recording the file and before the completion check
    // (or, for rows from older versions, before counting it): finish both, or the run never ends.
    if (!already.counted) await deps.runs.finishFile(run.id, already);
    await checkCompletion(deps, job.id, run.id);
    return;
  }

  const fail = async (error: AppError): Promise<void> => {
    // The planned size, not the message's: a forged size would otherwise be counted in the run's
    // bytes. Not the row's either once the file is in flight: for an encrypted job that is the
    // ciphertext's size, and the run counts the blob's bytes.
    const size = row.planned.size ?? already.size;
    log.error('upload.file.failed', { code: error.code, reason: error.message, bytes: size });
    if (error.code === 'QuotaExceeded')
      logAlert(log, ALERT_EVENTS.quotaExceeded, { reason: error.message, bytes: size });
    await deps.runs.finishFile(run.id, {
      blobName: message.blobName,
      status: 'failed',
      size,
      bytesDone: 0,
      code: error.code,
      reason: error.message,
      attempts: meta.dequeueCount,
    });
    if (stopsTheRun(error)) await stopWholeRun(deps, job, run, error);
    else await checkCompletion(deps, job.id, run.id);
  };
  let destination;
  try {
    destination = await deps.destination(job.connectionId);
  } catch (error) {
    if (isPermanent(error)) return fail(error);
    throw error;
  }
  const source = deps.source(job);
  let placed: PlacedBlob;
  try {
    placed = await placeBlob(deps, job, run, destination, source, message);
  } catch (error) {
    if (isAppError(error)) return fail(error);
    throw error;
  }

  if (message.continuation && already.sessionUrlHash !== sessionUrlHash(message.continuation.uploadUrl)) {
    // Not the session this worker created for this file in this run (the host allow-list alone would
    // accept any tenant's *.sharepoint.com session): never contact it. The reason names no URL.
    log.warn('upload.continuation.rejected', {
      reason: already.sessionUrlHash
        ? 'the upload URL is not the session created for this file'
        : 'no upload session was recorded for this file',
    });
    await deps.send(QUEUES.upload, { ...message, continuation: undefined } satisfies UploadMessage);
    return;
  }

  // The blob as the planner listed it, from its row, not read again on every delivery: each read of
  // the blob below is pinned to the planned ETag, so a blob changed since fails there.
  let recorded: Awaited<ReturnType<typeof plannedFacts>>;
  try {
    recorded = await plannedFacts(source, message, row);
  } catch (error) {
    if (isPermanent(error)) return fail(sourceAware(error));
    throw error;
  }
  const started = deps.clock.now();
  let outcome;
  try {
    outcome = await sendBlob(deps, {
      job,
      run,
      destination,
      file: message,
      placed,
      lastModified: recorded.facts.lastModified,
      continuation: message.continuation,
      attempts: meta.dequeueCount,
      started,
      log,
    });
  } catch (error) {
    if (isAppError(error, 'MessageInvalid') && message.continuation) {
      // A continuation we cannot trust (altered upload URL or hash state): start the file afresh.
      log.warn('upload.continuation.refused', { reason: error.message });
      await deps.send(QUEUES.upload, { ...message, continuation: undefined } satisfies UploadMessage);
      return;
    }
    // Permanent: this file fails (and, for a full drive or refused access, the whole run ends)
    // with the real reason at once, instead of five deliveries ending in the poison queue.
    if (isPermanent(error)) return fail(sourceAware(error));
    log.warn('upload.file.retry', {
      code: isAppError(error) ? error.code : 'error',
      reason: (error as Error).message,
    });
    throw error;
  }

  if (outcome.status === 'continue') {
    const { continuation: _previous, ...task } = message;
    await handOver(deps, task, placed, outcome.continuation, meta.dequeueCount, started, log);
    return;
  }
  // The blob's MD5, time and facts as its run recorded them, never the message's.
  await deps.manifest.put(job.id, uploadedEntry(deps, run, message, placed, outcome, recorded, started, log));
  await recordUploaded(deps, message, outcome.item.id, meta.dequeueCount, outcome.stats, outcome.item);
  await forgetSession(deps, run, message, log);
}

async function recordUploaded(
  deps: BackupDeps,
  message: UploadMessage,
  driveItemId: string,
  attempts: number,
  stats?: UploadStats,
  item?: UploadedItem,
): Promise<void> {
  await deps.runs.finishFile(message.runId, uploaded(message, driveItemId, attempts, stats, item));
  await checkCompletion(deps, message.jobId, message.runId);
}
