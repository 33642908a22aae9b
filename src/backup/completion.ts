// The end of a run. Whoever finishes the last file (or the last planner page) checks whether every
// planned file has a result; the first to move the run to a final state with an ETag-checked write
// does the end-of-run work (retention, deletions) and releases the job's one-run lock. Cheap
// checks first: the counter shards decide whether to look closer, the file rows give exact totals.
import { isAppError } from '../errors';
import { logRunEnded } from '../log/alertEvents';
import type { Run, RunStatus, RunTotals } from '../store/runs';
import { FINAL_RUN_STATUSES, finalStatus } from '../store/runStatus';
import type { Job } from '../store/jobs';
import type { Stored } from '../store/table';
import type { BackupDeps, DriveDestination } from './deps';
import { runFolder } from './destination';
import { recordPlannedDigests } from './plannedDigests';
import { cleanupAfterRun } from './retention';
import { writeRunIndex } from './runIndexWriter';

/**
 * `written` is the run row as its caller has just written it (value and new ETag), which saves
 * reading it again; a row changed since is caught by finishRun's ETag check.
 */
export async function checkCompletion(
  deps: BackupDeps,
  jobId: string,
  runId: string,
  written?: Stored<Run>,
): Promise<RunStatus | undefined> {
  const stored = written ?? (await deps.runs.get(jobId, runId));
  if (!stored || FINAL_RUN_STATUSES.has(stored.value.status) || !stored.value.planningComplete)
    return undefined;
  const live = await deps.runs.totals(runId);
  if (live.totals.uploadedFiles + live.totals.failedFiles < live.totals.plannedFiles) return undefined;
  // The shards say done; the file rows say exactly what happened (and correct any lost count).
  const exact = await deps.runs.countFiles(runId);
  const totals: RunTotals = { ...live.totals, ...exact };
  if (exact.uploadedFiles + exact.failedFiles < totals.plannedFiles) return undefined;
  // Every file the planner queued has a row from the moment it was planned: one not final yet (a
  // redelivered page may plan a file its first listing did not count) keeps the run open.
  if (exact.inFlight > 0) return undefined;
  return finishRun(deps, stored.value, stored.etag, totals, finalStatus(totals));
}

/** Moves the run to `status` (once), runs the end-of-run work, and releases the job. */
export async function finishRun(
  deps: BackupDeps,
  run: Run,
  etag: string,
  totals: RunTotals,
  status: RunStatus,
  error?: string,
  /** More fields for the final write (the code and advice of an error that ended the run early). */
  extra: Partial<Run> = {},
): Promise<RunStatus | undefined> {
  const endedAt = new Date(deps.clock.now());
  const started = Date.parse(run.startedAt ?? run.createdAt);
  const seconds = Math.max(0.001, (endedAt.getTime() - started) / 1000);
  try {
    await deps.runs.update(
      run.jobId,
      run.id,
      {
        status,
        endedAt: endedAt.toISOString(),
        totals,
        throughputBytesPerSecond: Math.round(totals.uploadedBytes / seconds),
        error,
        ...extra,
      },
      etag,
    );
  } catch (e) {
    if (isAppError(e, 'Conflict')) return undefined; // another worker finished it
    throw e;
  }
  deps.log.info('run.finished', { runId: run.id, jobId: run.jobId, status, ...totals });
  logRunEnded(
    deps.log,
    { runId: run.id, jobId: run.jobId, kind: 'backup', status },
    {
      failedFiles: totals.failedFiles,
      error,
    },
  );
  if (status === 'succeeded' && run.kind === 'backup') await recordPlannedDigests(deps, run);
  if (status === 'succeeded' || status === 'partially-failed') {
    let cleaned: boolean;
    try {
      const summary = await cleanupAfterRun(deps, run, status);
      cleaned = summary !== undefined;
      if (summary) await deps.runs.update(run.jobId, run.id, { cleanup: summary });
    } catch (e) {
      cleaned = true;
      deps.log.error('run.cleanup.failed', { runId: run.id, jobId: run.jobId, error: e });
      await deps.runs.update(run.jobId, run.id, { cleanup: `failed: ${(e as Error).message}` });
    }
    await recordRunIndex(deps, run, totals, cleaned);
  }
  await releaseJob(deps, run.jobId, run.id);
  return status;
}

/** Clears the job's lock if it still points at this run (ETag-checked, retried on a race). */
export async function releaseJob(deps: BackupDeps, jobId: string, runId: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const job = await deps.jobs.getWithEtag(jobId);
    if (!job || job.value.activeRunId !== runId) return;
    try {
      await deps.jobs.save({ ...job.value, activeRunId: undefined }, job.etag);
      return;
    } catch (e) {
      if (!isAppError(e, 'Conflict')) throw e;
    }
  }
}

/**
 * Writes the run index after housekeeping (so it lists what the folder holds). A failure is the
 * run's note, not its status: every file is backed up; only their properties, metadata and tags
 * are not indexed by this run, and a restore then says which index it used. A mirror run that
 * changed nothing in the folder (no file copied, failed or refreshed, no housekeeping) writes none:
 * the folder's newest index, which a restore reads, still describes it exactly, so the run records
 * that one instead of uploading a copy that lists every file again.
 */
async function recordRunIndex(
  deps: BackupDeps,
  run: Run,
  totals: RunTotals,
  cleaned: boolean,
): Promise<void> {
  try {
    const job = await deps.jobs.get(run.jobId);
    if (!job) return;
    const destination = await deps.destination(job.connectionId);
    const standing = cleaned ? undefined : await unchangedIndex(deps, job, run, totals, destination);
    if (standing) {
      deps.log.info('run.index.unchanged', { runId: run.id, jobId: run.jobId, since: standing.runId });
      await deps.runs.update(run.jobId, run.id, {
        index: `unchanged since run ${standing.runId}: ${standing.path}`,
        indexPath: standing.path,
      });
      return;
    }
    const written = await writeRunIndex(deps, job, run, destination);
    deps.log.info('run.index.written', { runId: run.id, jobId: run.jobId, ...written });
    await deps.runs.update(run.jobId, run.id, {
      index: `${written.path} (${written.files} file(s), ${written.bytes} bytes)`,
      indexPath: written.path,
    });
  } catch (e) {
    deps.log.error('run.index.failed', { runId: run.id, jobId: run.jobId, error: e });
    await deps.runs.update(run.jobId, run.id, { index: `failed: ${(e as Error).message}` });
  }
}

/** The index the previous run left in this mirror's folder, when this run changed nothing there. */
async function unchangedIndex(
  deps: BackupDeps,
  job: Job,
  run: Run,
  totals: RunTotals,
  destination: DriveDestination,
): Promise<{ runId: string; path: string } | undefined> {
  if (job.mode !== 'mirror' || totals.plannedFiles || totals.uploadedFiles || totals.failedFiles)
    return undefined;
  if ((await deps.runs.totals(run.id)).refreshedFiles) return undefined;
  // Run ids sort newest first: the first older run that ended with its files backed up.
  const previous = (await deps.runs.listForJob(job.id, 20)).find(
    (r) => r.id > run.id && (r.status === 'succeeded' || r.status === 'partially-failed'),
  );
  const folder = `${runFolder(destination.rootFolder, job, run)}/`;
  if (!previous?.indexPath || !previous.indexPath.startsWith(folder)) return undefined;
  return { runId: previous.id, path: previous.indexPath };
}
