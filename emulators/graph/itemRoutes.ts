// Operations on one addressed item: get (with $select, $expand=children), update (PATCH), delete,
// children (list and create folder), simple upload, download redirect, createUploadSession,
// copy, versions, delta, permanentDelete.
import { json, type EmulatorRequest, type EmulatorResponse } from '../shared/server';
import type { ItemRef } from './addressing';
import { jsonContext, type GraphContext } from './context';
import { deltaRequest } from './delta';
import { GraphError, invalidRequest } from './errors';
import { driveItemJson } from './itemJson';
import { copyItem, jsonBody, parseFileSystemInfo, updateItem } from './itemUpdates';
import { checkName, checkPathLength } from './names';
import {
  DEFAULT_PAGE,
  applySelect,
  decodeToken,
  encodeToken,
  expandsChildren,
  linkTo,
  pageSize,
  selectedProperties,
} from './queryOptions';
import type { ConflictBehavior, Drive, Item } from './store';

const CONFLICT_KEY = '@microsoft.graph.conflictBehavior';

export function itemRequest(
  ctx: GraphContext,
  req: EmulatorRequest,
  drive: Drive,
  ref: ItemRef,
  action: string | undefined,
): EmulatorResponse {
  const base = 'id' in ref.base ? ctx.store.item(drive, ref.base.id) : drive.root;
  const target = (): Item => ctx.store.resolve(base, ref.segments ?? []);
  const itemJson = (item: Item): Record<string, unknown> => driveItemJson(item, jsonContext(ctx));

  switch (`${req.method} ${action ?? ''}`) {
    case 'GET ':
      return getItem(ctx, req, target());
    case 'PATCH ':
      return updateItem(ctx, req, target());
    case 'DELETE ':
      ctx.store.recycle(target());
      return { status: 204 };
    case 'GET children':
      return listChildren(ctx, req, target());
    case 'POST children':
      return createFolder(ctx, req, target());
    case 'PUT content':
      return simpleUpload(ctx, req, base, ref.segments);
    case 'GET content': {
      const item = target();
      if (item.kind !== 'file') throw invalidRequest('Only files have content.');
      return { status: 302, headers: { Location: itemJson(item)['@microsoft.graph.downloadUrl'] as string } };
    }
    case 'POST createUploadSession':
      return createUploadSession(ctx, req, base, ref.segments);
    case 'POST copy':
      return copyItem(ctx, req, target());
    case 'GET versions':
      return listVersions(target());
    case 'GET delta':
      return deltaRequest(ctx, req, target());
    case 'POST permanentDelete':
      if (drive.driveType === 'personal') {
        // Not offered on OneDrive personal (Graph docs; rclone's --onedrive-hard-delete notes the same).
        throw new GraphError(400, 'notSupported', 'permanentDelete is not supported on OneDrive personal.');
      }
      ctx.store.destroy(target());
      return { status: 204 };
    default:
      throw new GraphError(400, 'BadRequest', `${req.method} ${action ?? 'item'} is not supported.`);
  }
}

function conflictBehavior(value: unknown, fallback: ConflictBehavior): ConflictBehavior {
  if (value === undefined || value === null || value === '') return fallback;
  if (value === 'fail' || value === 'rename' || value === 'replace') return value;
  throw invalidRequest(`Invalid ${CONFLICT_KEY} "${String(value)}"; expected fail, rename or replace.`);
}

function getItem(ctx: GraphContext, req: EmulatorRequest, item: Item): EmulatorResponse {
  const selected = selectedProperties(req);
  const body = driveItemJson(item, jsonContext(ctx));
  if (expandsChildren(req) && item.kind === 'folder') {
    // Graph inlines the first page of children; the rest are for .../children to page through.
    body.children = ctx.store
      .children(item)
      .slice(0, DEFAULT_PAGE)
      .map((child) => driveItemJson(child, jsonContext(ctx)));
    selected?.add('children');
  }
  return json(200, applySelect(body, selected));
}

function listChildren(ctx: GraphContext, req: EmulatorRequest, folder: Item): EmulatorResponse {
  const top = pageSize(req);
  const selected = selectedProperties(req);
  const skip = req.query.get('$skiptoken');
  const offset = skip === null ? 0 : decodeToken(skip, 'o', 1, '$skiptoken')[0];
  const all = ctx.store.children(folder);
  const page = all
    .slice(offset, offset + top)
    .map((item) => applySelect(driveItemJson(item, jsonContext(ctx)), selected));
  const body: Record<string, unknown> = { value: page };
  if (offset + top < all.length) {
    const query = new URLSearchParams(req.query);
    query.set('$top', String(top));
    query.set('$skiptoken', encodeToken('o', [offset + top]));
    body['@odata.nextLink'] = linkTo(req, req.path, query);
  }
  return json(200, body);
}

/**
 * GET .../versions ("List versions of a driveItem"): the current content first, then each earlier
 * one kept when the content was replaced, newest first.
 */
function listVersions(item: Item): EmulatorResponse {
  if (item.kind !== 'file') throw invalidRequest('Only files have versions.');
  const iso = (ms: number): string => new Date(ms).toISOString();
  const earlier = item.versions!.map((v) => ({
    id: v.id,
    lastModifiedDateTime: iso(v.modified),
    size: v.content.length,
  }));
  const current = {
    id: `${item.versions!.length + 1}.0`,
    lastModifiedDateTime: iso(item.modified),
    size: item.content!.length,
  };
  return json(200, { value: [current, ...earlier.reverse()] });
}

function createFolder(ctx: GraphContext, req: EmulatorRequest, parent: Item): EmulatorResponse {
  const body = jsonBody(req);
  if (typeof body.name !== 'string') throw invalidRequest('A name is required.');
  if (!body.folder || typeof body.folder !== 'object') {
    throw invalidRequest('Only folders can be created this way; include "folder": {}.');
  }
  const conflict = conflictBehavior(body[CONFLICT_KEY], 'fail');
  const { item } = ctx.store.createFolder(parent, body.name, conflict);
  return json(201, driveItemJson(item, jsonContext(ctx)));
}

/** Checks every name of a path to be written and the resulting path length, before anything is made. */
function checkNewPath(ctx: GraphContext, base: Item, segments: readonly string[]): void {
  segments.forEach((name, i) => checkName(name, i === segments.length - 1 ? 'file' : 'folder'));
  checkPathLength(`${ctx.store.pathOf(base)}/${segments.join('/')}`.slice(1));
}

/**
 * PUT .../content ("Upload small files"): replace is the default conflict behaviour. The body is the
 * file's bytes only, so there is no fileSystemInfo here: Graph sets it with a PATCH afterwards.
 */
function simpleUpload(
  ctx: GraphContext,
  req: EmulatorRequest,
  base: Item,
  segments: string[] | undefined,
): EmulatorResponse {
  if (req.body.length > ctx.simpleUploadMaxBytes) {
    // Graph documents simple upload up to 250 MB and 413 for a request over a limit.
    throw new GraphError(
      413,
      'invalidRequest',
      `Simple upload is limited to ${ctx.simpleUploadMaxBytes} bytes; use an upload session.`,
      'maxFileSizeExceeded',
    );
  }
  const itemJson = (item: Item): Record<string, unknown> => driveItemJson(item, jsonContext(ctx));
  if (!segments) {
    // PUT /items/{id}/content replaces an existing file's bytes.
    ctx.store.replaceContent(base, req.body);
    return json(200, itemJson(base));
  }
  if (segments.length === 0) throw invalidRequest('The path names no file.');
  checkNewPath(ctx, base, segments);
  const conflict = conflictBehavior(req.query.get(CONFLICT_KEY) ?? undefined, 'replace');
  const parent = ctx.store.ensureFolders(base, segments.slice(0, -1));
  const { item, created } = ctx.store.writeFile(parent, segments[segments.length - 1], req.body, conflict);
  return json(created ? 201 : 200, itemJson(item));
}

/**
 * POST .../createUploadSession ("driveItem: createUploadSession"): `item` may carry the conflict
 * behaviour (fail by default), fileSystemInfo and fileSize (507 up front when over quota);
 * `deferCommit` holds the file back until an explicit commit. With `fail`, a name already taken
 * is refused here with 409, not only at the last byte.
 */
function createUploadSession(
  ctx: GraphContext,
  req: EmulatorRequest,
  base: Item,
  segments: string[] | undefined,
): EmulatorResponse {
  const body = jsonBody(req);
  const props = (body.item ?? {}) as Record<string, unknown>;
  const deferCommit = body.deferCommit === true;
  if (deferCommit && base.drive.driveType === 'personal') {
    // OneDrive personal completes a deferred session with a PUT carrying @microsoft.graph.sourceUrl,
    // which this emulator does not model; refusing is better than creating a session nobody can finish.
    throw new GraphError(400, 'notSupported', 'deferCommit is not supported on this drive by the emulator.');
  }
  let parentId: string;
  let folders: string[];
  let name: string;
  let conflict: ConflictBehavior;
  if (segments && segments.length > 0) {
    checkNewPath(ctx, base, segments);
    name = segments[segments.length - 1];
    if (typeof props.name === 'string' && props.name !== name) {
      throw invalidRequest('The name in the request body must match the name in the path.');
    }
    parentId = base.id;
    folders = segments.slice(0, -1);
    conflict = conflictBehavior(props[CONFLICT_KEY], 'fail');
    if (conflict === 'fail') refuseTakenName(ctx, base, segments);
  } else {
    // POST /items/{id}/createUploadSession updates that existing file.
    if (base.kind !== 'file' || !base.parent) throw invalidRequest('Address a file, or a parent and a name.');
    parentId = base.parent.id;
    folders = [];
    name = base.name;
    conflict = 'replace';
  }
  if (typeof props.fileSize === 'number') ctx.store.checkQuota(base.drive, props.fileSize);
  const session = ctx.sessions.create({
    drive: base.drive,
    baseItemId: parentId,
    folders,
    name,
    conflict,
    fileSystemInfo: parseFileSystemInfo(props.fileSystemInfo),
    deferCommit,
  });
  return json(200, {
    '@odata.context': `${ctx.server.baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
    uploadUrl: `${ctx.server.altBaseUrl}/up/${session.id}/${session.secret}`,
    ...ctx.sessions.status(session),
    nextExpectedRanges: ['0-'],
  });
}

function refuseTakenName(ctx: GraphContext, base: Item, segments: readonly string[]): void {
  let existing: Item | undefined;
  try {
    existing = ctx.store.resolve(base, segments);
  } catch {
    return;
  }
  throw new GraphError(409, 'nameAlreadyExists', `An item named "${existing.name}" already exists.`);
}
