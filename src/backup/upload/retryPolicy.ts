// How long to wait before trying again. Throttling answers (429, 503) say how long in Retry-After and
// we obey it; other transient failures back off exponentially with "full jitter", so many workers
// that failed together do not retry together.

export interface RetryPolicy {
  /** Consecutive failures without progress before the file fails. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Used when a 429/503 carries no Retry-After. */
  defaultRetryAfterMs: number;
  /** A Retry-After beyond this is treated as "not in this invocation". */
  maxRetryAfterMs: number;
  /** 0..1 random source, injectable so tests are repeatable. */
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  defaultRetryAfterMs: 5_000,
  maxRetryAfterMs: 300_000,
  random: Math.random,
};

/** Delay before retry number `attempt` (1-based): uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Retry-After in milliseconds from a header value: delta seconds or an HTTP date. Undefined when
 * absent or unreadable, so the caller can fall back to its default.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
