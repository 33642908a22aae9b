// Event-driven uploads need a run: the uploader works only on files a run planned, and a person reads
// what happened in the run history. A job has one open "events" run (trigger `events`) at a time,
// holding the files its events copied that UTC day. It never takes the job's one-run lock, so the
// scheduled run (the safety net) still starts on time beside it. It is closed, with its final status
// and totals, when the day ends, once none of its files is in flight. A blob it already copied that
// changes again is planned again in the same run (RunStore.planEventFile): one run per job and day,
// however often a blob changes, so the run history, the alerts and retention, which look at a job's
// newest runs, are not flooded with one-file runs.
//
// It is closed here rather than through the backup's end-of-run path on purpose: that path prunes
// the mirror of every file the run did not see, which for a run that saw only a few events would
// remove nearly everything. An events run does no housekeeping; deletions arrive as their own events.
import { isAppError, AppError } from '../errors';
import type { Job } from '../store/jobs';
import { FINAL_RUN_STATUSES, newRunId, type Run, type RunTotals } from '../store/runs';
import { finalStatus } from '../store/runStatus';
import type { EventDeps } from './deps';
import type { OpenRunState } from './eventState';

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Earlier days' runs the state row keeps waiting to close. Reached only when a run's files stay in
 * flight for days (a lost task): the day's run is then kept past its day instead of opening one more,
 * so no run is ever dropped from the list and the row stays small.
 */
export const MAX_OUTGOING_RUNS = 8;

/** The job's open events run, created (and the previous days' retired) as needed. */
export async function openEventsRun(
  deps: EventDeps,
  job: Job,
): Promise<{ run: Run; state: OpenRunState; etag: string }> {
  const { runs, clock } = deps.backup;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const stored = await deps.state.openRun(job.id);
    const now = clock.now();
    const outgoing = stored?.value.outgoingRunIds ?? [];
    const waiting = await stillOpen(deps, job.id, outgoing);
    if (stored && waiting.length < outgoing.length) {
      // Every write of the row is ETag-checked: a conflict means another check changed it, and the
      // next pass reads it again (a run closed meanwhile is final, so it is dropped then).
      await deps.state
        .saveRun(job.id, { ...stored.value, outgoingRunIds: waiting }, stored.etag)
        .catch(conflictIsFine);
      continue;
    }
    const current = stored && (await runs.get(job.id, stored.value.runId));
    const currentOpen = current !== undefined && !FINAL_RUN_STATUSES.has(current.value.status);
    const usable =
      stored && currentOpen && (stored.value.day === utcDay(now) || waiting.length >= MAX_OUTGOING_RUNS);
    if (usable) return { run: current.value, state: stored.value, etag: stored.etag };
    const run: Run = {
      id: newRunId(new Date(now)),
      jobId: job.id,
      kind: 'backup',
      trigger: 'events',
      status: 'running',
      createdAt: new Date(now).toISOString(),
      startedAt: new Date(now).toISOString(),
      // Never complete while open: the backup's completion check then leaves it alone.
      planningComplete: false,
      pagesPlanned: 0,
    };
    await runs.create(run);
    const retired = stored && currentOpen ? stored.value.runId : undefined;
    const state: OpenRunState = {
      runId: run.id,
      day: utcDay(now),
      seq: 0,
      outgoingRunIds: retired ? [...waiting, retired] : waiting,
    };
    try {
      const etag = await deps.state.saveRun(job.id, state, stored?.etag);
      deps.backup.log.info('events.run.opened', { jobId: job.id, runId: run.id, replaces: retired });
      if (retired && (await closeEventsRun(deps, job.id, retired))) {
        const cleared = { ...state, outgoingRunIds: waiting };
        const next = await deps.state.saveRun(job.id, cleared, etag).catch(conflictIsFine);
        return next ? { run, state: cleared, etag: next } : { run, state, etag };
      }
      return { run, state, etag };
    } catch (error) {
      if (!isAppError(error, 'Conflict')) throw error;
      // Another check opened one first: this run was never used, so it goes at once.
      await runs.update(job.id, run.id, {
        status: 'succeeded',
        endedAt: new Date(now).toISOString(),
        totals: await liveTotals(deps, run.id),
        planningComplete: true,
      });
    }
  }
  throw new AppError('Transient', `Could not open the events run of job ${job.id}: it kept changing.`);
}

/** The outgoing runs that could not be closed yet (each is closed here when its files are done). */
async function stillOpen(deps: EventDeps, jobId: string, runIds: readonly string[]): Promise<string[]> {
  const open: string[] = [];
  for (const runId of runIds) if (!(await closeEventsRun(deps, jobId, runId))) open.push(runId);
  return open;
}

/** The next plan row number of the open run (ETag-checked, so two checks never share one). */
export async function nextPlanRow(deps: EventDeps, jobId: string, runId: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const stored = await deps.state.openRun(jobId);
    if (!stored || stored.value.runId !== runId)
      throw new AppError('Conflict', `The events run ${runId} of job ${jobId} is no longer open.`);
    try {
      await deps.state.saveRun(jobId, { ...stored.value, seq: stored.value.seq + 1 }, stored.etag);
      return stored.value.seq;
    } catch (error) {
      if (!isAppError(error, 'Conflict')) throw error;
    }
  }
  throw new AppError('Transient', `Could not number a file of events run ${runId}: the run kept changing.`);
}

/**
 * Closes an events run when none of its files is in flight: its final status and exact totals.
 * False (still open) while a file is planned or uploading, true once closed (or already final).
 */
export async function closeEventsRun(deps: EventDeps, jobId: string, runId: string): Promise<boolean> {
  const { runs, clock, log } = deps.backup;
  const stored = await runs.get(jobId, runId);
  if (!stored || FINAL_RUN_STATUSES.has(stored.value.status)) return true;
  const exact = await runs.countFiles(runId);
  if (exact.inFlight > 0) return false;
  const { inFlight: _inFlight, ...counts } = exact;
  const totals: RunTotals = { ...(await liveTotals(deps, runId)), ...counts };
  const status = finalStatus(totals);
  const endedAt = new Date(clock.now());
  const seconds = Math.max(0.001, (endedAt.getTime() - Date.parse(stored.value.createdAt)) / 1000);
  try {
    await runs.update(
      jobId,
      runId,
      {
        status,
        endedAt: endedAt.toISOString(),
        totals,
        planningComplete: true,
        throughputBytesPerSecond: Math.round(totals.uploadedBytes / seconds),
      },
      stored.etag,
    );
  } catch (error) {
    if (!isAppError(error, 'Conflict')) throw error;
    return false;
  }
  log.info('events.run.closed', { jobId, runId, status, ...totals });
  return true;
}

async function liveTotals(deps: EventDeps, runId: string): Promise<RunTotals> {
  return (await deps.backup.runs.totals(runId)).totals;
}

function conflictIsFine(error: unknown): undefined {
  if (!isAppError(error, 'Conflict')) throw error;
  return undefined;
}
