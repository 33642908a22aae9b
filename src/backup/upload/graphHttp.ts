// One HTTP exchange with Graph or an upload URL, and what its answer means for the engine. Every
// request goes through `exchange` so the request count, timeouts and error mapping live in one place.
import { AppError } from '../../errors';
import type { Logger } from '../../log/logger';
import type { Clock } from './clock';
import { backoffDelay, parseRetryAfter, type RetryPolicy } from './retryPolicy';
import type { AccessTokenProvider, UploadStats } from './types';

export interface HttpContext {
  clock: Clock;
  retry: RetryPolicy;
  log: Logger;
  requestTimeoutMs: number;
  stats: UploadStats;
  deadline: number;
}

/** An answer sorted by what to do about it. */
export type Exchange =
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'throttled'; status: number; retryAfterMs: number; hinted: boolean }
  | { kind: 'transient'; status: number; detail: string }
  | { kind: 'network'; detail: string }
  | { kind: 'failed'; status: number; code: string; message: string };

export interface ExchangeRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export async function exchange(ctx: HttpContext, request: ExchangeRequest): Promise<Exchange> {
  ctx.stats.requests += 1;
  if (request.body && typeof request.body !== 'string') ctx.stats.bytesSent += request.body.length;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      ...requestBody(request),
      signal: AbortSignal.timeout(ctx.requestTimeoutMs),
    });
  } catch (error) {
    // fetch rejects for resets, refused connections, TLS failures and our timeout alike: all of them
    // leave the request's fate unknown, which the caller resolves by asking the server.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'network', detail: cause?.code ?? cause?.message ?? (error as Error).message };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { kind: 'network', detail: `response body: ${(error as Error).message}` };
  }
  const body = parseJson(text);
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'ok', status, body };
  const { code, message } = graphError(body, status);
  if (status === 429 || status === 503) {
    const hinted = parseRetryAfter(response.headers.get('retry-after'), ctx.clock.now());
    return {
      kind: 'throttled',
      status,
      retryAfterMs: hinted ?? ctx.retry.defaultRetryAfterMs,
      hinted: hinted !== undefined,
    };
  }
  if (status >= 500 && status !== 507) return { kind: 'transient', status, detail: `${status} ${code}` };
  return { kind: 'failed', status, code, message };
}

/** Bytes handed to the socket per write: bounds what TLS buffers at once (it encrypts a whole write). */
const BODY_PIECE_BYTES = 1024 * 1024;

/**
 * The fetch options for a request's body. A string goes as it is. Bytes (a chunk of up to 60 MiB)
 * go as a stream of views onto the caller's buffer, because handing fetch the buffer itself costs
 * memory the engine must stay clear of: undici copies a Uint8Array body (fetch's "extract a body"),
 * copies it again when it clones the request to be able to follow a redirect (a tee of a byte
 * stream clones each chunk), and TLS then encrypts the whole 10 MiB write into a buffer of its
 * own: three extra chunk-sized allocations per PUT, which V8 frees only at its next full
 * collection. Streamed in 1 MiB views with the length announced, nothing is copied and TLS holds
 * one piece at a time. `redirect: 'error'` is what lets undici skip the clone; no upload or Graph
 * call of the engine is ever redirected, and a redirect must not carry our data to another host.
 * The caller must not change the buffer until the exchange settles (it never does).
 */
function requestBody(
  request: ExchangeRequest,
): Pick<RequestInit, 'headers' | 'body' | 'redirect'> & { duplex?: 'half' } {
  const body = request.body;
  // An empty body has nothing to copy (and undici refuses a zero-length stream on a busy connection).
  if (body === undefined || typeof body === 'string' || body.length === 0)
    return { headers: request.headers, body: body as BodyInit | undefined };
  return { ...streamedBody(body), headers: { ...request.headers, 'content-length': String(body.length) } };
}

/** The copy-free body described above, for any fetch of bytes (the benchmark's baseline too); the caller sets content-length. */
export function streamedBody(body: Uint8Array): Pick<RequestInit, 'body' | 'redirect'> & { duplex: 'half' } {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= body.length) return controller.close();
      const end = Math.min(body.length, offset + BODY_PIECE_BYTES);
      controller.enqueue(body.subarray(offset, end));
      offset = end;
    },
  });
  // The cast only bridges lib typings (Node's ReadableStream and the DOM one).
  return { body: stream as unknown as BodyInit, redirect: 'error', duplex: 'half' };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
}

/** `{error: {code, message}}`, as Graph spells it. */
export function graphError(body: unknown, status: number): { code: string; message: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    code: typeof error?.code === 'string' ? error.code : `http${status}`,
    message: typeof error?.message === 'string' ? error.message : `HTTP ${status}`,
  };
}

/** A definitive failure answer, as the typed error a person can act on. */
export function failureToError(result: Extract<Exchange, { kind: 'failed' }>, what: string): AppError {
  const detail = `${result.status} ${result.code}: ${result.message}`;
  if (result.status === 507 || result.code === 'quotaLimitReached')
    return new AppError('QuotaExceeded', `${what}: the drive is full.`, {
      detail,
      advice:
        'Free space in the OneDrive or SharePoint library (or raise its quota), then run the job again.',
    });
  if (result.status === 401 || result.status === 403)
    return new AppError('Unauthorized', `${what}: Graph refused the connection's access.`, {
      detail,
      advice: 'Test the connection; re-authorize it if the test fails.',
    });
  if (result.status === 404) return new AppError('NotFound', `${what}: not found.`, { detail });
  if (result.status === 409) return new AppError('Conflict', `${what}: conflict.`, { detail });
  return new AppError('UpstreamError', `${what}: Graph answered ${result.status}.`, { detail });
}

/**
 * Waits as the server asked (or backs off), unless the wait would cross the invocation deadline:
 * then returns false so the caller can hand over to a later invocation instead of idling.
 */
export async function waitBeforeRetry(
  ctx: HttpContext,
  result: Exchange,
  attempt: number,
  allowPastDeadline: boolean,
): Promise<boolean> {
  const delay =
    result.kind === 'throttled'
      ? Math.min(result.retryAfterMs, ctx.retry.maxRetryAfterMs)
      : backoffDelay(ctx.retry, attempt);
  if (!allowPastDeadline && ctx.clock.now() + delay > ctx.deadline) return false;
  ctx.stats.retries += 1;
  await ctx.clock.sleep(delay);
  return true;
}

/**
 * An authorized Graph API call with Graph's documented rules: 401 refreshes the token once;
 * 429/503 wait for Retry-After; other 5xx and network failures back off (bounded); 507 and other
 * 4xx fail at once. Only for idempotent calls (PUT content with replace, createUploadSession with
 * replace, GET): a retried one that had in fact succeeded does no harm.
 */
export async function graphCall(
  ctx: HttpContext,
  tokens: AccessTokenProvider,
  request: ExchangeRequest,
  what: string,
): Promise<{ status: number; body: unknown }> {
  let refreshed = false;
  let attempt = 0;
  for (;;) {
    const token = await acquireToken(ctx, tokens, refreshed);
    const result = await exchange(ctx, {
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${token}` },
    });
    if (result.kind === 'ok') return result;
    if (result.kind === 'failed' && result.status === 401 && !refreshed) {
      refreshed = true;
      ctx.log.info('graph.token.refresh', { what });
      continue;
    }
    if (result.kind === 'failed') throw failureToError(result, what);
    attempt += 1;
    if (attempt >= ctx.retry.maxAttempts)
      throw new AppError('Transient', `${what}: Graph kept failing (${describe(result)}).`, {
        detail: describe(result),
        advice: 'The file will be retried on the next delivery or run.',
      });
    ctx.log.warn('graph.retry', { what, attempt, reason: describe(result) });
    if (!(await waitBeforeRetry(ctx, result, attempt, false)))
      throw new AppError('Throttled', `${what}: Graph asked to wait beyond this invocation's budget.`, {
        retryAfterSeconds: result.kind === 'throttled' ? Math.ceil(result.retryAfterMs / 1000) : undefined,
      });
  }
}

async function acquireToken(
  ctx: HttpContext,
  tokens: AccessTokenProvider,
  forceRefresh: boolean,
): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await tokens({ forceRefresh });
    } catch (error) {
      // A token endpoint hiccup (5xx, reset) is worth a few tries; anything that needs a person
      // (re-authorization, wrong secret) fails at once.
      const retryable = error instanceof AppError ? error.retryable : true;
      if (!retryable || attempt >= ctx.retry.maxAttempts) throw error;
      ctx.log.warn('graph.token.retry', {
        attempt,
        reason: error instanceof AppError ? error.code : 'error',
      });
      ctx.stats.retries += 1;
      await ctx.clock.sleep(backoffDelay(ctx.retry, attempt));
    }
  }
}

export function describe(result: Exchange): string {
  switch (result.kind) {
    case 'ok':
      return `${result.status}`;
    case 'throttled':
      return `${result.status} retry after ${result.retryAfterMs} ms`;
    case 'transient':
      return result.detail;
    case 'network':
      return `network ${result.detail}`;
    case 'failed':
      return `${result.status} ${result.code}`;
  }
}
