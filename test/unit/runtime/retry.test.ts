import { AppError } from '../../../src/errors';
import { ManualClock } from '../../../src/runtime/clock';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  nextRetryStep,
  parseRetryAfter,
  retrying,
  type RetryDecision,
  type RetryPolicy,
} from '../../../src/runtime/retry';

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  ...DEFAULT_RETRY_POLICY,
  random: () => 0.5,
  ...overrides,
});

const transient: RetryDecision = { retry: true, reason: 'status 500' };

/** An operation that fails `failures` times with `error`, then returns 'done'. */
function flaky(failures: number, error: unknown = new Error('reset')) {
  const calls: number[] = [];
  const operation = async (attempt: number): Promise<string> => {
    calls.push(attempt);
    if (calls.length <= failures) throw error;
    return 'done';
  };
  return { operation, calls };
}

describe('backoff', () => {
  it('doubles its ceiling per attempt up to the maximum, with full jitter by default', () => {
    const top = policy({ random: () => 0.999999 });
    expect(backoffDelay(top, 1)).toBe(499);
    expect(backoffDelay(top, 2)).toBe(999);
    expect(backoffDelay(top, 4)).toBe(3999);
    expect(backoffDelay(top, 40)).toBe(29_999);
    expect(backoffDelay(policy({ random: () => 0 }), 6)).toBe(0);
  });

  it('keeps the fixed share of the ceiling when jitter is partial', () => {
    expect(backoffDelay(policy({ jitter: 0.5, random: () => 0 }), 3)).toBe(1000);
    expect(backoffDelay(policy({ jitter: 0.5, random: () => 0.999999 }), 3)).toBe(1999);
  });
});

describe('Retry-After', () => {
  it('reads delta seconds and HTTP dates, and nothing else', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter(new Date(now + 9000).toUTCString(), now)).toBe(9000);
    expect(parseRetryAfter(new Date(now - 9000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('later', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('the next retry step', () => {
  it('waits what the server asked, capped, instead of backing off', () => {
    const clock = new ManualClock();
    expect(nextRetryStep(policy(), clock, { attempt: 1, retryAfterMs: 12_000 })).toEqual({
      action: 'wait',
      delayMs: 12_000,
    });
    expect(
      nextRetryStep(policy({ maxRetryAfterMs: 60_000 }), clock, { attempt: 1, retryAfterMs: 600_000 }),
    ).toEqual({ action: 'wait', delayMs: 60_000 });
  });

  it('gives up once the attempts are spent', () => {
    const clock = new ManualClock();
    expect(nextRetryStep(policy({ maxAttempts: 3 }), clock, { attempt: 2 }).action).toBe('wait');
    expect(nextRetryStep(policy({ maxAttempts: 3 }), clock, { attempt: 3 })).toEqual({
      action: 'give-up',
      why: 'attempts',
    });
  });

  it('gives up rather than wait past the deadline, and waits when the wait ends exactly on it', () => {
    const clock = new ManualClock();
    const deadline = clock.now() + 5_000;
    expect(nextRetryStep(policy(), clock, { attempt: 1, retryAfterMs: 5_001, deadline })).toEqual({
      action: 'give-up',
      why: 'deadline',
      delayMs: 5_001,
    });
    expect(nextRetryStep(policy(), clock, { attempt: 1, retryAfterMs: 5_000, deadline })).toEqual({
      action: 'wait',
      delayMs: 5_000,
    });
  });
});

describe('retrying', () => {
  it('retries retryable failures until the operation succeeds, sleeping the backoff between', async () => {
    const clock = new ManualClock();
    const { operation, calls } = flaky(2);
    const result = await retrying(operation, { policy: policy(), clock, decide: () => transient });
    expect(result).toBe('done');
    expect(calls).toEqual([1, 2, 3]);
    // random 0.5 of ceilings 500 and 1000.
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it('honours Retry-After from the decision', async () => {
    const clock = new ManualClock();
    const { operation } = flaky(1);
    await retrying(operation, {
      policy: policy(),
      clock,
      decide: () => ({ retry: true, reason: 'status 429', retryAfterMs: 7_000 }),
    });
    expect(clock.sleeps).toEqual([7_000]);
  });

  it('rethrows a final failure at once, without sleeping', async () => {
    const clock = new ManualClock();
    const refused = new AppError('ReauthRequired', 'sign in again');
    const { operation, calls } = flaky(5, refused);
    await expect(
      retrying(operation, { policy: policy(), clock, decide: () => ({ retry: false }) }),
    ).rejects.toBe(refused);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('rethrows the last failure after the last attempt', async () => {
    const clock = new ManualClock();
    const last = new Error('still down');
    const { operation, calls } = flaky(10, last);
    await expect(
      retrying(operation, { policy: policy({ maxAttempts: 4 }), clock, decide: () => transient }),
    ).rejects.toBe(last);
    expect(calls).toEqual([1, 2, 3, 4]);
    expect(clock.sleeps).toHaveLength(3);
  });

  it('never sleeps past the deadline: it stops when the next wait would cross it', async () => {
    const clock = new ManualClock();
    const started = clock.now();
    const deadline = started + 1_000;
    const { operation, calls } = flaky(10);
    await expect(
      retrying(operation, { policy: policy(), clock, deadline, decide: () => transient }),
    ).rejects.toThrow('reset');
    // Waits of 250 and 500 fit (ending at 750 ms); the next one (1000 ms) would end at 1750.
    expect(clock.sleeps).toEqual([250, 500]);
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.now()).toBeLessThanOrEqual(deadline);
  });

  it('tells the caller about each wait before it happens', async () => {
    const clock = new ManualClock();
    const seen: Array<{ attempt: number; delayMs: number; reason: string }> = [];
    const { operation } = flaky(2);
    await retrying(operation, {
      policy: policy(),
      clock,
      decide: () => transient,
      onRetry: (retry) => seen.push({ ...retry, at: clock.now() } as never),
    });
    expect(seen).toEqual([
      { attempt: 1, delayMs: 250, reason: 'status 500', at: Date.UTC(2026, 0, 1) },
      { attempt: 2, delayMs: 500, reason: 'status 500', at: Date.UTC(2026, 0, 1) + 250 },
    ]);
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
  it('backs off exponentially with full jitter, capped', () => {
    const top = { ...DEFAULT_RETRY_POLICY, random: () => 0.999999 };
    expect(backoffDelay(top, 1)).toBe(499);
    expect(backoffDelay(top, 3)).toBe(1999);
    expect(backoffDelay(top, 30)).toBe(29_999);
    expect(backoffDelay({ ...top, random: () => 0 }, 5)).toBe(0);
  });
});
