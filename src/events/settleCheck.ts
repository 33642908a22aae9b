// The settle check: runs EVENTS_SETTLE_SECONDS after a blob event, and acts only if that event is
// still the blob's latest (a newer one has its own check). Everything it decides comes from the
// source and the manifest, never from the event: the blob's current properties are read again, a
// blob still changing is looked at again later, a version the manifest already holds is not copied
// again (so an old or duplicated event can never overwrite a newer copy), a blob that is gone is a
// deletion (propagated only when the job asks), and a blob that exists is never deleted, whatever
// event came last (deleted, then re-created).
import { QUEUES } from '../app/queues';
import { AppError, isAppError } from '../errors';
import { manifestMatches } from '../store/manifest';
import { FINAL_RUN_STATUSES } from '../store/runs';
import { plannedFileOf } from '../backup/uploadTasks';
import { eventDriven } from '../store/jobs';
import type { SourceItem } from '../sources/types';
import { removeDeletedBlob } from './deletion';
import type { EventDeps } from './deps';
import { nextPlanRow, openEventsRun } from './eventRun';
import { parseSettleMessage, type SettleMessage } from './messages';
import { queueUploadTask } from './queueUpload';

/**
 * How often a check waits again for a blob that keeps changing (or whose older version is still
 * being copied) before leaving it to the scheduled run.
 */
export const MAX_SETTLE_WAITS = 60;

export type SettleOutcome =
  'superseded' | 'not-for-events' | 'waiting' | 'unchanged' | 'queued' | 'removed' | 'gone' | 'gave-up';

export async function handleSettleCheck(deps: EventDeps, raw: unknown): Promise<SettleOutcome> {
  const message = parseSettleMessage(raw);
  const { backup, state } = deps;
  const log = backup.log.child({ jobId: message.jobId, file: message.blobName });
  const latest = await state.latest(message.jobId, message.blobName);
  if (!latest || latest.value.token !== message.token) {
    log.info('events.check.superseded');
    return 'superseded';
  }
  const job = await backup.jobs.get(message.jobId);
  // The row is keyed by job and blob, but the message is still checked against what the job says.
  if (!job || !eventDriven(job) || !message.blobName.startsWith(job.source.prefix ?? '')) {
    log.info('events.check.skipped', { reason: 'the job no longer takes events for this blob' });
    await state.settled(message.jobId, message.blobName, latest.etag);
    return 'not-for-events';
  }

  let item: SourceItem;
  try {
    item = await backup.source(job).properties(message.blobName);
  } catch (error) {
    if (!isAppError(error, 'NotFound')) throw error;
    const outcome = job.propagateDeletes ? await removeDeletedBlob(deps, job, message.blobName) : 'kept';
    log.info('events.check.gone', { outcome });
    await state.settled(message.jobId, message.blobName, latest.etag);
    return outcome === 'removed' ? 'removed' : 'gone';
  }
  item = { ...item, name: message.blobName };
  if (latest.value.kind === 'deleted')
    // The blob exists: re-created after the deletion this event announced. The deletion is ignored;
    // the blob as it is now is backed up like any other.
    log.info('events.delete.ignored', { reason: 'the blob exists again' });

  const settleMs = deps.settings.settleSeconds * 1000;
  const quietFor = backup.clock.now() - item.lastModified.getTime();
  if (quietFor < settleMs)
    return waitAgain(deps, message, Math.ceil((settleMs - quietFor) / 1000), 'still changing');

  if (manifestMatches(await backup.manifest.get(job.id, item.name), item, job)) {
    log.info('events.check.unchanged');
    await state.settled(message.jobId, message.blobName, latest.etag);
    return 'unchanged';
  }

  for (let attempt = 0; attempt < 3; attempt += 1) {
    const { run } = await openEventsRun(deps, job);
    const planned = latest.value.plannedRunId === run.id ? latest.value.plannedRow : undefined;
    if (planned === undefined) {
      const file = await backup.runs.getFile(run.id, item.name);
      if (file && file.status !== 'uploaded' && file.status !== 'failed')
        // An earlier version is in flight in this run: copying this one beside it could let the older
        // copy land last. Wait for it; this version is then planned again in the same run.
        return waitAgain(deps, message, deps.settings.settleSeconds, 'an earlier version is being copied');
    }
    let etag = latest.etag;
    const planRow = planned ?? (await nextPlanRow(deps, job.id, run.id));
    if (planned === undefined) {
      try {
        etag = await state.markPlanned(message.jobId, message.blobName, latest.etag, run.id, planRow);
      } catch (error) {
        if (!isAppError(error, 'Conflict') && !isAppError(error, 'NotFound')) throw error;
        log.info('events.check.superseded', { reason: 'a newer event arrived' });
        return 'superseded';
      }
    }
    // Planned in the day's run even when it already holds a result for this blob (an earlier version):
    // the row is replaced and that result kept beside it (RunStore.planEventFile), so a blob rewritten
    // all day long stays one run instead of one run per change.
    const plan = await backup.runs.planEventFile(run.id, planRow, plannedFileOf(item));
    if (plan === 'busy')
      // Another version got the row first (after this check looked): wait for it as above.
      return waitAgain(deps, message, deps.settings.settleSeconds, 'an earlier version is being copied');
    await queueUploadTask(deps, { runId: run.id, jobId: job.id, planRow }, item);
    // A run closed between opening and planning would drop the task: plan it again in the open one.
    const after = await backup.runs.get(job.id, run.id);
    if (after && FINAL_RUN_STATUSES.has(after.value.status)) {
      latest.value.plannedRunId = undefined;
      latest.etag = etag;
      continue;
    }
    log.info('events.check.queued', { runId: run.id, bytes: item.size });
    await state.settled(message.jobId, message.blobName, etag);
    return 'queued';
  }
  throw new AppError('Transient', `Could not queue ${message.blobName}: its events run kept closing.`);
}

async function waitAgain(
  deps: EventDeps,
  message: SettleMessage,
  seconds: number,
  reason: string,
): Promise<SettleOutcome> {
  const log = deps.backup.log.child({ jobId: message.jobId, file: message.blobName });
  if (message.waits >= MAX_SETTLE_WAITS) {
    log.warn('events.check.gave-up', { reason, waits: message.waits, note: 'the scheduled run copies it' });
    return 'gave-up';
  }
  await deps.backup.send(
    QUEUES.blobSettle,
    { ...message, waits: message.waits + 1 } satisfies SettleMessage,
    { visibilityTimeoutSeconds: Math.max(1, seconds) },
  );
  log.info('events.check.waiting', { reason, seconds });
  return 'waiting';
}
