// Drives and folders a connection can use: its own drive (/me/drive), SharePoint sites by search and
// their document libraries, folders under a path (paged), folder creation. Paths are relative to the
// drive root, `/`-separated; each segment is percent-encoded on its own.
import { AppError, isAppError, validationError } from '../errors';
import type { GraphClient } from './client';
import {
  readDrive,
  readDriveItem,
  readPage,
  readSite,
  readUser,
  type GraphDrive,
  type GraphDriveItem,
} from './model';

export interface DriveInfo {
  id: string;
  name?: string;
  driveType?: string;
  ownerName?: string;
  webUrl?: string;
  quota?: GraphDrive['quota'];
}

export interface SiteInfo {
  id: string;
  name?: string;
  displayName?: string;
  webUrl?: string;
}

export interface FolderInfo {
  id: string;
  name: string;
  path: string;
  childCount?: number;
}

export interface FolderPage {
  folders: FolderInfo[];
  /** Opaque token for the next page (the Graph nextLink); undefined on the last page. */
  next?: string;
}

/** The drive a connection targets; identifies how to address it in Graph. */
export interface DriveTarget {
  driveId?: string;
  siteId?: string;
  /** App-only connections to a user's OneDrive. */
  targetUser?: string;
}

/** The Graph path of the drive root: by id, a site's default library, a user's drive, or /me/drive. */
export function driveBase(target: DriveTarget): string {
  if (target.driveId) return `/drives/${encodeURIComponent(target.driveId)}`;
  if (target.siteId) return `/sites/${encodeURIComponent(target.siteId)}/drive`;
  if (target.targetUser) return `/users/${encodeURIComponent(target.targetUser)}/drive`;
  return '/me/drive';
}

/** Splits and checks a folder path; `/` and `` are the root. */
export function pathSegments(path: string, field = 'path'): string[] {
  if (path.length > 400) throw validationError(field, 'at most 400 characters');
  const segments = path.split('/').filter((s) => s.length > 0);
  for (const segment of segments) {
    if (segment === '.' || segment === '..') throw validationError(field, 'no "." or ".." segments');
    if (/[\\"*:<>?|]/.test(segment)) throw validationError(field, 'no \\ " * : < > ? | characters');
  }
  return segments;
}

export function normalizePath(path: string): string {
  return '/' + pathSegments(path).join('/');
}

/** The Graph address of the item at `path` under the drive root. */
export function itemPath(target: DriveTarget, path: string): string {
  const segments = pathSegments(path);
  const base = driveBase(target);
  return segments.length === 0
    ? `${base}/root`
    : `${base}/root:/${segments.map(encodeURIComponent).join('/')}:`;
}

function toDrive(drive: GraphDrive): DriveInfo {
  return {
    id: drive.id,
    name: drive.name,
    driveType: drive.driveType,
    ownerName: drive.owner?.user?.displayName,
    webUrl: drive.webUrl,
    quota: drive.quota,
  };
}

export async function getDrive(client: GraphClient, target: DriveTarget): Promise<DriveInfo> {
  const drive = readDrive(await client.request({ path: driveBase(target) }, 'read drive'));
  if (!drive) throw new AppError('UpstreamError', 'read drive: Graph returned no drive.');
  return toDrive(drive);
}

export async function getMe(
  client: GraphClient,
): Promise<{ displayName?: string; upn?: string; id?: string }> {
  const me = readUser(
    await client.request(
      { path: '/me?$select=id,displayName,userPrincipalName,mail' },
      'read signed-in user',
    ),
  );
  return { id: me.id, displayName: me.displayName, upn: me.userPrincipalName ?? me.mail };
}

export async function searchSites(client: GraphClient, query: string): Promise<SiteInfo[]> {
  if (!query.trim()) throw validationError('search', 'a word to search site names for');
  const body = await client.request({ path: `/sites?search=${encodeURIComponent(query)}` }, 'search sites');
  return readPage(body, readSite).value;
}

export async function siteDrives(client: GraphClient, siteId: string): Promise<DriveInfo[]> {
  const body = await client.request(
    { path: `/sites/${encodeURIComponent(siteId)}/drives` },
    'list document libraries',
  );
  return readPage(body, readDrive).value.map(toDrive);
}

/** The drives a connection may use: its own drive, or a site's libraries for SharePoint. */
export async function listDrives(
  client: GraphClient,
  target: DriveTarget & { sharepoint?: boolean },
): Promise<DriveInfo[]> {
  if (target.sharepoint && target.siteId) return siteDrives(client, target.siteId);
  return [await getDrive(client, { targetUser: target.targetUser })];
}

/** One page of the folders directly under `path`. `next` continues a previous page. */
export async function listFolders(
  client: GraphClient,
  target: DriveTarget,
  path: string,
  next?: string,
): Promise<FolderPage> {
  const parent = normalizePath(path);
  const body = await client.request(
    {
      path: next
        ? checkedNextLink(client, next)
        : `${itemPath(target, parent)}/children?$select=id,name,folder&$top=200`,
    },
    'list folders',
  );
  const page = readPage(body, readDriveItem);
  const folders = page.value
    .filter((item) => item.folder)
    .map((item) => ({
      id: item.id,
      name: String(item.name),
      path: `${parent === '/' ? '' : parent}/${String(item.name)}`,
      childCount: item.folder?.childCount,
    }));
  return { folders, next: page.nextLink };
}

/** The nextLink must point at the same Graph host we call, or a token would go elsewhere. */
function checkedNextLink(client: GraphClient, next: string): string {
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    throw validationError('next', 'a link returned by a previous page');
  }
  if (url.origin !== new URL(client.apiBaseUrl).origin)
    throw validationError('next', 'a link returned by a previous page');
  return next;
}

export async function getItem(
  client: GraphClient,
  target: DriveTarget,
  path: string,
): Promise<GraphDriveItem | undefined> {
  try {
    const item = readDriveItem(await client.request({ path: itemPath(target, path) }, 'read item'));
    if (!item) throw new AppError('UpstreamError', 'read item: Graph returned no driveItem.');
    return item;
  } catch (error) {
    if (isAppError(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** Creates `name` under `parentPath` (fails if it exists: conflictBehavior fail). */
export async function createFolder(
  client: GraphClient,
  target: DriveTarget,
  parentPath: string,
  name: string,
): Promise<FolderInfo> {
  pathSegments(name, 'name');
  if (!name.trim() || name.includes('/')) throw validationError('name', 'one folder name, without "/"');
  const parent = normalizePath(parentPath);
  let item: GraphDriveItem | undefined;
  try {
    item = readDriveItem(
      await client.request(
        {
          method: 'POST',
          path: `${itemPath(target, parent)}/children`,
          body: { name, folder: {}, '@microsoft.graph.conflictBehavior': 'fail' },
        },
        'create folder',
      ),
    );
  } catch (error) {
    if (isAppError(error, 'Conflict'))
      throw new AppError('Conflict', `A folder named '${name}' already exists there`, { field: 'name' });
    throw error;
  }
  if (!item) throw new AppError('UpstreamError', 'create folder: Graph returned no driveItem.');
  return { id: item.id, name: String(item.name), path: `${parent === '/' ? '' : parent}/${name}` };
}

/** Makes sure every folder of `path` exists, creating the missing ones; returns the last one's id. */
export async function ensureFolderPath(
  client: GraphClient,
  target: DriveTarget,
  path: string,
): Promise<{ id: string; created: boolean }> {
  const segments = pathSegments(path);
  let current = '/';
  let id = (await getItem(client, target, '/'))?.id ?? '';
  let created = false;
  for (const segment of segments) {
    const next = `${current === '/' ? '' : current}/${segment}`;
    const existing = await getItem(client, target, next);
    if (existing) {
      if (!existing.folder)
        throw new AppError('Conflict', `'${next}' exists but is a file, not a folder`, {
          field: 'rootFolder',
        });
      id = existing.id;
    } else {
      try {
        id = (await createFolder(client, target, current, segment)).id;
        created = true;
      } catch (error) {
        // Someone created it between our look and our create: use theirs.
        if (!isAppError(error, 'Conflict')) throw error;
        id = (await getItem(client, target, next))?.id ?? '';
      }
    }
    current = next;
  }
  return { id, created };
}
