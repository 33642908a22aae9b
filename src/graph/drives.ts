// Drives and folders a connection can use: its own drive (/me/drive), SharePoint sites by search and
// their document libraries, folders under a path (paged), folder creation. Paths are relative to the
// drive root, `/`-separated; each segment is percent-encoded on its own.
import type { Client } from '@microsoft/microsoft-graph-client';
import { AppError, validationError } from '../errors';
import { graphStatus, toAppError } from './graphErrors';

export interface DriveInfo {
  id: string;
  name?: string;
  driveType?: string;
  ownerName?: string;
  webUrl?: string;
  quota?: { total?: number; used?: number; remaining?: number; state?: string };
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

function toDrive(raw: Record<string, unknown>): DriveInfo {
  const owner = raw.owner as { user?: { displayName?: string } } | undefined;
  return {
    id: String(raw.id),
    name: raw.name as string | undefined,
    driveType: raw.driveType as string | undefined,
    ownerName: owner?.user?.displayName,
    webUrl: raw.webUrl as string | undefined,
    quota: raw.quota as DriveInfo['quota'],
  };
}

export async function getDrive(client: Client, target: DriveTarget): Promise<DriveInfo> {
  try {
    return toDrive(await client.api(driveBase(target)).get());
  } catch (error) {
    throw toAppError(error, 'read drive');
  }
}

export async function getMe(client: Client): Promise<{ displayName?: string; upn?: string; id?: string }> {
  try {
    const me = await client.api('/me').select('id,displayName,userPrincipalName,mail').get();
    return { id: me.id, displayName: me.displayName, upn: me.userPrincipalName ?? me.mail };
  } catch (error) {
    throw toAppError(error, 'read signed-in user');
  }
}

export async function searchSites(client: Client, query: string): Promise<SiteInfo[]> {
  if (!query.trim()) throw validationError('search', 'a word to search site names for');
  try {
    const result = await client.api('/sites').query({ search: query }).get();
    return ((result.value ?? []) as Record<string, unknown>[]).map((s) => ({
      id: String(s.id),
      name: s.name as string | undefined,
      displayName: s.displayName as string | undefined,
      webUrl: s.webUrl as string | undefined,
    }));
  } catch (error) {
    throw toAppError(error, 'search sites');
  }
}

export async function siteDrives(client: Client, siteId: string): Promise<DriveInfo[]> {
  try {
    const result = await client.api(`/sites/${encodeURIComponent(siteId)}/drives`).get();
    return ((result.value ?? []) as Record<string, unknown>[]).map(toDrive);
  } catch (error) {
    throw toAppError(error, 'list document libraries');
  }
}

/** The drives a connection may use: its own drive, or a site's libraries for SharePoint. */
export async function listDrives(
  client: Client,
  target: DriveTarget & { sharepoint?: boolean },
): Promise<DriveInfo[]> {
  if (target.sharepoint && target.siteId) return siteDrives(client, target.siteId);
  return [await getDrive(client, { targetUser: target.targetUser })];
}

/** One page of the folders directly under `path`. `next` continues a previous page. */
export async function listFolders(
  client: Client,
  target: DriveTarget,
  path: string,
  next?: string,
): Promise<FolderPage> {
  const parent = normalizePath(path);
  try {
    const request = next
      ? client.api(checkedNextLink(client, next))
      : client
          .api(`${itemPath(target, parent)}/children`)
          .select('id,name,folder')
          .top(200);
    const result = await request.get();
    const folders = ((result.value ?? []) as Record<string, unknown>[])
      .filter((item) => item.folder)
      .map((item) => ({
        id: String(item.id),
        name: String(item.name),
        path: `${parent === '/' ? '' : parent}/${String(item.name)}`,
        childCount: (item.folder as { childCount?: number }).childCount,
      }));
    return { folders, next: result['@odata.nextLink'] as string | undefined };
  } catch (error) {
    throw toAppError(error, 'list folders');
  }
}

/** The nextLink must point at the same Graph host we call, or a token would go elsewhere. */
function checkedNextLink(client: Client, next: string): string {
  const base = (client as unknown as { config?: { baseUrl?: string } }).config?.baseUrl;
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    throw validationError('next', 'a link returned by a previous page');
  }
  if (base && url.origin !== new URL(base).origin)
    throw validationError('next', 'a link returned by a previous page');
  return next;
}

export async function getItem(
  client: Client,
  target: DriveTarget,
  path: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return await client.api(itemPath(target, path)).get();
  } catch (error) {
    if (graphStatus(error) === 404) return undefined;
    throw toAppError(error, 'read item');
  }
}

/** Creates `name` under `parentPath` (fails if it exists: conflictBehavior fail). */
export async function createFolder(
  client: Client,
  target: DriveTarget,
  parentPath: string,
  name: string,
): Promise<FolderInfo> {
  pathSegments(name, 'name');
  if (!name.trim() || name.includes('/')) throw validationError('name', 'one folder name, without "/"');
  const parent = normalizePath(parentPath);
  try {
    const item = await client.api(`${itemPath(target, parent)}/children`).post({
      name,
      folder: {},
      '@microsoft.graph.conflictBehavior': 'fail',
    });
    return { id: String(item.id), name: String(item.name), path: `${parent === '/' ? '' : parent}/${name}` };
  } catch (error) {
    if (graphStatus(error) === 409)
      throw new AppError('Conflict', `A folder named '${name}' already exists there`, { field: 'name' });
    throw toAppError(error, 'create folder');
  }
}

/** Makes sure every folder of `path` exists, creating the missing ones; returns the last one's id. */
export async function ensureFolderPath(
  client: Client,
  target: DriveTarget,
  path: string,
): Promise<{ id: string; created: boolean }> {
  const segments = pathSegments(path);
  let current = '/';
  let id = String((await getItem(client, target, '/'))?.id ?? '');
  let created = false;
  for (const segment of segments) {
    const next = `${current === '/' ? '' : current}/${segment}`;
    const existing = await getItem(client, target, next);
    if (existing) {
      if (!existing.folder)
        throw new AppError('Conflict', `'${next}' exists but is a file, not a folder`, {
          field: 'rootFolder',
        });
      id = String(existing.id);
    } else {
      try {
        id = (await createFolder(client, target, current, segment)).id;
        created = true;
      } catch (error) {
        // Someone created it between our look and our create: use theirs.
        if (!(error instanceof AppError && error.code === 'Conflict')) throw error;
        id = String((await getItem(client, target, next))?.id ?? '');
      }
    }
    current = next;
  }
  return { id, created };
}
