// A BlobDeleted event for a mirror that propagates deletions: the copy leaves the drive the way the
// scheduled run's housekeeping removes it (recycle bin, or permanentDelete when the job asks and the
// drive can), and its manifest entry with it. The event alone never decides it: the source is asked
// first, and a blob that exists again (deleted, then re-created) keeps its copy. That one blob is
// all it can remove, which is what the mass-deletion guard (../backup/deletionGuard.ts) confirms
// blob by blob for a scheduled run's sample.
import { isAppError } from '../errors';
import { Remover } from '../backup/retention';
import type { Job } from '../store/jobs';
import { inCurrentPlace } from '../store/manifest';
import type { EventDeps } from './deps';

export type DeletionOutcome = 'removed' | 'still-there' | 'not-copied';

export async function removeDeletedBlob(
  deps: EventDeps,
  job: Job,
  blobName: string,
): Promise<DeletionOutcome> {
  const { backup } = deps;
  if (await stillThere(deps, job, blobName)) return 'still-there';
  const entry = await backup.manifest.get(job.id, blobName);
  if (!entry) return 'not-copied';
  if (!inCurrentPlace(entry, job)) {
    // Copied to the job's previous destination: that copy is no longer the job's to delete.
    await backup.manifest.delete(job.id, blobName);
    return 'not-copied';
  }
  const remover = new Remover(backup, await backup.destination(job.connectionId), job.hardDelete);
  await remover.remove(entry.driveItemId);
  await backup.manifest.delete(job.id, blobName);
  backup.log.info('events.file.removed', { jobId: job.id, file: blobName, why: 'deleted at source' });
  return 'removed';
}

async function stillThere(deps: EventDeps, job: Job, blobName: string): Promise<boolean> {
  try {
    await deps.backup.source(job).properties(blobName);
    return true;
  } catch (error) {
    if (isAppError(error, 'NotFound')) return false;
    throw error;
  }
}
