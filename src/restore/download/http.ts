// The restore engine's context for the one Graph HTTP layer (../../graph/http.ts): the per-restore
// clock, retry policy, deadline and counters. The layer's meter fills the restore's statistics:
// Graph API calls and retries here, range requests in ./rangeReader.ts.
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
}

/** The layer's context for Graph API calls, counted as such. */
export function graphApiContext(ctx: HttpContext): GraphHttpContext {
  return {
    ...ctx,
    meter: {
      request: () => {
        ctx.stats.graphRequests += 1;
      },
      retry: () => {
        ctx.stats.retries += 1;
      },
    },
  };
}

/** The layer's context for the download host, counted as range requests. */
export function downloadContext(ctx: HttpContext): GraphHttpContext {
  return {
    ...ctx,
    meter: {
      request: () => {
        ctx.stats.rangeRequests += 1;
      },
      retry: () => {
        ctx.stats.retries += 1;
      },
    },
  };
}
