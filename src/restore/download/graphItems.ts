// Graph API calls of a restore: read a driveItem (size, quickXorHash, download URL) and, when the
// item carries no download URL, ask .../content for its 302. The retry and error rules are the
// one Graph layer's; only the advice for a 404 is the restore's own.
import { AppError } from '../../errors';
import { graphCall, type AccessTokenProvider, type ExchangeRequest } from '../../graph/http';
import { readDriveItem } from '../../graph/model';
import { meteredContext, type HttpContext } from './http';
import type { DriveFile, DriveLocation } from './types';

/** Restored items were listed when the restore was planned: a 404 means they went away since. */
const RESTORE_NOT_FOUND_ADVICE =
  'It was deleted or moved after the restore was planned; restore it from the recycle bin or a newer run.';

export function itemUrl(location: DriveLocation, itemId: string): string {
  return `${location.graphBaseUrl}/drives/${encodeURIComponent(location.driveId)}/items/${encodeURIComponent(itemId)}`;
}

/** One authorized GET with the layer's retry rules; the answer of a 2xx (or a 3xx with 'manual'). */
export function authorizedGet(
  ctx: HttpContext,
  tokens: AccessTokenProvider,
  url: string,
  what: string,
  redirect: ExchangeRequest['redirect'] = 'follow',
): ReturnType<typeof graphCall> {
  return graphCall(meteredContext(ctx, 'graphRequests'), tokens, { method: 'GET', url, redirect }, what, {
    notFoundAdvice: RESTORE_NOT_FOUND_ADVICE,
  });
}

function toDriveFile(body: unknown, itemId: string): DriveFile {
  const item = readDriveItem(body);
  if (!item || item.size === undefined)
    throw new AppError('UpstreamError', `Graph returned no driveItem for ${itemId}.`);
  if (!item.file)
    throw new AppError('ValidationFailed', `The OneDrive item ${itemId} is not a file.`, { field: 'itemId' });
  const hash = item.file.hashes?.quickXorHash;
  if (!hash)
    throw new AppError(
      'UpstreamError',
      `The OneDrive item ${itemId} has no quickXorHash; it cannot be verified.`,
      {
        advice: 'OneDrive computes the hash shortly after an upload; retry the restore later.',
      },
    );
  return {
    id: item.id,
    size: item.size,
    quickXorHash: hash,
    downloadUrl: item['@microsoft.graph.downloadUrl'],
    parentPath: item.parentReference?.path,
    name: item.name,
  };
}

export async function getDriveFile(
  ctx: HttpContext,
  location: DriveLocation,
  itemId: string,
  tokens: AccessTokenProvider,
): Promise<DriveFile> {
  const result = await authorizedGet(ctx, tokens, itemUrl(location, itemId), `Read item ${itemId}`);
  return toDriveFile(result.body, itemId);
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
  const result = await authorizedGet(ctx, tokens, `${itemUrl(location, itemId)}/content`, what, 'manual');
  const target = result.headers.get('location');
  if (result.status < 300 || result.status >= 400 || !target)
    throw new AppError('UpstreamError', `${what}: Graph answered ${result.status} without a redirect.`);
  return new URL(target, itemUrl(location, itemId)).toString();
}
