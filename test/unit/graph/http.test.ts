import { AppError } from '../../../src/errors';
import { graphFailureToError } from '../../../src/graph/errors';
import { graphCall, type AccessTokenProvider, type GraphHttpContext } from '../../../src/graph/http';
import { createLogger, setLogSink } from '../../../src/log/logger';
import { ManualClock } from '../../../src/runtime/clock';
import { DeadlineReached, DEFAULT_RETRY_POLICY, RetriesExhausted } from '../../../src/runtime/retry';
import { SharedBackoff } from '../../../src/graph/backoff';
import { setUserAgentPublisher } from '../../../src/graph/userAgent';
import packageJson from '../../../package.json';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'reset';

/** A fetch that plays `answers` in order and records the authorization header of each request. */
function scriptedFetch(answers: Answer[]) {
  const seen: Array<string | undefined> = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    seen.push((init.headers as Record<string, string> | undefined)?.authorization);
    const answer = answers.shift() ?? { status: 500 };
    if (answer === 'reset') throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: answer.headers,
    });
  }) as unknown as typeof fetch;
  return { fetchImpl, seen };
}

function context(
  fetchImpl: typeof fetch,
  clock: ManualClock,
  deadline = Number.MAX_SAFE_INTEGER,
): GraphHttpContext {
  return {
    clock,
    retry: { ...DEFAULT_RETRY_POLICY, random: () => 0.5 },
    log: createLogger(),
    requestTimeoutMs: 1_000,
    deadline,
    fetch: fetchImpl,
  };
}

const request = { method: 'GET' as const, url: 'https://graph.example/v1.0/me/drive' };

let restoreSink: (() => void) | undefined;
beforeAll(() => {
  const previous = setLogSink(() => undefined);
  restoreSink = () => setLogSink(previous);
});
afterAll(() => restoreSink?.());

describe('the Graph error mapping', () => {
  it.each([
    [401, undefined, 'Unauthorized'],
    [403, 'accessDenied', 'ConsentRequired'],
    [404, 'itemNotFound', 'NotFound'],
    [409, 'nameAlreadyExists', 'Conflict'],
    [507, 'quotaLimitReached', 'QuotaExceeded'],
    [400, 'quotaLimitReached', 'QuotaExceeded'],
    [429, undefined, 'Throttled'],
    [502, undefined, 'Transient'],
    [undefined, undefined, 'Transient'],
    [400, 'invalidRequest', 'UpstreamError'],
  ])('maps %s %s to %s', (status, code, expected) => {
    expect(graphFailureToError({ status, code }, 'Read item').code).toBe(expected);
  });

  it("gives a 404 the caller's advice when it has one", () => {
    expect(graphFailureToError({ status: 404 }, 'Read item', { notFoundAdvice: 'Restore it.' }).advice).toBe(
      'Restore it.',
    );
    expect(graphFailureToError({ status: 404 }, 'Read item').advice).toMatch(/still exists/);
  });
});

describe('graphCall', () => {
  it('refreshes the token once after a 401, then maps a second 401 to Unauthorized', async () => {
    const clock = new ManualClock();
    const { fetchImpl, seen } = scriptedFetch([{ status: 401 }, { status: 401 }]);
    let issued = 0;
    const tokens: AccessTokenProvider = async () => `t${++issued}`;
    await expect(graphCall(context(fetchImpl, clock), tokens, request, 'Read drive')).rejects.toMatchObject({
      code: 'Unauthorized',
    });
    expect(seen).toEqual(['Bearer t1', 'Bearer t2']);
    expect(clock.sleeps).toEqual([]);
  });

  it('waits for Retry-After on 429 and backs off after a reset', async () => {
    const clock = new ManualClock();
    const { fetchImpl } = scriptedFetch([
      { status: 429, headers: { 'retry-after': '3' } },
      'reset',
      { status: 200, body: { id: 'd1' } },
    ]);
    const result = await graphCall(context(fetchImpl, clock), async () => 't', request, 'Read drive');
    expect(result.body).toEqual({ id: 'd1' });
    // 3 s as asked; then the second backoff: half (random 0.5) of 1000 ms.
    expect(clock.sleeps).toEqual([3000, 500]);
  });

  it('throws a retryable Throttled error instead of waiting past the deadline', async () => {
    const clock = new ManualClock();
    const { fetchImpl } = scriptedFetch([{ status: 503, headers: { 'retry-after': '60' } }]);
    const attempt = graphCall(context(fetchImpl, clock, clock.now() + 10_000), async () => 't', request, 'x');
    await expect(attempt).rejects.toMatchObject({ code: 'Throttled', retryAfterSeconds: 60 });
    expect(clock.sleeps).toEqual([]);
  });

  it('fails 403 at once as ConsentRequired', async () => {
    const clock = new ManualClock();
    const { fetchImpl, seen } = scriptedFetch([
      { status: 403, body: { error: { code: 'accessDenied', message: 'no' } } },
    ]);
    await expect(graphCall(context(fetchImpl, clock), async () => 't', request, 'x')).rejects.toMatchObject({
      code: 'ConsentRequired',
    });
    expect(seen).toHaveLength(1);
  });

  it('retries a transient token failure, but not one whose source already spent its retries', async () => {
    const clock = new ManualClock();
    const { fetchImpl } = scriptedFetch([{ status: 200, body: {} }]);
    let calls = 0;
    const flaky: AccessTokenProvider = async () => {
      if (++calls === 1) throw new AppError('Transient', 'token endpoint answered 500');
      return 't';
    };
    await graphCall(context(fetchImpl, clock), flaky, request, 'x');
    expect(calls).toBe(2);

    let spentCalls = 0;
    const spent: AccessTokenProvider = async () => {
      spentCalls += 1;
      throw new RetriesExhausted('Transient', 'sign-in unavailable');
    };
    await expect(graphCall(context(fetchImpl, clock), spent, request, 'x')).rejects.toBeInstanceOf(
      RetriesExhausted,
    );
    expect(spentCalls).toBe(1);
  });

  it('hands the deadline to the token source', async () => {
    const clock = new ManualClock();
    const { fetchImpl } = scriptedFetch([{ status: 200, body: {} }]);
    const limits: unknown[] = [];
    const deadline = clock.now() + 30_000;
    await graphCall(
      context(fetchImpl, clock, deadline),
      async (_o, l) => (limits.push(l), 't'),
      request,
      'x',
    );
    expect(limits).toEqual([{ deadline }]);
  });
});

describe('traffic decoration and the shared throttling gate', () => {
  it("sends Microsoft's ISV User-Agent on every request, with the configured publisher", async () => {
    const agents: Array<string | undefined> = [];
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      agents.push((init.headers as Record<string, string>)['user-agent']);
      return new Response('{}', { status: 200 });
    }) as unknown as typeof fetch;
    const clock = new ManualClock();
    await graphCall(context(fetchImpl, clock), async () => 't', request, 'x');
    setUserAgentPublisher('Contoso Ltd');
    try {
      await graphCall(context(fetchImpl, clock), async () => 't', request, 'x');
    } finally {
      setUserAgentPublisher(undefined);
    }
    expect(agents).toEqual([
      `ISV|azure-onedrive-backup|azure-onedrive-backup/${packageJson.version}`,
      `ISV|Contoso Ltd|azure-onedrive-backup/${packageJson.version}`,
    ]);
  });

  it('holds every request of a connection until a Retry-After one of them received has passed', async () => {
    const clock = new ManualClock();
    const gate = new SharedBackoff();
    const sentAt: number[] = [];
    const answers: Answer[] = [
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 200, body: {} },
    ];
    const fetchImpl = (async () => {
      sentAt.push(clock.now());
      const answer = answers.shift() as { status: number; body?: unknown; headers?: Record<string, string> };
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), answer);
    }) as unknown as typeof fetch;
    const waited: number[] = [];
    const ctx = (key: string): GraphHttpContext => ({
      ...context(fetchImpl, clock),
      backoff: { gate, key },
      meter: { request: () => undefined, retry: () => undefined, waited: (ms) => waited.push(ms) },
    });
    const start = clock.now();
    await graphCall(ctx('conn-1'), async () => 't', request, 'first');
    // The throttled call waited its 7 s; the gate now holds conn-1 until start + 7 s, so a call that
    // starts 2 s later (clock moved back to model a concurrent worker) waits the remaining 5 s.
    expect(waited).toEqual([7_000]);
    gate.hold('conn-1', clock.now() + 5_000);
    answers.push({ status: 200, body: {} }, { status: 200, body: {} });
    await graphCall(ctx('conn-1'), async () => 't', request, 'second');
    expect(waited).toEqual([7_000, 5_000]);
    // Another connection is not held.
    gate.hold('conn-1', clock.now() + 5_000);
    await graphCall(ctx('conn-2'), async () => 't', request, 'other');
    expect(waited).toEqual([7_000, 5_000]);
    expect(sentAt[0]).toBe(start);
  });

  it('refuses to wait for the gate past the deadline (the caller hands over)', async () => {
    const clock = new ManualClock();
    const gate = new SharedBackoff();
    gate.hold('conn-1', clock.now() + 60_000);
    const { fetchImpl } = scriptedFetch([{ status: 200, body: {} }]);
    await expect(
      graphCall(
        { ...context(fetchImpl, clock, clock.now() + 10_000), backoff: { gate, key: 'conn-1' } },
        async () => 't',
        request,
        'x',
      ),
    ).rejects.toBeInstanceOf(DeadlineReached);
  });
});
