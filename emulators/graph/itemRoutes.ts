// Operations on one addressed item: get, delete, children (list and create folder), simple upload,
// download redirect, createUploadSession, permanentDelete.
import { json, type EmulatorRequest, type EmulatorResponse } from '../shared/server';
import type { ItemRef } from './addressing';
import { jsonContext, type GraphContext } from './context';
import { GraphError, invalidRequest } from './errors';
import { driveItemJson } from './itemJson';
import { checkName, checkPathLength } from './names';
import type { ConflictBehavior, Drive, Item } from './store';

const CONFLICT_KEY = '@microsoft.graph.conflictBehavior';
const DEFAULT_PAGE = 200;
const MAX_PAGE = 1000;

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
      return json(200, itemJson(target()));
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

function jsonBody(req: EmulatorRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  try {
    const parsed = JSON.parse(req.body.toString('utf8'));
    if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw invalidRequest('The request body is not valid JSON.');
}

function listChildren(ctx: GraphContext, req: EmulatorRequest, folder: Item): EmulatorResponse {
  const topParam = req.query.get('$top');
  const top = topParam === null ? DEFAULT_PAGE : Number(topParam);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) {
    throw invalidRequest(`$top must be an integer from 1 to ${MAX_PAGE}.`, 'invalidQueryOption');
  }
  const offset = decodeSkipToken(req.query.get('$skiptoken'));
  const all = ctx.store.children(folder);
  const page = all.slice(offset, offset + top).map((item) => driveItemJson(item, jsonContext(ctx)));
  const body: Record<string, unknown> = { value: page };
  if (offset + top < all.length) {
    const query = new URLSearchParams(req.query);
    query.set('$top', String(top));
    query.set('$skiptoken', Buffer.from(`o:${offset + top}`).toString('base64url'));
    body['@odata.nextLink'] = `${ctx.server.baseUrl}${req.path}?${query.toString()}`;
  }
  return json(200, body);
}

function decodeSkipToken(token: string | null): number {
  if (token === null) return 0;
  const match = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw invalidRequest('Invalid $skiptoken.', 'invalidQueryOption');
  return Number(match[1]);
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

function createUploadSession(
  ctx: GraphContext,
  req: EmulatorRequest,
  base: Item,
  segments: string[] | undefined,
): EmulatorResponse {
  const body = jsonBody(req);
  const props = (body.item ?? {}) as Record<string, unknown>;
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
    // Graph documents "fail" as the default conflict behaviour for upload sessions.
    conflict = conflictBehavior(props[CONFLICT_KEY], 'fail');
  } else {
    // POST /items/{id}/createUploadSession updates that existing file.
    if (base.kind !== 'file' || !base.parent) throw invalidRequest('Address a file, or a parent and a name.');
    parentId = base.parent.id;
    folders = [];
    name = base.name;
    conflict = 'replace';
  }
  if (typeof props.fileSize === 'number') ctx.store.checkQuota(base.drive, props.fileSize);
  const session = ctx.sessions.create({ drive: base.drive, baseItemId: parentId, folders, name, conflict });
  return json(200, {
    '@odata.context': `${ctx.server.baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
    uploadUrl: `${ctx.server.altBaseUrl}/up/${session.id}/${session.secret}`,
    ...ctx.sessions.status(session),
    nextExpectedRanges: ['0-'],
  });
}
