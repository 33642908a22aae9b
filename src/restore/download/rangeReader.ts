// Reads byte ranges of one OneDrive file from its pre-authenticated download URL. No Authorization
// header is ever sent there (the URL is the credential). Per range:
//   - 206 with the asked Content-Range, body read into one buffer of exactly the range's size;
//   - 429/503: wait for Retry-After, and hold the connection's other requests as long (the shared
//     gate, ../../graph/backoff.ts); other 5xx, resets and short bodies: backoff with jitter, then
//     the same range again;
//   - 401/403/404/410: the link expired or was revoked: ask Graph for a fresh one (re-reading the
//     item) and try again;
//   - 416: the file is shorter than when the restore started: it changed, fail (nothing is committed).
import { AppError } from '../../errors';
import { awaitTurn, noteThrottle, pauseOrThrow, send, sortAnswer, type Exchange } from '../../graph/http';
import { meteredContext, type HttpContext } from './http';

export interface DownloadLink {
  /** The URL to use now. */
  current(): Promise<string>;
  /** Drops the URL; the next `current()` gets a fresh one from Graph. */
  invalidate(): void;
}

/** A link that starts from a known URL (or none) and asks `fetchFresh` when it has to. */
export function downloadLink(initial: string | undefined, fetchFresh: () => Promise<string>): DownloadLink {
  let url = initial;
  return {
    current: async () => (url ??= await fetchFresh()),
    invalidate: () => {
      url = undefined;
    },
  };
}

const LINK_GONE = new Set([401, 403, 404, 410]);

/** Reads a response body into a buffer of exactly `count` bytes; anything else is an error. */
async function readExactly(response: Response, count: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(count);
  let filled = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.length > count) {
        await reader.cancel();
        throw new AppError('UpstreamError', `The download returned more than the ${count} bytes asked for.`);
      }
      out.set(value, filled);
      filled += value.length;
    }
  }
  if (filled !== count) throw new ShortBody(filled, count);
  return out;
}

class ShortBody extends Error {
  constructor(got: number, expected: number) {
    super(`short body: ${got} of ${expected} bytes`);
  }
}

export async function readRange(
  ctx: HttpContext,
  link: DownloadLink,
  offset: number,
  count: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const what = `Download bytes ${offset}-${offset + count - 1}`;
  const http = meteredContext(ctx, 'rangeRequests');
  for (let attempt = 1; ; attempt += 1) {
    const url = await link.current();
    await awaitTurn(http, what);
    const sent = await send(
      http,
      { method: 'GET', url, headers: { range: `bytes=${offset}-${offset + count - 1}` } },
      signal,
    );
    let failure: Exchange;
    if ('network' in sent) {
      failure = { kind: 'network', detail: sent.network };
    } else {
      const response = sent.response;
      if (response.status === 206 || (response.status === 200 && offset === 0)) {
        const range = response.headers.get('content-range');
        const expected = `bytes ${offset}-${offset + count - 1}/`;
        if (response.status === 206 && !range?.startsWith(expected)) {
          await response.body?.cancel();
          throw new AppError('UpstreamError', `${what}: the server sent another range (${range}).`);
        }
        if (response.status === 200 && Number(response.headers.get('content-length')) !== count) {
          // A server ignoring Range would send the whole file for every block: refuse rather than
          // quietly downloading it n times.
          await response.body?.cancel();
          throw new AppError('UpstreamError', `${what}: the download host ignored the Range header.`);
        }
        try {
          const data = await readExactly(response, count);
          ctx.stats.bytesDownloaded += data.length;
          return data;
        } catch (error) {
          if (error instanceof AppError || signal?.aborted) throw error;
          // A reset mid-body or a short body: the range is simply read again.
          failure = { kind: 'network', detail: error instanceof ShortBody ? error.message : String(error) };
        }
      } else {
        failure = await answerFailure(ctx, link, what, response);
        noteThrottle(http, failure);
        // A stale link is not a server in trouble: no backoff, but it still counts as an attempt so
        // a link that never works ends the file.
        if (failure.kind === 'failed' && attempt < ctx.retry.maxAttempts) continue;
      }
    }
    await pauseOrThrow(http, what, attempt, failure);
  }
}

/** A range answer that is not the range: what it means, or the error that ends the file. */
async function answerFailure(
  ctx: HttpContext,
  link: DownloadLink,
  what: string,
  response: Response,
): Promise<Exchange> {
  if (LINK_GONE.has(response.status)) {
    await response.body?.cancel();
    ctx.stats.urlRefreshes += 1;
    ctx.log.info('restore.link.refresh', { status: response.status });
    link.invalidate();
    return { kind: 'failed', status: response.status, code: 'download link', message: 'expired or revoked' };
  }
  if (response.status === 416) {
    await response.body?.cancel();
    throw new AppError('Conflict', `${what}: the OneDrive file is shorter than when the restore began.`, {
      advice: 'The file changed in OneDrive during the restore; run the restore again.',
    });
  }
  if (response.status === 429 || response.status === 503) return sortAnswer(ctx, response);
  await response.body?.cancel();
  if (response.status >= 500)
    return { kind: 'transient', status: response.status, detail: `${response.status}` };
  throw new AppError('UpstreamError', `${what}: the download host answered ${response.status}.`);
}
