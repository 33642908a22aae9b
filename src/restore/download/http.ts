// Shared pieces of the engine's HTTP exchanges: the per-restore context, how long to wait before a
// retry (Retry-After for 429/503, backoff with jitter otherwise), and the time budget: a wait that
// would cross the invocation's deadline is not waited; the engine hands over to a continuation.
import { AppError } from '../../errors';
import type { Logger } from '../../log/logger';
import type { Clock } from '../../backup/upload/clock';
import { backoffDelay, parseRetryAfter, type RetryPolicy } from '../../backup/upload/retryPolicy';
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

/** Thrown inside the engine when a wait would cross the deadline; becomes a continuation. */
export class OutOfBudget extends Error {
  constructor(readonly retryAfterMs: number) {
    super('The invocation budget ran out while waiting to retry');
  }
}

/** A failure worth another try, with how long the server asked us to wait (if it did). */
export interface RetryableFailure {
  detail: string;
  /** From Retry-After on 429/503; backoff is used when absent. */
  retryAfterMs?: number;
  throttled: boolean;
}

export function throttledFailure(ctx: HttpContext, response: Response): RetryableFailure {
  const hinted = parseRetryAfter(response.headers.get('retry-after'), ctx.clock.now());
  return {
    detail: `${response.status}`,
    retryAfterMs: hinted ?? ctx.retry.defaultRetryAfterMs,
    throttled: true,
  };
}

/**
 * Waits before retry number `attempt`, or throws: Transient after too many consecutive failures,
 * OutOfBudget when the wait would end past the deadline (the next invocation retries instead).
 */
export async function pauseBeforeRetry(
  ctx: HttpContext,
  what: string,
  failure: RetryableFailure,
  attempt: number,
): Promise<void> {
  if (attempt >= ctx.retry.maxAttempts)
    throw new AppError('Transient', `${what}: kept failing (${failure.detail}).`, {
      detail: failure.detail,
      advice: 'The file is retried on the next delivery of its task.',
    });
  const delay = failure.throttled
    ? Math.min(failure.retryAfterMs ?? ctx.retry.defaultRetryAfterMs, ctx.retry.maxRetryAfterMs)
    : backoffDelay(ctx.retry, attempt);
  if (ctx.clock.now() + delay > ctx.deadline) throw new OutOfBudget(delay);
  ctx.stats.retries += 1;
  ctx.log.warn('restore.retry', { what, attempt, reason: failure.detail, delayMs: delay });
  await ctx.clock.sleep(delay);
}

/** The detail of a failed fetch (reset, refused, timeout), never the URL (download URLs are credentials). */
export function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `network ${cause?.code ?? cause?.message ?? (error as Error).message ?? 'error'}`;
}

export function isAbort(error: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true && (error as Error)?.name === 'AbortError';
}

/** `{error: {code, message}}` as Graph spells it, read defensively. */
export async function graphErrorOf(response: Response): Promise<{ code: string; message: string }> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    code: typeof error?.code === 'string' ? error.code : `http${response.status}`,
    message: typeof error?.message === 'string' ? error.message.slice(0, 300) : `HTTP ${response.status}`,
  };
}
