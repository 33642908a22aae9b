// The API host (https://localhost:PORT/v1.0/...): authentication, users, drives and sites, then
// hands item addresses to itemRoutes. Every GraphError becomes Graph's error JSON here.
import type { Principal } from '../shared/principal';
import { json, type EmulatorRequest, type EmulatorResponse } from '../shared/server';
import { authenticate, requireDriveAccess, requireSiteRead } from './access';
import { parseDriveAddress, type DriveRef } from './addressing';
import type { GraphContext } from './context';
import { GraphError, accessDenied, errorResponse, notFound } from './errors';
import { itemRequest } from './itemRoutes';
import { driveJson } from './itemJson';
import type { Drive } from './store';
import type { User } from './directory';

export function installApiRoutes(ctx: GraphContext): void {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    ctx.server.route(method, '/v1.0/*', async (req) => {
      try {
        return await apiRequest(ctx, req);
      } catch (error) {
        if (error instanceof GraphError) return errorResponse(error, req);
        throw error;
      }
    });
  }
}

const badSegment = (path: string): GraphError =>
  new GraphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop()}'.`);

async function apiRequest(ctx: GraphContext, req: EmulatorRequest): Promise<EmulatorResponse> {
  const principal = authenticate(req, ctx.authorize);
  const path = req.path.slice('/v1.0'.length);
  const get = req.method === 'GET';

  if (get && path === '/me') return json(200, ctx.directory.json(self(ctx, principal)));
  if (get && path === '/me/drives') return driveList(ctx, [ctx.directory.driveOf(self(ctx, principal))]);
  const userOnly = /^\/users\/([^/]+)(\/drives)?$/.exec(path);
  if (get && userOnly) {
    const user = findUser(ctx, principal, decodeURIComponent(userOnly[1]));
    return userOnly[2] ? driveList(ctx, [ctx.directory.driveOf(user)]) : json(200, ctx.directory.json(user));
  }
  if (get && path === '/sites') {
    requireSiteRead(principal);
    const value = ctx.sites.search(req.query.get('search') ?? '*').map((s) => ctx.sites.json(s));
    return json(200, { value });
  }
  const siteOnly = /^\/sites\/([^/]+)(\/drives)?$/.exec(path);
  if (get && siteOnly) {
    requireSiteRead(principal);
    const site = ctx.sites.get(decodeURIComponent(siteOnly[1]));
    if (!site) throw notFound('Requested site could not be found');
    return siteOnly[2] ? driveList(ctx, ctx.sites.drives(site)) : json(200, ctx.sites.json(site));
  }

  const address = parseDriveAddress(path);
  if (!address) throw badSegment(path);
  const drive = resolveDrive(ctx, principal, address.drive);
  requireDriveAccess(principal, drive, !get);
  if (!address.item) {
    if (!get) throw new GraphError(405, 'BadRequest', `${req.method} is not allowed on a drive.`);
    return json(200, driveJson(drive, ctx.store));
  }
  return itemRequest(ctx, req, drive, address.item, address.action);
}

function driveList(ctx: GraphContext, drives: Drive[]): EmulatorResponse {
  return json(200, { value: drives.map((d) => driveJson(d, ctx.store)) });
}

function self(ctx: GraphContext, principal: Principal): User {
  if (principal.appOnly) {
    throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
  return ctx.directory.fromPrincipal(principal);
}

function findUser(ctx: GraphContext, principal: Principal, idOrUpn: string): User {
  if (!principal.appOnly) {
    const me = ctx.directory.fromPrincipal(principal);
    if (me.id === idOrUpn || me.userPrincipalName.toLowerCase() === idOrUpn.toLowerCase()) return me;
    throw accessDenied("Access to another user's drive is denied.");
  }
  const user = ctx.directory.find(idOrUpn);
  if (!user || user.accountType === 'personal') {
    throw new GraphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  return user;
}

function resolveDrive(ctx: GraphContext, principal: Principal, ref: DriveRef): Drive {
  switch (ref.kind) {
    case 'me':
      return ctx.directory.driveOf(self(ctx, principal));
    case 'user':
      return ctx.directory.driveOf(findUser(ctx, principal, ref.id));
    case 'site': {
      const site = ctx.sites.get(ref.id);
      if (!site) throw notFound('Requested site could not be found');
      return ctx.sites.drives(site)[0];
    }
    case 'drive': {
      const drive = ctx.store.drive(ref.id);
      if (!drive) throw notFound('Drive not found');
      return drive;
    }
  }
}
