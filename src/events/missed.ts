// The safety net's figure: of the files a scheduled run found to upload, how many blob events should
// have copied already. Events are at-least-once but may be dropped once their retry policy gives up
// (or the subscription was down), so the schedule still lists and diffs everything; this count says
// how often it had to catch what events missed, which should be zero.
import { takesEvents, type Job } from '../store/jobs';
import type { SourceItem } from '../sources/types';

/**
 * Beyond the settle time, how long an event may take to arrive and its upload to finish before a
 * file still waiting for it counts as missed. Event Grid delivers storage events within seconds;
 * a minute also covers the settle check's queue polling and one large upload.
 */
export const MISSED_MARGIN_SECONDS = 60;

export function countMissedByEvents(
  job: Pick<Job, 'trigger' | 'eventsSince'>,
  upload: ReadonlyArray<Pick<SourceItem, 'lastModified'>>,
  nowMs: number,
  settleSeconds: number | undefined,
): number {
  if (!takesEvents(job) || settleSeconds === undefined) return 0;
  // Last-Modified has whole seconds: a blob written in the second events began may read as earlier.
  const since = job.eventsSince
    ? Math.floor(Date.parse(job.eventsSince) / 1000) * 1000
    : Number.NEGATIVE_INFINITY;
  const before = nowMs - (settleSeconds + MISSED_MARGIN_SECONDS) * 1000;
  let missed = 0;
  for (const item of upload) {
    const changed = item.lastModified.getTime();
    // Changed before events were on: no event ever announced it. Changed recently: its event may
    // still be settling or its upload in flight.
    if (changed >= since && changed < before) missed += 1;
  }
  return missed;
}
