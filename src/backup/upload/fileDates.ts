// The date a person browsing OneDrive sees on a backed-up file is its `fileSystemInfo`
// lastModifiedDateTime; without help it is the upload time, so every file would look new. An
// upload session takes the date in its `item` (no extra request). A simple upload (PUT content)
// carries only bytes, so the date is set afterwards with one PATCH of the item. That PATCH is the
// cheapest correct way for small files: an upload session for them would cost the same one extra
// request (POST createUploadSession), and Graph refuses sessions for empty files. The PATCH is
// sent only when the item does not already show the date (a session that applied it, a resumed
// upload whose session was created with it), so it costs one request per simple upload and none
// per session upload.
import { graphCall, type AccessTokenProvider, type GraphHttpContext } from '../../graph/http';
import { itemByIdUrl } from './targetUrls';
import type { UploadTarget } from './types';

/** The `fileSystemInfo` for a createUploadSession `item` or a PATCH; nothing when the date is unknown. */
export function fileSystemInfo(lastModified: string | undefined): Record<string, unknown> {
  return lastModified ? { fileSystemInfo: { lastModifiedDateTime: lastModified } } : {};
}

/** Graph answers dates with or without milliseconds: the same instant is the same date. */
export function sameInstant(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && Date.parse(a) === Date.parse(b);
}

/** Sets the item's date when it does not show `wanted` yet; returns whether a request was sent. */
export async function ensureFileDate(
  ctx: GraphHttpContext,
  tokens: AccessTokenProvider,
  target: UploadTarget,
  item: { id: string; lastModifiedDateTime?: string },
  wanted: string | undefined,
): Promise<boolean> {
  if (!wanted || sameInstant(item.lastModifiedDateTime, wanted)) return false;
  // Setting a fixed date is idempotent, so the layer's retries are safe.
  await graphCall(
    ctx,
    tokens,
    {
      method: 'PATCH',
      url: itemByIdUrl(target, item.id),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fileSystemInfo(wanted)),
    },
    'Set file date',
  );
  return true;
}
