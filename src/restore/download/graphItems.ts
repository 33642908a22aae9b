// Graph API calls of a restore: read a driveItem (size, quickXorHash, download URL) and, when the
// item carries no download URL, ask .../content for its 302. Graph's documented rules: a 401
// refreshes the token once; 429/503 wait for Retry-After; other 5xx and resets back off; 404 and
// other 4xx fail at once.
import { AppError } from '../../errors';
import {
  graphErrorOf,
  networkDetail,
  pauseBeforeRetry,
  throttledFailure,
  type HttpContext,
  type RetryableFailure,
} from './http';
import type { AccessTokenProvider, DriveFile, DriveLocation } from './types';

export function itemUrl(location: DriveLocation, itemId: string): string {
  return `${location.graphBaseUrl}/drives/${encodeURIComponent(location.driveId)}/items/${encodeURIComponent(itemId)}`;
}

/** One authorized GET with the retry rules; returns the response to a 2xx or 3xx. */
export async function authorizedGet(
  ctx: HttpContext,
  tokens: AccessTokenProvider,
  url: string,
  what: string,
  redirect: RequestRedirect,
): Promise<Response> {
  let refreshed = false;
  for (let attempt = 1; ; attempt += 1) {
    const token = await tokens({ forceRefresh: refreshed });
    ctx.stats.graphRequests += 1;
    let response: Response;
    try {
      response = await ctx.fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        redirect,
        signal: AbortSignal.timeout(ctx.requestTimeoutMs),
      });
    } catch (error) {
      await pauseBeforeRetry(ctx, what, { detail: networkDetail(error), throttled: false }, attempt);
      continue;
    }
    if (response.status < 400) return response;
    let failure: RetryableFailure;
    if (response.status === 401 && !refreshed) {
      // The token may have been revoked or expired early: one fresh token, then trust the answer.
      await response.body?.cancel();
      refreshed = true;
      ctx.log.info('restore.token.refresh', { what });
      continue;
    }
    if (response.status === 429 || response.status === 503) {
      await response.body?.cancel();
      failure = throttledFailure(ctx, response);
    } else if (response.status >= 500 && response.status !== 507) {
      await response.body?.cancel();
      failure = { detail: `${response.status}`, throttled: false };
    } else {
      const { code, message } = await graphErrorOf(response);
      const detail = `${response.status} ${code}: ${message}`;
      if (response.status === 404)
        throw new AppError('NotFound', `${what}: the OneDrive item no longer exists.`, {
          detail,
          advice:
            'It was deleted or moved after the restore was planned; restore it from the recycle bin or a newer run.',
        });
      if (response.status === 401 || response.status === 403)
        throw new AppError('Unauthorized', `${what}: Graph refused the connection's access.`, {
          detail,
          advice: 'Test the connection; re-authorize it if the test fails.',
        });
      throw new AppError('UpstreamError', `${what}: Graph answered ${response.status}.`, { detail });
    }
    await pauseBeforeRetry(ctx, what, failure, attempt);
  }
}

function toDriveFile(body: unknown, itemId: string): DriveFile {
  const item = body as {
    id?: unknown;
    size?: unknown;
    folder?: unknown;
    file?: { hashes?: { quickXorHash?: unknown } };
    parentReference?: { path?: unknown };
    '@microsoft.graph.downloadUrl'?: unknown;
  };
  if (!item || typeof item.id !== 'string' || typeof item.size !== 'number')
    throw new AppError('UpstreamError', `Graph returned no driveItem for ${itemId}.`);
  if (!item.file)
    throw new AppError('ValidationFailed', `The OneDrive item ${itemId} is not a file.`, { field: 'itemId' });
  const hash = item.file.hashes?.quickXorHash;
  if (typeof hash !== 'string' || hash.length === 0)
    throw new AppError(
      'UpstreamError',
      `The OneDrive item ${itemId} has no quickXorHash; it cannot be verified.`,
      {
        advice: 'OneDrive computes the hash shortly after an upload; retry the restore later.',
      },
    );
  const url = item['@microsoft.graph.downloadUrl'];
  const parentPath = item.parentReference?.path;
  return {
    id: item.id,
    size: item.size,
    quickXorHash: hash,
    downloadUrl: typeof url === 'string' ? url : undefined,
    parentPath: typeof parentPath === 'string' ? parentPath : undefined,
  };
}

export async function getDriveFile(
  ctx: HttpContext,
  location: DriveLocation,
  itemId: string,
  tokens: AccessTokenProvider,
): Promise<DriveFile> {
  const response = await authorizedGet(
    ctx,
    tokens,
    itemUrl(location, itemId),
    `Read item ${itemId}`,
    'follow',
  );
  return toDriveFile(await response.json(), itemId);
}

/**
 * The pre-authenticated URL behind GET .../content. The redirect is read, not followed: following
 * it would be fine for fetch (it drops Authorization across origins), but reading it lets the engine
 * reuse the URL for every range and never risk sending the token to the download host.
 */
export async function contentRedirect(
  ctx: HttpContext,
  location: DriveLocation,
  itemId: string,
  tokens: AccessTokenProvider,
): Promise<string> {
  const what = `Download link for ${itemId}`;
  const response = await authorizedGet(ctx, tokens, `${itemUrl(location, itemId)}/content`, what, 'manual');
  await response.body?.cancel();
  const target = response.headers.get('location');
  if (response.status < 300 || response.status >= 400 || !target)
    throw new AppError('UpstreamError', `${what}: Graph answered ${response.status} without a redirect.`);
  return new URL(target, itemUrl(location, itemId)).toString();
}
