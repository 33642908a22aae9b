// The one retry policy: how many attempts, how long to wait between them, and never a wait that
// would end after the invocation's deadline. Throttling answers name their wait (Retry-After) and
// it is obeyed; other transient failures back off exponentially with jitter, so many workers that
// failed together do not retry together. Callers decide what is retryable (a typed decision); the
// policy decides when, and whether there is still time.
import { AppError } from '../errors';
import type { Clock } from './clock';

export interface RetryPolicy {
  /** Attempts in all, the first included; after that many failures the operation gives up. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Ceiling of one backoff wait. */
  maxDelayMs: number;
  /** The wait for a throttling answer that names none (Retry-After missing). */
  defaultRetryAfterMs: number;
  /** A Retry-After is capped to this; beyond it a caller with a deadline hands over instead. */
  maxRetryAfterMs: number;
  /**
   * Share of each backoff wait that is random: 1 is "full jitter" (anywhere from 0 up to the
   * exponential ceiling), 0.5 keeps at least half the ceiling. Absent means 1.
   */
  jitter?: number;
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

/** What a caller concluded about one failure. */
export type RetryDecision =
  | { retry: false }
  | {
      retry: true;
      /** Short, loggable reason (a status or a network code; never a URL or a token). */
      reason: string;
      /** The wait the server asked for; absent means back off. */
      retryAfterMs?: number;
    };

/** What to do after failure number `attempt`. */
export type RetryStep =
  | { action: 'wait'; delayMs: number }
  | { action: 'give-up'; why: 'attempts' }
  | { action: 'give-up'; why: 'deadline'; delayMs: number };

/** Delay before retry number `attempt` (1-based): exponential ceiling, jittered, capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jitter = policy.jitter ?? 1;
  return Math.floor(ceiling * (1 - jitter) + policy.random() * ceiling * jitter);
}

/**
 * The next step after failure number `attempt` (1-based): give up when the attempts are spent or
 * when the wait would end after `deadline` (epoch ms); otherwise wait as the server asked or back off.
 */
export function nextRetryStep(
  policy: RetryPolicy,
  clock: Clock,
  failure: { attempt: number; retryAfterMs?: number; deadline?: number },
): RetryStep {
  if (failure.attempt >= policy.maxAttempts) return { action: 'give-up', why: 'attempts' };
  const delayMs =
    failure.retryAfterMs !== undefined
      ? Math.min(Math.max(0, failure.retryAfterMs), policy.maxRetryAfterMs)
      : backoffDelay(policy, failure.attempt);
  if (failure.deadline !== undefined && clock.now() + delayMs > failure.deadline)
    return { action: 'give-up', why: 'deadline', delayMs };
  return { action: 'wait', delayMs };
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

/**
 * The invocation's time ran out before a retry could be waited for. Retryable (code Throttled):
 * a later invocation or delivery can try again; engines with continuations catch it to hand over.
 */
export class DeadlineReached extends AppError {
  constructor(
    what: string,
    /** The wait that did not fit. */
    readonly delayMs: number,
  ) {
    super('Throttled', `${what}: the wait before the next try does not fit in this invocation.`, {
      retryAfterSeconds: Math.ceil(delayMs / 1000),
      advice: 'It is retried by the next invocation.',
    });
  }
}

/**
 * A retry loop gave up after spending all its attempts on a transient failure. Still retryable by
 * a later delivery, but an enclosing retry loop must not start the inner loop's attempts over
 * (that multiplies them: four inside each of eight).
 */
export class RetriesExhausted extends AppError {}

export interface RetryingOptions {
  policy: RetryPolicy;
  clock: Clock;
  /** Epoch ms: no wait may end after it. Absent: no deadline. */
  deadline?: number;
  decide: (error: unknown) => RetryDecision;
  /** Called before each wait (logs and counters). */
  onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
}

/**
 * Runs `operation` until it succeeds, the decision says a failure is final, the attempts are spent
 * or the next wait would cross the deadline; then rethrows the last failure as it was, for the
 * caller to map.
 */
export async function retrying<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryingOptions,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      const decision = options.decide(error);
      if (!decision.retry) throw error;
      const step = nextRetryStep(options.policy, options.clock, {
        attempt,
        retryAfterMs: decision.retryAfterMs,
        deadline: options.deadline,
      });
      if (step.action === 'give-up') throw error;
      options.onRetry?.({ attempt, delayMs: step.delayMs, reason: decision.reason });
      await options.clock.sleep(step.delayMs);
    }
  }
}
