// Walking a backup folder in OneDrive, one page of children at a time (Graph pages children, 200
// by default, with @odata.nextLink). Used for disaster recovery (no manifest) and for snapshots.
import { AppError } from '../../errors';
import { snapshotFolderTime } from '../../graph/snapshotFolders';
import { readDriveItem, readPage } from '../../graph/model';
import { graphPath } from '../../graph/names';
import { authorizedGet } from '../download/graphItems';
import type { HttpContext } from '../download/http';
import type { AccessTokenProvider, DriveLocation } from '../download/types';

export interface ChildEntry {
  id: string;
  name: string;
  kind: 'file' | 'folder';
  size: number;
}

export interface ChildrenPage {
  items: ChildEntry[];
  nextLink?: string;
}

const SELECT = '$select=id,name,size,file,folder&$top=200';

function driveBase(location: DriveLocation): string {
  return `${location.graphBaseUrl}/drives/${encodeURIComponent(location.driveId)}`;
}

/** The item id of a folder by its decoded path ('' = the drive root). */
export async function folderIdByPath(
  ctx: HttpContext,
  location: DriveLocation,
  path: string,
  tokens: AccessTokenProvider,
): Promise<string> {
  const url = path ? `${driveBase(location)}/root:/${graphPath(path)}` : `${driveBase(location)}/root`;
  const item = readDriveItem((await authorizedGet(ctx, tokens, url, `Find folder "${path}"`)).body);
  if (!item?.folder)
    throw new AppError('ValidationFailed', `"${path}" in the drive is not a folder.`, {
      field: 'folderPath',
    });
  return item.id;
}

/**
 * One page of a folder's children. A nextLink comes back in queue messages, so it is used only when
 * it points at the connection's own Graph API: a tampered message cannot send the token elsewhere.
 */
export async function childrenPage(
  ctx: HttpContext,
  location: DriveLocation,
  folderId: string,
  tokens: AccessTokenProvider,
  nextLink?: string,
): Promise<ChildrenPage> {
  let url = `${driveBase(location)}/items/${encodeURIComponent(folderId)}/children?${SELECT}`;
  if (nextLink) {
    const expected = new URL(location.graphBaseUrl);
    const given = new URL(nextLink);
    if (given.origin !== expected.origin || !given.pathname.startsWith(expected.pathname))
      throw new AppError(
        'MessageInvalid',
        "A children nextLink does not point at the connection's Graph API.",
      );
    url = nextLink;
  }
  const page = readPage(
    (await authorizedGet(ctx, tokens, url, `List folder ${folderId}`)).body,
    readDriveItem,
  );
  const items: ChildEntry[] = [];
  for (const item of page.value) {
    if (item.name === undefined) continue;
    // Other item kinds (packages, notebooks) were never written by a backup: ignored.
    if (!item.file && !item.folder) continue;
    items.push({ id: item.id, name: item.name, kind: item.folder ? 'folder' : 'file', size: item.size ?? 0 });
  }
  return page.nextLink === undefined ? { items } : { items, nextLink: page.nextLink };
}

/**
 * The snapshot folder to restore: the one named, or with 'latest' the newest of the folders named
 * as the backup names snapshots (by their run's time; other folders are ignored).
 */
export async function pickSnapshot(
  ctx: HttpContext,
  location: DriveLocation,
  rootId: string,
  tokens: AccessTokenProvider,
  snapshot: string,
): Promise<{ id: string; name: string }> {
  const folders: ChildEntry[] = [];
  let nextLink: string | undefined;
  do {
    const page = await childrenPage(ctx, location, rootId, tokens, nextLink);
    folders.push(...page.items.filter((i) => i.kind === 'folder'));
    nextLink = page.nextLink;
  } while (nextLink);
  if (snapshot === 'latest') {
    const dated = folders
      .map((f) => ({ ...f, at: snapshotFolderTime(f.name) }))
      .filter((f): f is ChildEntry & { at: number } => f.at !== undefined);
    const newest = dated.sort((a, b) => b.at - a.at)[0];
    if (!newest)
      throw new AppError('NotFound', 'The backup folder holds no snapshot folders.', { field: 'snapshot' });
    return newest;
  }
  const named = folders.find((f) => f.name === snapshot);
  if (!named)
    throw new AppError('NotFound', `No snapshot folder "${snapshot}" in the backup folder.`, {
      field: 'snapshot',
      advice: `Snapshots found: ${
        folders
          .map((f) => f.name)
          .sort()
          .slice(-10)
          .join(', ') || 'none'
      }.`,
    });
  return named;
}
