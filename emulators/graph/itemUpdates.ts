// Changing items in place: PATCH (Graph docs "Update a driveItem" and "Move a driveItem": rename,
// move with parentReference, fileSystemInfo) and POST .../copy ("driveItem: copy": 202 Accepted
// with a monitor URL in Location; a name already taken at the target is rejected up front).
// The copy is done before the 202 is sent, so the monitor reports it completed at once.
import { randomBytes } from 'node:crypto';
import { json, type EmulatorRequest, type EmulatorResponse } from '../shared/server';
import { jsonContext, type GraphContext } from './context';
import { GraphError, invalidRequest } from './errors';
import { driveItemJson } from './itemJson';
import type { Drive, FileSystemInfo, Item } from './store';

export function jsonBody(req: EmulatorRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  try {
    const parsed = JSON.parse(req.body.toString('utf8'));
    if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw invalidRequest('The request body is not valid JSON.');
}

/** fileSystemInfo from a request body: ISO dates, either may be absent. */
export function parseFileSystemInfo(value: unknown): Partial<FileSystemInfo> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw invalidRequest('fileSystemInfo must be an object.');
  const info = value as Record<string, unknown>;
  const out: Partial<FileSystemInfo> = {};
  for (const [key, field] of [
    ['createdDateTime', 'created'],
    ['lastModifiedDateTime', 'modified'],
  ] as const) {
    if (info[key] === undefined) continue;
    const ms = typeof info[key] === 'string' ? Date.parse(info[key]) : NaN;
    if (Number.isNaN(ms)) throw invalidRequest(`fileSystemInfo.${key} is not a date.`);
    out[field] = ms;
  }
  return out;
}

/** The folder a parentReference names on `drive` (by id, or by path like /drive/root:/a/b). */
function referencedFolder(ctx: GraphContext, drive: Drive, ref: unknown): Item | undefined {
  if (ref === undefined || ref === null) return undefined;
  if (typeof ref !== 'object') throw invalidRequest('parentReference must be an object.');
  const { id, path, driveId } = ref as Record<string, unknown>;
  if (driveId !== undefined && driveId !== drive.id) {
    throw new GraphError(400, 'notSupported', 'This emulator keeps moves and copies on one drive.');
  }
  if (typeof id === 'string') return ctx.store.item(drive, id);
  if (typeof path === 'string') {
    const rest = /^\/drive\/root:?(.*)$/.exec(path)?.[1];
    if (rest === undefined) throw invalidRequest('parentReference.path must start with /drive/root:.');
    return ctx.store.resolve(drive.root, rest.split('/').filter(Boolean).map(decodeURIComponent));
  }
  throw invalidRequest('parentReference needs an id or a path.');
}

export function updateItem(ctx: GraphContext, req: EmulatorRequest, item: Item): EmulatorResponse {
  const body = jsonBody(req);
  if (body.name !== undefined && typeof body.name !== 'string')
    throw invalidRequest('name must be a string.');
  ctx.store.update(item, {
    name: body.name as string | undefined,
    parent: referencedFolder(ctx, item.drive, body.parentReference),
    fileSystemInfo: parseFileSystemInfo(body.fileSystemInfo),
  });
  return json(200, driveItemJson(item, jsonContext(ctx)));
}

export function copyItem(ctx: GraphContext, req: EmulatorRequest, source: Item): EmulatorResponse {
  if (!source.parent) throw invalidRequest('The root cannot be copied.');
  const body = jsonBody(req);
  if (body.name !== undefined && typeof body.name !== 'string')
    throw invalidRequest('name must be a string.');
  const parent = referencedFolder(ctx, source.drive, body.parentReference) ?? source.parent;
  const copy = ctx.store.copy(source, parent, (body.name as string | undefined) ?? source.name);
  const jobId = randomBytes(12).toString('hex');
  ctx.copyJobs.set(jobId, copy.id);
  return { status: 202, headers: { Location: `${ctx.server.altBaseUrl}/monitor/${jobId}` } };
}

/** GET on a monitor URL (long-running actions): pre-authenticated, so it needs no token. */
export function monitorStatus(ctx: GraphContext, jobId: string): EmulatorResponse {
  const resourceId = ctx.copyJobs.get(jobId);
  if (!resourceId) throw new GraphError(404, 'itemNotFound', 'No such operation.');
  return json(200, { operation: 'ItemCopy', status: 'completed', percentageComplete: 100, resourceId });
}
