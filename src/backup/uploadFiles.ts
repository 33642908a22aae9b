// The files of one upload task that start afresh: a batch of small files, or one file's first
// delivery. Everything shared by the files is read once per invocation (the job, the run, the
// destination and its connection, the files' rows with one range query, their manifest entries
// with another); the files then upload in parallel (bounded), and their results are written
// together (manifest entries and run-file rows in Table transactions, the run's counts in one
// shard write per transaction, one completion check). What a file's ETag, size and properties are
// comes from the row its run's planner wrote, not from the message, so a task can neither alter a
// file's size nor name a file its run did not plan, and no read of the blob's properties is needed:
// the ETag-pinned read of its bytes proves they are still that version.
import { AppError, isAppError, isPermanent } from '../errors';
import { ALERT_EVENTS, logAlert } from '../log/alertEvents';
import type { Logger } from '../log/logger';
import type { BlobFacts } from '../sources/blobFacts';
import type { BlobSource } from '../sources/types';
import { normalizeEtag } from '../sources/blobSource';
import { SourceError } from '../sources/storageErrors';
import type { Job } from '../store/jobs';
import { manifestMatches, type ManifestEntry } from '../store/manifest';
import { FINAL_RUN_STATUSES, type FileResult, type Run, type StoredFile } from '../store/runs';
import { checkCompletion } from './completion';
import type { BackupDeps, DriveDestination } from './deps';
import { forgetSession, handOver, placeBlob, sendBlob, uploadedEntry } from './blobUpload';
import type { UploadBatchFile } from './messages';
import { outstandingBytes, quotaExceeded, readQuota } from './quota';
import { stopRun, stopsTheRun } from './stopRun';
import type { UploadedItem, UploadStats } from './upload/types';

/** Files of one task uploading at once (each a simple upload of a few KiB to 4 MiB). */
const FILE_CONCURRENCY = 8;

type Result = Omit<FileResult, 'counted' | 'updatedAt'>;

/** What one invocation learned, written together at its end. */
interface Outcomes {
  results: Array<{ result: Result; etag?: string }>;
  entries: ManifestEntry[];
  /** The first error that ends the whole run (a full drive, revoked access). */
  stopper?: AppError;
  /** The first error a retry may cure: thrown after the others are recorded. */
  retry?: unknown;
  /** Files sent through an upload session: their saved sessions are deleted once recorded. */
  sessions: UploadBatchFile[];
}

export async function uploadFresh(
  deps: BackupDeps,
  task: { runId: string; jobId: string; files: readonly UploadBatchFile[]; set?: string },
  meta: { dequeueCount: number },
): Promise<void> {
  const log = deps.log.child({
    runId: task.runId,
    jobId: task.jobId,
    ...(task.files.length === 1 ? { file: task.files[0].blobName } : { files: task.files.length }),
    attempt: meta.dequeueCount,
  });
  const [job, stored] = await Promise.all([deps.jobs.get(task.jobId), deps.runs.get(task.jobId, task.runId)]);
  if (!job || !stored) return log.warn('upload.orphan', { reason: !job ? 'job deleted' : 'run missing' });
  const run = stored.value;
  if (FINAL_RUN_STATUSES.has(run.status)) return log.info('upload.run.finished', { status: run.status });
  if (run.kind !== 'backup') throw notPlanned(task.files[0].blobName, run.id, 'it names a restore run');
  const rows = await deps.runs.getFiles(
    run.id,
    task.files.map((f) => f.blobName),
    task.set,
  );
  // The planner marks every file it queues before queueing it: a task naming any other file was not
  // written by this run's planner, and uploading or counting it would add a file to the run (and
  // could end it before its real files were done). One stranger refuses the whole task.
  const stranger = task.files.find((f) => !rows.has(f.blobName));
  if (stranger) throw notPlanned(stranger.blobName, run.id, 'its run did not plan this file');

  const todo: Array<{ file: UploadBatchFile; row: StoredFile }> = [];
  for (const file of task.files) {
    const row = rows.get(file.blobName)!;
    if (run.trigger === 'events' && !plansVersion(row, file)) {
      // The run planned another version of this blob since (an events run plans each change of a
      // blob in turn): this task is a late or replayed one for an older version. It must neither
      // upload nor record anything, or the row of the version now planned would take its result.
      // Other runs plan a blob once: there a task naming another ETag fails the file below, with
      // the reason, so the run can end.
      log.info('upload.stale', { file: file.blobName, reason: 'the run now plans another version' });
      continue;
    }
    if (row.file.status !== 'uploaded' && row.file.status !== 'failed') {
      todo.push({ file, row });
      continue;
    }
    log.info('upload.duplicate', { file: file.blobName, status: row.file.status });
    // The earlier delivery may have died after recording the file and before the completion check
    // (or, for rows from older versions, before counting it): finish both, or the run never ends.
    if (!row.file.counted) await deps.runs.finishFile(run.id, row.file);
  }
  const out: Outcomes = { results: [], entries: [], sessions: [] };
  if (todo.length) await uploadAll(deps, job, run, todo, meta.dequeueCount, out, log);
  if (out.entries.length) await deps.manifest.putMany(job.id, out.entries);
  if (out.results.length) await deps.runs.finishFiles(run.id, out.results);
  await Promise.all(out.sessions.map((file) => forgetSession(deps, run, file, log)));
  if (out.stopper) await stopWholeRun(deps, job, run, out.stopper);
  else await checkCompletion(deps, job.id, run.id);
  if (out.retry !== undefined) throw out.retry;
}

async function uploadAll(
  deps: BackupDeps,
  job: Job,
  run: Run,
  todo: Array<{ file: UploadBatchFile; row: StoredFile }>,
  attempts: number,
  out: Outcomes,
  log: Logger,
): Promise<void> {
  const fail = (file: UploadBatchFile, row: StoredFile | undefined, error: AppError): void => {
    // The planned size, not the message's: a forged size would otherwise be counted in the run's bytes.
    const size = row?.file.size ?? file.size;
    log.error('upload.file.failed', {
      file: file.blobName,
      code: error.code,
      reason: error.message,
      bytes: size,
    });
    if (error.code === 'QuotaExceeded')
      logAlert(log, ALERT_EVENTS.quotaExceeded, { reason: error.message, bytes: size });
    out.results.push({
      result: {
        blobName: file.blobName,
        status: 'failed',
        size,
        bytesDone: 0,
        code: error.code,
        reason: error.message,
        attempts,
      },
      etag: row?.etag,
    });
    if (stopsTheRun(error)) out.stopper ??= error;
  };

  // An earlier delivery uploaded and recorded these, then died before recording the result.
  const known =
    job.mode === 'mirror'
      ? await deps.manifest.getMany(
          job.id,
          todo.map((t) => t.file.blobName),
        )
      : new Map<string, ManifestEntry>();
  const fresh = todo.filter(({ file, row }) => {
    const entry = known.get(file.blobName);
    if (!entry || !manifestMatches(entry, file, job)) return true;
    out.results.push({ result: uploaded(file, entry.driveItemId, attempts), etag: row.etag });
    return false;
  });
  if (!fresh.length) return;

  let destination: DriveDestination;
  try {
    destination = await deps.destination(job.connectionId);
  } catch (error) {
    if (!isPermanent(error)) throw error;
    for (const { file, row } of fresh) fail(file, row, error);
    return;
  }
  // One client for the task's files: each new one builds the storage SDK's request pipeline again.
  const source = deps.source(job);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < fresh.length && !out.stopper) {
      const { file, row } = fresh[next++];
      try {
        await uploadOne(deps, { job, run, destination, source }, file, row, attempts, out, log);
      } catch (error) {
        if (isPermanent(error)) fail(file, row, sourceAware(error));
        else {
          log.warn('upload.file.retry', {
            file: file.blobName,
            code: isAppError(error) ? error.code : 'error',
            reason: (error as Error).message,
          });
          out.retry ??= error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILE_CONCURRENCY, fresh.length) }, worker));
}

async function uploadOne(
  deps: BackupDeps,
  shared: { job: Job; run: Run; destination: DriveDestination; source: BlobSource },
  file: UploadBatchFile,
  row: StoredFile,
  attempts: number,
  out: Outcomes,
  log: Logger,
): Promise<void> {
  const { job, run, destination, source } = shared;
  const placed = await placeBlob(deps, job, run, destination, source, file);
  const { facts, contentMd5, lastModified } = await plannedFacts(source, file, row);
  const started = deps.clock.now();
  const outcome = await sendBlob(deps, {
    job,
    run,
    destination,
    file,
    placed,
    lastModified: facts.lastModified,
    attempts,
    started,
    log: log.child({ file: file.blobName }),
  });
  if (outcome.status === 'continue') {
    const task = { v: 1 as const, runId: run.id, jobId: job.id, ...file };
    await handOver(
      deps,
      task,
      placed,
      outcome.continuation,
      attempts,
      started,
      log.child({ file: file.blobName }),
    );
    return;
  }
  if (placed.form.size > deps.settings.simpleUploadMaxBytes) out.sessions.push(file);
  out.entries.push(
    uploadedEntry(
      deps,
      run,
      file,
      placed,
      outcome,
      { contentMd5, lastModified, facts },
      started,
      log.child({ file: file.blobName }),
    ),
  );
  out.results.push({
    result: uploaded(file, outcome.item.id, attempts, outcome.stats, outcome.item),
    etag: row.etag,
  });
}

/**
 * The blob's properties, metadata and tags as its run's planner listed them, after checking the
 * task against that record (a batch's files and a large file's continuations alike). Rows written
 * without them (by an older version, or for a file not planned from a listing) cost one listing
 * of the blob, checked against the task the same way. The
 * ETag-pinned read that follows refuses any other version, so metadata (which changes the ETag)
 * cannot differ from what is recorded; tags can change alone, and the next run's listing records them.
 */
export async function plannedFacts(
  source: BlobSource,
  file: UploadBatchFile,
  row: StoredFile,
): Promise<{ facts: BlobFacts; contentMd5?: string; lastModified: string }> {
  const { etag, size, facts, contentMd5, lastModified } = row.planned;
  if (etag !== undefined && size !== undefined && facts) {
    assertTaskMatches(file, { etag, size });
    return { facts, contentMd5, lastModified: lastModified ?? facts.lastModified };
  }
  const blob = await source.describe(file.blobName);
  assertTaskMatches(file, blob);
  return { facts: blob.facts, contentMd5: blob.contentMd5, lastModified: blob.lastModified.toISOString() };
}

/**
 * The task's size and ETag are what the upload trusts (a simple upload reads exactly `size` bytes and
 * verifies them against themselves), so they are checked against the blob first: a size altered in
 * the message would otherwise store a truncated file marked uploaded.
 */
export function assertTaskMatches(
  task: { etag: string; size: number },
  blob: { size: number; etag: string },
): void {
  if (normalizeEtag(task.etag) !== normalizeEtag(blob.etag))
    throw new SourceError(
      'Conflict',
      `The blob's ETag is ${blob.etag}, not the ${task.etag} that was planned.`,
    );
  if (task.size !== blob.size)
    throw new AppError(
      'MessageInvalid',
      `The task says ${task.size} bytes but this version of the blob has ${blob.size}; the message was altered, so the file was not uploaded.`,
      { advice: 'The next run plans the file again from the blob itself.' },
    );
}

export function uploaded(
  file: UploadBatchFile,
  driveItemId: string,
  attempts: number,
  stats?: UploadStats,
  item?: UploadedItem,
): Result {
  return {
    blobName: file.blobName,
    status: 'uploaded',
    size: file.size,
    bytesDone: file.size,
    driveItemId,
    attempts,
    ...throttleFigures(stats),
    ...(item?.rewritten
      ? {
          rewritten: true,
          reason: `Rewritten by SharePoint after upload (Office property promotion): the library holds ${item.size} bytes with quickXorHash ${item.quickXorHash}; ${item.rewritten.sentSize} bytes with quickXorHash ${item.rewritten.sentQuickXorHash} were sent.`,
        }
      : {}),
  };
}

export function throttleFigures(stats: UploadStats | undefined): {
  throttledMs?: number;
  throttles?: number;
} {
  return stats?.throttles || stats?.throttledMs
    ? { throttledMs: stats.throttledMs, throttles: stats.throttles }
    : {};
}

/** Every other file of the run would hit the same wall: the run ends now with the reason. */
export async function stopWholeRun(deps: BackupDeps, job: Job, run: Run, error: AppError): Promise<void> {
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
}

export function notPlanned(blobName: string, runId: string, why: string): AppError {
  return new AppError('MessageInvalid', `Upload task refused for "${blobName}" in run ${runId}: ${why}.`, {
    advice:
      'Upload tasks are written by the planner for the files it listed; this one was altered or forged, so nothing was uploaded or counted.',
  });
}

/**
 * Whether a task's file is the version its run's row plans (the planned ETag on the row; rows
 * that carry none, final ones included, are not told apart by version and pass).
 */
export function plansVersion(row: StoredFile, file: { etag: string }): boolean {
  return row.planned.etag === undefined || normalizeEtag(row.planned.etag) === normalizeEtag(file.etag);
}

/** A source that changed or vanished mid-run is not a failure of the copy: say so. */
export function sourceAware(error: AppError): AppError {
  if (error instanceof SourceError && (error.code === 'Conflict' || error.code === 'NotFound'))
    return new AppError(
      error.code,
      `The blob changed or was deleted during the backup (${error.message}); the next run copies its current version.`,
    );
  return error;
}
