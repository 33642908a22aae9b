// The scheduler: for each enabled job whose schedule came due, a run record and its first planner
// message. A job runs once at a time: the job row's `activeRunId` is claimed with an ETag-checked
// write before the run exists, so two scheduler instances (or a manual run racing the timer) can
// never both start one. A run with no progress for RUN_TIMEOUT_MINUTES is marked timed-out and
// releases the job. A missed schedule runs once (dueRun returns only the latest occurrence).
import { QUEUES } from '../app/queues';
import { AppError, isAppError } from '../errors';
import type { Job } from '../store/jobs';
import { FINAL_RUN_STATUSES, newRunId, type Run } from '../store/runs';
import { finishRun, releaseJob } from './completion';
import type { BackupDeps } from './deps';
import { snapshotFolderName } from '../graph/snapshotFolders';
import { dueRun } from '../config/ncrontab';

export async function runScheduler(deps: BackupDeps): Promise<{ started: string[]; timedOut: string[] }> {
  const now = new Date(deps.clock.now());
  const started: string[] = [];
  const timedOut: string[] = [];
  for (const job of await deps.jobs.list()) {
    try {
      if (job.activeRunId) {
        if (await expireIfStuck(deps, job, now)) timedOut.push(job.activeRunId);
        else continue;
      }
      if (!job.enabled) continue;
      const due = dueRun(job.schedule, new Date(job.lastScheduledAt ?? job.createdAt), now);
      if (!due) continue;
      const run = await startRun(deps, job.id, 'schedule', due);
      started.push(run.id);
    } catch (error) {
      // One job's trouble must not keep the others from running.
      if (!isAppError(error, 'Conflict')) deps.log.error('scheduler.job.failed', { jobId: job.id, error });
    }
  }
  return { started, timedOut };
}

/** Starts a run now (schedule or manual); Conflict when the job already has one in progress. */
export async function startRun(
  deps: BackupDeps,
  jobId: string,
  trigger: Run['trigger'],
  scheduledFor?: Date,
): Promise<Run> {
  const stored = await deps.jobs.getWithEtag(jobId);
  if (!stored) throw new AppError('NotFound', `No job with id ${jobId}.`);
  const job = stored.value;
  const now = new Date(deps.clock.now());
  if (job.activeRunId && !(await expireIfStuck(deps, job, now)))
    throw new AppError('Conflict', `Job ${job.name} is already running (run ${job.activeRunId}).`, {
      advice: 'Wait for the current run to finish; a run with no progress is timed out automatically.',
    });
  const fresh = job.activeRunId ? await deps.jobs.getWithEtag(jobId) : stored;
  if (!fresh) throw new AppError('NotFound', `No job with id ${jobId}.`);
  const run: Run = {
    id: newRunId(now),
    jobId,
    kind: 'backup',
    trigger,
    status: 'queued',
    snapshotFolder: job.mode === 'snapshot' ? snapshotFolderName(scheduledFor ?? now) : undefined,
    scheduledFor: scheduledFor?.toISOString(),
    createdAt: now.toISOString(),
    planningComplete: false,
    pagesPlanned: 0,
    // The only plan message this run accepts first: page 0, no continuation token.
    nextPage: 0,
    nextPageTokenHash: '',
  };
  // Claim first: the ETag makes this the single point where concurrent starters are decided.
  await deps.jobs.save(
    {
      ...fresh.value,
      activeRunId: run.id,
      lastScheduledAt: scheduledFor ? scheduledFor.toISOString() : fresh.value.lastScheduledAt,
    },
    fresh.etag,
  );
  await deps.runs.create(run);
  await deps.send(QUEUES.plan, { v: 1, runId: run.id, jobId, page: 0 });
  deps.log.info('run.started', { runId: run.id, jobId, trigger });
  return run;
}

/** True when the job's active run is over or stuck (and is now marked so); false while it is alive. */
async function expireIfStuck(deps: BackupDeps, job: Job, now: Date): Promise<boolean> {
  const runId = job.activeRunId!;
  const stored = await deps.runs.get(job.id, runId);
  if (!stored || FINAL_RUN_STATUSES.has(stored.value.status)) {
    // The lock outlived its run (a crash between claim and create, or before release).
    await releaseJob(deps, job.id, runId);
    return true;
  }
  const progress = await deps.runs.totals(runId);
  const last = Math.max(
    Date.parse(stored.value.startedAt ?? stored.value.createdAt),
    progress.lastProgressAt ? Date.parse(progress.lastProgressAt) : 0,
  );
  if (now.getTime() - last < deps.settings.runTimeoutMinutes * 60_000) return false;
  const exact = await deps.runs.countFiles(runId);
  deps.log.warn('run.timed-out', { runId, jobId: job.id, lastProgressAt: new Date(last).toISOString() });
  await finishRun(
    deps,
    stored.value,
    stored.etag,
    { ...progress.totals, ...exact },
    'timed-out',
    `No progress for ${deps.settings.runTimeoutMinutes} minutes.`,
  );
  await releaseJob(deps, job.id, runId);
  return true;
}
