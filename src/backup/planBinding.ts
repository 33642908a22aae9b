// Plan pages are bound to their run, as upload continuations are bound to their file: the run row
// holds the page it expects next and a hash of the continuation token that page must carry, and
// each page's row keeps the hash of the token it was listed with. A plan message is only a pointer;
// one that names any other page or token is refused, so a forged message can neither list an
// empty page in place of a real one nor mark a run fully planned (after which propagated deletions
// would remove everything the run did not see).
import { createHash } from 'node:crypto';
import { AppError, isAppError } from '../errors';
import type { Run, RunStore } from '../store/runs';
import type { PlanMessage } from './messages';

/** SHA-256 of a listing continuation token; '' for the first page, which has none. */
export function planTokenHash(token: string | undefined): string {
  return token === undefined ? '' : createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * 'next' is the page the run expects; 'recorded' is a redelivery of a page already recorded with
 * the same token (its work is idempotent). Throws MessageInvalid for anything else. The reason
 * names pages, never the token.
 */
export async function bindPlanPage(
  runs: Pick<RunStore, 'getPage'>,
  run: Run,
  message: PlanMessage,
): Promise<'next' | 'recorded'> {
  const hash = planTokenHash(message.continuationToken);
  if (run.kind !== 'backup') throw refused(`run ${run.id} is not a backup run`);
  if (run.nextPage === undefined)
    throw refused(
      `run ${run.id} was started by an earlier version that did not bind its pages; start the backup again`,
    );
  if (!run.planningComplete && message.page === run.nextPage && hash === run.nextPageTokenHash) return 'next';
  const recorded = await runs.getPage(run.id, message.page);
  if (recorded && recorded.tokenHash === hash) return 'recorded';
  throw refused(
    run.planningComplete
      ? `run ${run.id} is fully planned and page ${message.page} was not listed with this token`
      : `page ${message.page} with this continuation token is not the page run ${run.id} expects next (page ${run.nextPage}) nor one it listed`,
  );
}

/** For the poison handler: true when the message is one of its run's own pages (or the run predates binding). */
export async function isRunsOwnPage(
  runs: Pick<RunStore, 'getPage'>,
  run: Run,
  message: PlanMessage,
): Promise<boolean> {
  if (run.kind === 'backup' && run.nextPage === undefined) return true;
  try {
    await bindPlanPage(runs, run, message);
    return true;
  } catch (error) {
    if (isAppError(error, 'MessageInvalid')) return false;
    throw error;
  }
}

function refused(why: string): AppError {
  return new AppError('MessageInvalid', `Plan message refused: ${why}.`, {
    advice:
      'Plan messages are written by this app for the page its run expects; an altered or replayed one is set aside in the poison queue and changes nothing.',
  });
}
