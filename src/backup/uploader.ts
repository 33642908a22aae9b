// The uploader: one file per message. Idempotent: a file already final in this run, or whose
// manifest entry already matches this blob version, changes nothing. The manifest is written only
// after a verified upload. Failures a retry cannot cure (quota, hash mismatch, a path too long, a
// blob that changed or vanished) fail the file with the reason; those every file would hit (a full
// drive, a revoked consent or sign-in) end the whole run at once (./stopRun.ts); the others are
// thrown so the queue retries and, in the end, the poison handler records them.
import { QUEUES } from '../app/queues';
import { AppError, isAppError, isPermanent } from '../errors';
import { ALERT_EVENTS, logAlert } from '../log/alertEvents';
import { manifestMatches } from '../store/manifest';
import { normalizeEtag } from '../sources/blobSource';
import { FINAL_RUN_STATUSES } from '../store/runs';
import { checkCompletion } from './completion';
import type { BackupDeps } from './deps';
import { blobDestination, officeHandling, runFolder } from './destination';
import type { UploadedItem, UploadStats } from './upload/types';
import { outstandingBytes, quotaExceeded, readQuota } from './quota';
import { stopRun, stopsTheRun } from './stopRun';
import { parseUploadMessage, type UploadMessage } from './messages';
import { DEFAULT_RETRY_POLICY, quickXorAlgorithm, uploadFile } from './upload';
import { sessionUrlHash } from './upload/uploadUrl';
import { uploadForm, type UploadForm } from './encryption';

/** How often a file in flight writes its progress row and the run's heartbeat. */
const PROGRESS_EVERY_MS = 10_000;

export async function handleUploadMessage(
  deps: BackupDeps,
  raw: unknown,
  meta: { dequeueCount: number } = { dequeueCount: 1 },
): Promise<void> {
  const message = parseUploadMessage(raw);
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
  if (run.kind !== 'backup') throw notPlanned(message, 'it names a restore run');
  const already = await deps.runs.getFile(run.id, message.blobName);
  // The planner marks every file it queues before queueing it: a task for any other file was not
  // written by this run's planner, and uploading or counting it would add a file to the run (and
  // could end it before its real files were done).
  if (!already) throw notPlanned(message, 'its run did not plan this file');
  if (already.status === 'uploaded' || already.status === 'failed') {
    log.info('upload.duplicate', { status: already.status });
    // The earlier delivery may have died after recording the file and before the completion check
    // (or, for rows from older versions, before counting it): finish both, or the run never ends.
    if (!already.counted) await deps.runs.finishFile(run.id, already);
    await checkCompletion(deps, job.id, run.id);
    return;
  }

  const fail = async (error: AppError): Promise<void> => {
    log.error('upload.file.failed', { code: error.code, reason: error.message, bytes: message.size });
    if (error.code === 'QuotaExceeded')
      logAlert(log, ALERT_EVENTS.quotaExceeded, { reason: error.message, bytes: message.size });
    await deps.runs.finishFile(run.id, {
      blobName: message.blobName,
      status: 'failed',
      size: message.size,
      bytesDone: 0,
      code: error.code,
      reason: error.message,
      attempts: meta.dequeueCount,
    });
    if (stopsTheRun(error)) await stopWholeRun(error);
    else await checkCompletion(deps, job.id, run.id);
  };
  // Every other file of the run would hit the same wall: the run ends now with the reason.
  const stopWholeRun = async (error: AppError): Promise<void> => {
    if (error.code !== 'QuotaExceeded') return stopRun(deps, job.id, run.id, error);
    // A 507 mid-run: the drive filled up. Read the numbers so the run says how far it is off.
    const quota = await readQuota(deps, await deps.destination(job.connectionId), job.connectionId).catch(
      () => undefined,
    );
    const neededBytes = await outstandingBytes(deps, run.id).catch(() => undefined);
    const recorded = {
      ...(quota ?? { checkedAt: new Date(deps.clock.now()).toISOString() }),
      state: 'exceeded',
      neededBytes,
    };
    await stopRun(deps, job.id, run.id, quotaExceeded(neededBytes, quota?.remaining), recorded);
  };

  const entry =
    job.mode === 'mirror' && !message.continuation
      ? await deps.manifest.get(job.id, message.blobName)
      : undefined;
  if (entry && manifestMatches(entry, message)) {
    // An earlier delivery uploaded and recorded it, then died before recording the result.
    await recordUploaded(deps, message, entry.driveItemId, meta.dequeueCount);
    return;
  }

  let destination;
  try {
    destination = await deps.destination(job.connectionId);
  } catch (error) {
    if (isPermanent(error)) return fail(error);
    throw error;
  }
  const source = deps.source(job);
  let form: UploadForm;
  let path: { drivePath: string; encodedPath: string };
  try {
    form = await uploadForm(
      deps,
      job,
      { name: message.blobName, etag: message.etag, size: message.size },
      (offset, count) => source.readRange(message.blobName, offset, count, message.etag),
    );
    path = blobDestination(runFolder(destination.rootFolder, job, run), form.name, {
      protectOffice:
        !form.encrypted && officeHandling(job, destination.driveType, message.blobName).protectOffice,
    });
  } catch (error) {
    if (isAppError(error)) return fail(error);
    throw error;
  }
  const office = form.encrypted
    ? { protectOffice: false, acceptRewrite: false }
    : officeHandling(job, destination.driveType, message.blobName);

  if (message.continuation && already?.sessionUrlHash !== sessionUrlHash(message.continuation.uploadUrl)) {
    // Not the session this worker created for this file in this run (the host allow-list alone would
    // accept any tenant's *.sharepoint.com session): never contact it. The reason names no URL.
    log.warn('upload.continuation.rejected', {
      reason: already?.sessionUrlHash
        ? 'the upload URL is not the session created for this file'
        : 'no upload session was recorded for this file',
    });
    await deps.send(QUEUES.upload, { ...message, continuation: undefined } satisfies UploadMessage);
    return;
  }

  // The blob as a listing describes it: the same one request a property read costs, and the only
  // read that gives metadata keys in their own case and the tags, which the manifest keeps.
  let blob: Awaited<ReturnType<typeof source.describe>>;
  try {
    blob = await source.describe(message.blobName);
    assertMessageMatchesBlob(message, blob);
  } catch (error) {
    if (isPermanent(error)) return fail(sourceAware(error));
    throw error;
  }
  const started = deps.clock.now();
  let lastProgress = started;
  let boundSession = message.continuation?.uploadUrl;
  let outcome;
  try {
    outcome = await uploadFile(
      {
        target: {
          apiBaseUrl: destination.apiBaseUrl,
          driveId: destination.driveId,
          encodedPath: path.encodedPath,
        },
        size: form.size,
        read: form.read,
        tokens: destination.tokens,
        continuation: message.continuation,
        lastModified: blob.facts.lastModified,
      },
      {
        chunkBytes: job.chunkSizeBytes,
        simpleUploadMaxBytes: deps.settings.simpleUploadMaxBytes,
        deadline: started + deps.settings.invocationBudgetSeconds * 1000,
        allowedUploadHosts: destination.allowedUploadHosts,
        clock: deps.clock,
        retry: DEFAULT_RETRY_POLICY,
        hash: quickXorAlgorithm,
        log,
        requestTimeoutMs: 120_000,
        backoff: deps.backoff && { gate: deps.backoff, key: job.connectionId },
        acceptRewrite: office.acceptRewrite,
        onProgress: async ({ committed, total, continuation }) => {
          // A new session is bound to the file at once, before any continuation can name it.
          const newSession = continuation.uploadUrl !== boundSession;
          if (!newSession && deps.clock.now() - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = deps.clock.now();
          boundSession = continuation.uploadUrl;
          await deps.runs.recordFileProgress(
            run.id,
            message.blobName,
            total,
            committed,
            meta.dequeueCount,
            newSession ? sessionUrlHash(continuation.uploadUrl) : undefined,
          );
          await deps.runs.heartbeat(run.id);
        },
      },
    );
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
    log.info('upload.file.continues', {
      committed: outcome.continuation.nextOffset,
      bytes: message.size,
      ms: deps.clock.now() - started,
    });
    await deps.runs.recordFileProgress(
      run.id,
      message.blobName,
      form.size,
      outcome.continuation.nextOffset,
      meta.dequeueCount,
      sessionUrlHash(outcome.continuation.uploadUrl),
    );
    await deps.runs.heartbeat(run.id);
    await deps.send(QUEUES.upload, {
      ...message,
      continuation: outcome.continuation,
    } satisfies UploadMessage);
    return;
  }
  await deps.manifest.put(job.id, {
    blobName: message.blobName,
    etag: message.etag,
    size: message.size,
    contentMd5: message.contentMd5,
    lastModified: message.lastModified,
    driveItemId: outcome.item.id,
    drivePath: path.drivePath,
    quickXorHash: outcome.item.quickXorHash,
    uploadedAt: new Date(deps.clock.now()).toISOString(),
    seenRunId: run.id,
    ...(outcome.item.rewritten ? { rewritten: true, driveSize: outcome.item.size } : {}),
    facts: blob.facts,
  });
  log.info('upload.file.done', {
    bytes: message.size,
    ms: deps.clock.now() - started,
    requests: outcome.stats.requests,
    retries: outcome.stats.retries,
    throttledMs: outcome.stats.throttledMs,
    ...(outcome.item.rewritten ? { rewritten: true, driveSize: outcome.item.size } : {}),
  });
  await recordUploaded(deps, message, outcome.item.id, meta.dequeueCount, outcome.stats, outcome.item);
}

async function recordUploaded(
  deps: BackupDeps,
  message: UploadMessage,
  driveItemId: string,
  attempts: number,
  stats?: UploadStats,
  item?: UploadedItem,
): Promise<void> {
  await deps.runs.finishFile(message.runId, {
    blobName: message.blobName,
    status: 'uploaded',
    size: message.size,
    bytesDone: message.size,
    driveItemId,
    attempts,
    ...throttleFigures(stats),
    ...(item?.rewritten
      ? {
          rewritten: true,
          reason: `Rewritten by SharePoint after upload (Office property promotion): the library holds ${item.size} bytes with quickXorHash ${item.quickXorHash}; ${item.rewritten.sentSize} bytes with quickXorHash ${item.rewritten.sentQuickXorHash} were sent.`,
        }
      : {}),
  });
  await checkCompletion(deps, message.jobId, message.runId);
}

function throttleFigures(stats: UploadStats | undefined): { throttledMs?: number; throttles?: number } {
  return stats?.throttles || stats?.throttledMs
    ? { throttledMs: stats.throttledMs, throttles: stats.throttles }
    : {};
}

/**
 * The task's size and ETag are what the upload trusts (a simple upload reads exactly `size` bytes and
 * verifies them against themselves), so they are checked against the blob first: a size altered in
 * the message would otherwise store a truncated file marked uploaded.
 */
function assertMessageMatchesBlob(message: UploadMessage, blob: { size: number; etag: string }): void {
  if (normalizeEtag(message.etag) !== normalizeEtag(blob.etag))
    throw new AppError(
      'Conflict',
      `The blob's ETag is ${blob.etag}, not the ${message.etag} that was planned.`,
    );
  if (message.size !== blob.size)
    throw new AppError(
      'MessageInvalid',
      `The task says ${message.size} bytes but this version of the blob has ${blob.size}; the message was altered, so the file was not uploaded.`,
      { advice: 'The next run plans the file again from the blob itself.' },
    );
}

function notPlanned(message: UploadMessage, why: string): AppError {
  return new AppError(
    'MessageInvalid',
    `Upload task refused for "${message.blobName}" in run ${message.runId}: ${why}.`,
    {
      advice:
        'Upload tasks are written by the planner for the files it listed; this one was altered or forged, so nothing was uploaded or counted.',
    },
  );
}

/** A source that changed or vanished mid-run is not a failure of the copy: say so. */
function sourceAware(error: AppError): AppError {
  if (error.code === 'Conflict' || error.code === 'NotFound')
    return new AppError(
      error.code,
      `The blob changed or was deleted during the backup (${error.message}); the next run copies its current version.`,
    );
  return error;
}
