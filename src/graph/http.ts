// The one HTTP layer for Graph and for the URLs Graph hands out (upload sessions, download links).
// `exchange` sends a request whose answer is read whole (JSON calls, upload chunks) over ./wire.ts
// and sorts the answer by what to do about it; `send` is fetch, for answers read as a stream
// (downloads), with the same timeout and counting; `graphCall` is an authorized Graph API call with the retry rules:
// 401 refreshes the token once; 429/503 wait for Retry-After; other 5xx and network failures back
// off; 4xx and 507 fail at once, mapped by ./errors.ts. No wait ever ends after the context's
// deadline (the invocation's), and token failures are not retried on top of the token source's own
// retries. Every request carries the decorated User-Agent (./userAgent.ts), and a context with a
// `backoff` gate shares each throttled answer's wait with the connection's other requests
// (./backoff.ts).
import { AppError } from '../errors';
import type { Logger } from '../log/logger';
import type { Clock } from '../runtime/clock';
import {
  DeadlineReached,
  nextRetryStep,
  parseRetryAfter,
  RetriesExhausted,
  type RetryPolicy,
} from '../runtime/retry';
import type { SharedBackoff } from './backoff';
import { graphFailureToError, type GraphFailureOptions } from './errors';
import { readGraphError } from './model';
import { graphUserAgent } from './userAgent';
import { sendOverWire, type Answer, type AnswerHeaders } from './wire';

/** Counts what goes on the wire, for the caller's statistics. */
export interface ExchangeMeter {
  request(bodyBytes: number): void;
  retry(): void;
  /** A 429/503 answer arrived. */
  throttled?(): void;
  /** Time spent waiting because of throttling (this request's Retry-After or the shared gate). */
  waited?(ms: number): void;
}

export interface GraphHttpContext {
  clock: Clock;
  retry: RetryPolicy;
  log: Logger;
  requestTimeoutMs: number;
  /** Epoch ms: no retry waits past it (Number.MAX_SAFE_INTEGER when the caller has no deadline). */
  deadline: number;
  meter?: ExchangeMeter;
  /** The connection's shared throttling gate: `key` names the connection. */
  backoff?: { gate: SharedBackoff; key: string };
  /** Injectable for tests that inspect requests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * An access token for the connection's Graph API. `forceRefresh` asks for a fresh token after a
 * 401, bypassing any cache. `limits.deadline` tells the token source how long its own retries may
 * take. Retryable AppErrors it throws are retried here unless it already spent its retries
 * (RetriesExhausted).
 */
export type AccessTokenProvider = (
  options: { forceRefresh: boolean },
  limits?: { deadline?: number },
) => Promise<string>;

export interface ExchangeRequest {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** 'manual' returns a 3xx as an answer (to read its Location) instead of following it. */
  redirect?: 'follow' | 'manual';
}

/** An answer sorted by what to do about it. */
export type Exchange =
  | { kind: 'ok'; status: number; body: unknown; headers: AnswerHeaders }
  | { kind: 'throttled'; status: number; retryAfterMs: number; hinted: boolean }
  | { kind: 'transient'; status: number; detail: string }
  | { kind: 'network'; detail: string }
  | { kind: 'failed'; status: number; code: string; message: string };

/** A request sent: the response, or why none arrived. */
export type Sent = { response: Response } | { network: string };

/** Sends one request with the context's timeout (and `signal`, when given). Never throws for the network. */
export async function send(
  ctx: GraphHttpContext,
  request: ExchangeRequest,
  signal?: AbortSignal,
): Promise<Sent> {
  const timeout = AbortSignal.timeout(ctx.requestTimeoutMs);
  const decorated = { ...request, headers: meteredHeaders(ctx, request) };
  try {
    const response = await (ctx.fetch ?? fetch)(request.url, {
      method: request.method,
      ...requestBody(decorated),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    return { response };
  } catch (error) {
    if (signal?.aborted) throw error;
    // fetch rejects for resets, refused connections, TLS failures and our timeout alike: all of them
    // leave the request's fate unknown, which the caller resolves by asking the server.
    return { network: networkDetail(error) };
  }
}

/** A request going on the wire: counted, and its headers with the decorated User-Agent. */
function meteredHeaders(ctx: GraphHttpContext, request: ExchangeRequest): Record<string, string> {
  ctx.meter?.request(request.body && typeof request.body !== 'string' ? request.body.length : 0);
  return { 'user-agent': graphUserAgent(), ...request.headers };
}

/** The detail of a failed fetch (reset, refused, timeout), never the URL (some URLs are credentials). */
export function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const own = error as { code?: unknown; message?: unknown };
  // fetch wraps the socket's error as its cause; Node's client throws it with its own code. A
  // DOMException's code is a number that says nothing; its message does.
  const said = [cause?.code, own?.code, cause?.message, own?.message].find((v) => typeof v === 'string' && v);
  return (said as string | undefined) ?? 'error';
}

/**
 * One exchange whose answer is JSON (or nothing), sorted by what to do about it. It goes over the
 * wire of ./wire.ts (a context with `fetch`, a test's scripted answers, goes through that instead).
 * A redirect that is to be followed (a Graph call may be redirected; no upload or body-carrying
 * call is, see requestBody) is sent again through fetch, which follows it as browsers do, without
 * our Authorization header on another host.
 */
export async function exchange(ctx: GraphHttpContext, request: ExchangeRequest): Promise<Exchange> {
  if (ctx.fetch) return exchangeThroughFetch(ctx, request);
  const timeout = AbortSignal.timeout(ctx.requestTimeoutMs);
  let answer: Answer;
  try {
    answer = await sendOverWire({
      method: request.method,
      url: request.url,
      headers: meteredHeaders(ctx, request),
      body: request.body,
      signal: timeout,
    });
  } catch (error) {
    // As with fetch: a reset, a refusal, a TLS failure and our timeout all leave the request's fate
    // unknown, which the caller resolves by asking the server.
    const detail = timeout.aborted ? `timeout after ${ctx.requestTimeoutMs} ms` : networkDetail(error);
    return { kind: 'network', detail };
  }
  const redirected = answer.status >= 300 && answer.status < 400 && answer.headers.get('location') !== null;
  if (redirected && request.redirect !== 'manual') return exchangeThroughFetch(ctx, request);
  return sortAnswer(ctx, answer, request.redirect);
}

async function exchangeThroughFetch(ctx: GraphHttpContext, request: ExchangeRequest): Promise<Exchange> {
  const sent = await send(ctx, request);
  if ('network' in sent) return { kind: 'network', detail: sent.network };
  return sortAnswer(ctx, sent.response, request.redirect);
}

/** Reads a (JSON) answer and sorts it; a 3xx is an answer only when redirects are read ('manual'). */
export async function sortAnswer(
  ctx: GraphHttpContext,
  response: Answer,
  redirect?: ExchangeRequest['redirect'],
): Promise<Exchange> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { kind: 'network', detail: `response body: ${(error as Error).message}` };
  }
  const body = parseJson(text);
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'ok', status, body, headers: response.headers };
  if (status >= 300 && status < 400 && redirect === 'manual')
    return { kind: 'ok', status, body, headers: response.headers };
  if (status === 429 || status === 503) {
    const hinted = parseRetryAfter(response.headers.get('retry-after'), ctx.clock.now());
    return {
      kind: 'throttled',
      status,
      retryAfterMs: hinted ?? ctx.retry.defaultRetryAfterMs,
      hinted: hinted !== undefined,
    };
  }
  const { code, message } = readGraphError(body, status);
  if (status >= 500 && status !== 507) return { kind: 'transient', status, detail: `${status} ${code}` };
  return { kind: 'failed', status, code, message };
}

/** Bytes handed to the socket per write: bounds what TLS buffers at once (it encrypts a whole write). */
const BODY_PIECE_BYTES = 1024 * 1024;

/**
 * The fetch options for a request's body, on the fetch path (`send`: a test's scripted fetch, a
 * redirect re-sent). A string goes as it is. Bytes go as a stream of views onto the caller's
 * buffer, because undici's fetch copies a Uint8Array body (fetch's "extract a body") and copies it
 * again when it clones the request to be able to follow a redirect. Streamed in 1 MiB views with
 * the length announced, nothing is copied; `redirect: 'error'` is what lets undici skip the clone
 * (no call with a byte body is ever redirected, and a redirect must not carry our data to another
 * host). The caller must not change the buffer until the exchange settles (it never does).
 */
function requestBody(
  request: ExchangeRequest,
): Pick<RequestInit, 'headers' | 'body' | 'redirect'> & { duplex?: 'half' } {
  const body = request.body;
  // An empty body has nothing to copy (and undici refuses a zero-length stream on a busy connection).
  if (body === undefined || typeof body === 'string' || body.length === 0)
    return {
      headers: request.headers,
      body: body as BodyInit | undefined,
      ...(request.redirect ? { redirect: request.redirect } : {}),
    };
  return { ...streamedBody(body), headers: { ...request.headers, 'content-length': String(body.length) } };
}

/** The copy-free body described above; the caller sets content-length. */
function streamedBody(body: Uint8Array): Pick<RequestInit, 'body' | 'redirect'> & { duplex: 'half' } {
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

/** A retryable answer: how long the server asked to wait, if it did. */
export function retryAfterOf(result: Exchange): number | undefined {
  return result.kind === 'throttled' ? result.retryAfterMs : undefined;
}

/** A failure retried until the attempts ran out, as the error that ends the operation. */
export function keptFailing(what: string, result: Exchange): AppError {
  return new RetriesExhausted('Transient', `${what}: Graph kept failing (${describe(result)}).`, {
    detail: describe(result),
    advice: 'It is retried on the next delivery or run.',
  });
}

/**
 * An authorized Graph API call. Only for idempotent calls (PUT content with replace,
 * createUploadSession with replace, GET, DELETE): a retried one that had in fact succeeded does no
 * harm. Throws DeadlineReached when a wait would cross the deadline.
 */
export async function graphCall(
  ctx: GraphHttpContext,
  tokens: AccessTokenProvider,
  request: ExchangeRequest,
  what: string,
  options?: GraphFailureOptions,
): Promise<Extract<Exchange, { kind: 'ok' }>> {
  let refreshed = false;
  for (let attempt = 1; ;) {
    const token = await acquireToken(ctx, tokens, refreshed, what);
    await awaitTurn(ctx, what);
    const result = await exchange(ctx, {
      ...request,
      headers: { accept: 'application/json', ...request.headers, authorization: `Bearer ${token}` },
    });
    noteThrottle(ctx, result);
    if (result.kind === 'ok') return result;
    if (result.kind === 'failed' && result.status === 401 && !refreshed) {
      // The token may have been revoked or expired early: one fresh token, then trust the answer.
      refreshed = true;
      ctx.log.info('graph.token.refresh', { what });
      continue;
    }
    if (result.kind === 'failed') throw graphFailureToError(result, what, options);
    await pauseOrThrow(ctx, what, attempt, result);
    attempt += 1;
  }
}

/**
 * Waits before retrying failure number `attempt`, or throws: RetriesExhausted when the attempts
 * are spent, DeadlineReached when the wait would cross the deadline.
 */
export async function pauseOrThrow(
  ctx: GraphHttpContext,
  what: string,
  attempt: number,
  result: Exchange,
): Promise<void> {
  const step = nextRetryStep(ctx.retry, ctx.clock, {
    attempt,
    retryAfterMs: retryAfterOf(result),
    deadline: ctx.deadline,
  });
  if (step.action === 'give-up' && step.why === 'attempts') throw keptFailing(what, result);
  if (step.action === 'give-up') throw new DeadlineReached(what, step.delayMs);
  ctx.log.warn('graph.retry', { what, attempt, reason: describe(result), delayMs: step.delayMs });
  ctx.meter?.retry();
  if (result.kind === 'throttled') ctx.meter?.waited?.(step.delayMs);
  await ctx.clock.sleep(step.delayMs);
}

/**
 * Waits until the connection's shared gate lets a request go (see ./backoff.ts). Throws
 * DeadlineReached when that would cross the deadline, so the caller hands over instead.
 */
export async function awaitTurn(ctx: GraphHttpContext, what: string): Promise<void> {
  if (!ctx.backoff) return;
  const waitMs = ctx.backoff.gate.waitFor(ctx.backoff.key, ctx.clock.now());
  if (waitMs <= 0) return;
  if (ctx.clock.now() + waitMs > ctx.deadline) throw new DeadlineReached(what, waitMs);
  ctx.log.info('graph.throttle.shared', { what, delayMs: waitMs });
  ctx.meter?.waited?.(waitMs);
  await ctx.clock.sleep(waitMs);
}

/** A throttled answer: counted, and its Retry-After held for the connection's other requests. */
export function noteThrottle(ctx: GraphHttpContext, result: Exchange): void {
  if (result.kind !== 'throttled') return;
  ctx.meter?.throttled?.();
  ctx.backoff?.gate.hold(ctx.backoff.key, ctx.clock.now() + result.retryAfterMs);
}

async function acquireToken(
  ctx: GraphHttpContext,
  tokens: AccessTokenProvider,
  forceRefresh: boolean,
  what: string,
): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await tokens({ forceRefresh }, { deadline: ctx.deadline });
    } catch (error) {
      // A token endpoint hiccup (5xx, reset) is worth a few tries, unless the token source already
      // spent its own; anything that needs a person (re-authorization, wrong secret) fails at once.
      const retryable = error instanceof AppError ? error.retryable : true;
      if (!retryable || error instanceof RetriesExhausted) throw error;
      const retryAfterSeconds = error instanceof AppError ? error.retryAfterSeconds : undefined;
      const step = nextRetryStep(ctx.retry, ctx.clock, {
        attempt,
        retryAfterMs: retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1000,
        deadline: ctx.deadline,
      });
      if (step.action === 'give-up') throw error;
      ctx.log.warn('graph.token.retry', {
        what,
        attempt,
        reason: error instanceof AppError ? error.code : 'error',
      });
      ctx.meter?.retry();
      await ctx.clock.sleep(step.delayMs);
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
