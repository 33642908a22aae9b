// A guard in front of propagated deletions. "Deleted at source" means "not seen by this run's
// listing", so any listing that went wrong (a forged or stale continuation, a prefix or permission
// problem, a page the service answered empty) looks exactly like a source that lost its files, and
// acting on it removes the mirror's copies while the blobs still exist. A run that saw less than
// half of the manifest's entries and would remove more than MASS_DELETE_MIN files is therefore
// checked against the source itself, blob by blob, for a sample of the files it would remove: one
// that still exists refuses every "deleted at source" removal of the run. A real mass deletion
// passes (every sampled blob is gone) at the cost of a few HEAD requests; small clean-ups never
// pay it. Half is far from what day-to-day churn deletes, and a listing failure usually sees
// nothing at all, so the threshold separates the two without a setting.
import type { BlobSource } from '../sources/types';
import { isAppError } from '../errors';

/** Below this share of the manifest seen by the run, removals need the source's confirmation. */
export const MASS_DELETE_SEEN_RATIO = 0.5;
/** Up to this many removals never need confirmation (a small manifest's normal churn). */
export const MASS_DELETE_MIN = 10;
/** Blobs asked about, spread evenly over the files to remove. */
const CONFIRM_SAMPLE = 20;

export type DeletionVerdict =
  { allowed: true; confirmed: boolean } | { allowed: false; reason: string; stillThere: string };

export async function checkMassDeletion(
  source: Pick<BlobSource, 'properties'>,
  counts: { manifestEntries: number; seenByRun: number },
  gone: readonly string[],
): Promise<DeletionVerdict> {
  const few = gone.length <= MASS_DELETE_MIN;
  if (few || counts.seenByRun >= counts.manifestEntries * MASS_DELETE_SEEN_RATIO)
    return { allowed: true, confirmed: false };
  const step = Math.max(1, Math.floor(gone.length / CONFIRM_SAMPLE));
  for (let i = 0; i < gone.length; i += step) {
    if (await exists(source, gone[i]))
      return {
        allowed: false,
        stillThere: gone[i],
        reason:
          `the run listed ${counts.seenByRun} of the manifest's ${counts.manifestEntries} files and would remove ` +
          `${gone.length} as deleted at source, but the source still holds "${gone[i]}"; nothing was removed as deleted at source`,
      };
  }
  return { allowed: true, confirmed: true };
}

async function exists(source: Pick<BlobSource, 'properties'>, name: string): Promise<boolean> {
  try {
    await source.properties(name);
    return true;
  } catch (error) {
    if (isAppError(error, 'NotFound')) return false;
    throw error;
  }
}
