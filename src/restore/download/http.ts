// The restore engine's context for the one Graph HTTP layer (../../graph/http.ts): the per-restore
// clock, retry policy, deadline and counters. The layer's meter fills the restore's statistics:
// Graph API calls and retries here, range requests in ./rangeReader.ts.
import type { SharedBackoff } from '../../graph/backoff';
import type { GraphHttpContext } from '../../graph/http';
import type { Logger } from '../../log/logger';
import type { Clock } from '../../runtime/clock';
import type { RetryPolicy } from '../../runtime/retry';
import type { DownloadStats } from './types';

export interface HttpContext {
  clock: Clock;
  retry: RetryPolicy;
  log: Logger;
  requestTimeoutMs: number;
  deadline: number;
  stats: DownloadStats;
  fetch: typeof fetch;
  /** The connection's shared throttling gate; none: this restore waits alone. */
  backoff?: { gate: SharedBackoff; key: string };
}

/**
 * The layer's context for this restore, each request counted under `counter`: Graph API calls as
 * graphRequests, reads from the download host as rangeRequests.
 */
export function meteredContext(
  ctx: HttpContext,
  counter: 'graphRequests' | 'rangeRequests',
): GraphHttpContext {
  return {
    ...ctx,
    meter: {
      request: () => {
        ctx.stats[counter] += 1;
      },
      retry: () => {
        ctx.stats.retries += 1;
      },
    },
  };
}
