// Admin API for what a connection can reach: its drives, SharePoint sites and their libraries, folder
// browsing and creation, and the step-by-step connection test.
import { validationError } from '../errors';
import { jsonResult, type HttpRequestLike, type HttpResult } from '../http/types';
import type { Logger } from '../log/logger';
import { testConnection } from '../graph/connectionTest';
import {
  createFolder,
  getDrive,
  listDrives,
  listFolders,
  searchSites,
  siteDrives,
  type DriveTarget,
} from '../graph/drives';
import type { Connection } from '../store/connections';
import { parseJsonObject } from './connectionInput';
import type { AuthDeps } from './deps';

export function driveTarget(connection: Connection): DriveTarget {
  return {
    driveId: connection.driveId,
    siteId: connection.driveType === 'sharepoint' ? connection.siteId : undefined,
    targetUser: connection.authMode === 'app-only' ? connection.targetUser : undefined,
  };
}

export async function getDrives(deps: AuthDeps, request: HttpRequestLike): Promise<HttpResult> {
  const connection = await deps.connections.require(request.params.id ?? '');
  const drives = await listDrives(deps.graph(connection), {
    siteId: connection.siteId,
    targetUser: connection.authMode === 'app-only' ? connection.targetUser : undefined,
    sharepoint: connection.driveType === 'sharepoint',
  });
  return jsonResult(200, { drives });
}

/** The connection's own drive with its owner and quota (the setup page's connection card). */
export async function getConnectionDrive(deps: AuthDeps, request: HttpRequestLike): Promise<HttpResult> {
  const connection = await deps.connections.require(request.params.id ?? '');
  return jsonResult(200, await getDrive(deps.graph(connection), driveTarget(connection)));
}

export async function getSites(deps: AuthDeps, request: HttpRequestLike): Promise<HttpResult> {
  const connection = await deps.connections.require(request.params.id ?? '');
  const search = request.query.get('search') ?? '';
  return jsonResult(200, { sites: await searchSites(deps.graph(connection), search) });
}

export async function getSiteDrives(deps: AuthDeps, request: HttpRequestLike): Promise<HttpResult> {
  const connection = await deps.connections.require(request.params.id ?? '');
  const siteId = request.params.siteId;
  if (!siteId) throw validationError('siteId', 'required');
  return jsonResult(200, { drives: await siteDrives(deps.graph(connection), siteId) });
}

export async function getFolders(deps: AuthDeps, request: HttpRequestLike): Promise<HttpResult> {
  const connection = await deps.connections.require(request.params.id ?? '');
  const page = await listFolders(
    deps.graph(connection),
    driveTarget(connection),
    request.query.get('path') ?? '/',
    request.query.get('next') ?? undefined,
  );
  return jsonResult(200, page);
}

export async function postFolder(deps: AuthDeps, request: HttpRequestLike): Promise<HttpResult> {
  const connection = await deps.connections.require(request.params.id ?? '');
  const body = parseJsonObject(request.body);
  if (typeof body.name !== 'string') throw validationError('name', 'the new folder’s name');
  const parent = typeof body.parent === 'string' ? body.parent : '/';
  const folder = await createFolder(deps.graph(connection), driveTarget(connection), parent, body.name);
  return jsonResult(201, folder);
}

export async function postTest(deps: AuthDeps, request: HttpRequestLike, log: Logger): Promise<HttpResult> {
  const connection = await deps.connections.require(request.params.id ?? '');
  const report = await testConnection({
    target: driveTarget(connection),
    rootFolder: connection.rootFolder,
    appOnly: connection.authMode === 'app-only',
    refreshToken: () => deps.tokens.getAccessToken(connection.id, { forceRefresh: true }),
    client: deps.graph(connection),
    now: deps.now,
  });
  log.info('connection.tested', {
    connectionId: connection.id,
    ok: report.ok,
    failed: report.steps.find((s) => !s.ok)?.step,
  });
  return jsonResult(200, report);
}
