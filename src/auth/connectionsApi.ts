// Admin REST API for connections (function key): create, list, get, update, delete. Responses never
// contain a secret; a connection's own client secret goes straight to Key Vault, and deleting a
// connection deletes its secrets too.
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import { jsonResult, type HttpRequestLike, type HttpResult } from '../http/types';
import type { Logger } from '../log/logger';
import { clientSecretSecretName, connectionSecretNames } from '../secrets/names';
import type { Connection } from '../store/connections';
import { checkConnection, parseConnectionInput, parseJsonObject } from './connectionInput';
import { effectiveClientId } from './credentials';
import type { AuthDeps } from './deps';

export function connectionView(connection: Connection, deps: AuthDeps): Record<string, unknown> {
  return {
    ...connection,
    clientId: effectiveClientId(connection, deps.app),
    ownApp: Boolean(connection.clientId),
    authorizePath:
      connection.authMode === 'delegated' ? `/api/connections/${connection.id}/authorize` : undefined,
  };
}

/** SharePoint when a site is named; personal only where personal accounts can sign in; else business. */
function defaultDriveType(
  input: { siteId?: string; cloud?: string; tenant?: string },
  deps: AuthDeps,
): Connection['driveType'] {
  if (input.siteId) return 'sharepoint';
  const cloud = input.cloud ?? deps.defaultCloud;
  const tenant = input.tenant || deps.defaultTenant;
  return cloud === 'global' && (tenant === 'consumers' || tenant === 'common') ? 'personal' : 'business';
}

export async function createConnection(
  deps: AuthDeps,
  request: HttpRequestLike,
  log: Logger,
): Promise<HttpResult> {
  const input = parseConnectionInput(parseJsonObject(request.body));
  if (!input.name) throw new AppError('ValidationFailed', 'name: required', { field: 'name' });
  const now = deps.now().toISOString();
  const connection: Connection = {
    id: randomUUID(),
    name: input.name,
    cloud: input.cloud ?? deps.defaultCloud,
    tenant: input.tenant || deps.defaultTenant,
    authMode: input.authMode ?? 'delegated',
    clientId: input.clientId || undefined,
    hasOwnClientSecret: Boolean(input.clientSecret),
    driveType: input.driveType ?? defaultDriveType(input, deps),
    driveId: input.driveId || undefined,
    siteId: input.siteId || undefined,
    targetUser: input.targetUser || undefined,
    rootFolder: input.rootFolder ?? '/Backups',
    status: 'new',
    createdAt: now,
    updatedAt: now,
  };
  checkConnection(connection, input);
  if (input.clientSecret)
    await deps.secrets.setSecret(clientSecretSecretName(connection.id), input.clientSecret, {
      contentType: 'client-secret',
      tags: { connectionId: connection.id },
    });
  await deps.connections.create(connection);
  log.info('connection.created', {
    connectionId: connection.id,
    cloud: connection.cloud,
    authMode: connection.authMode,
  });
  return jsonResult(201, connectionView(connection, deps), { location: `/api/connections/${connection.id}` });
}

export async function listConnections(deps: AuthDeps): Promise<HttpResult> {
  const connections = await deps.connections.list();
  return jsonResult(200, { connections: connections.map((c) => connectionView(c, deps)) });
}

export async function getConnection(deps: AuthDeps, request: HttpRequestLike): Promise<HttpResult> {
  return jsonResult(200, connectionView(await deps.connections.require(request.params.id ?? ''), deps));
}

/** Fields whose change makes the stored sign-in useless (another cloud, tenant or app). */
const IDENTITY_FIELDS = ['cloud', 'tenant', 'clientId', 'authMode'] as const;

export async function updateConnection(
  deps: AuthDeps,
  request: HttpRequestLike,
  log: Logger,
): Promise<HttpResult> {
  const current = await deps.connections.require(request.params.id ?? '');
  const input = parseConnectionInput(parseJsonObject(request.body));
  const patch: Partial<Connection> = {};
  for (const key of ['name', 'cloud', 'tenant', 'authMode', 'driveType', 'rootFolder'] as const)
    if (input[key] !== undefined) (patch as Record<string, unknown>)[key] = input[key];
  // Optional ids: an empty string clears them.
  for (const key of ['clientId', 'driveId', 'siteId', 'targetUser'] as const)
    if (input[key] !== undefined) (patch as Record<string, unknown>)[key] = input[key] || undefined;
  if (input.clientSecret) patch.hasOwnClientSecret = true;
  if (patch.clientId === undefined && 'clientId' in patch) patch.hasOwnClientSecret = false;
  const next: Connection = { ...current, ...patch };
  checkConnection(next, input);
  const identityChanged = IDENTITY_FIELDS.some((k) => (next[k] ?? '') !== (current[k] ?? ''));
  if (identityChanged && current.status !== 'new') {
    Object.assign(patch, {
      status: next.authMode === 'app-only' ? 'new' : 'reauth-required',
      statusCode: 'settings-changed',
      statusReason: 'The cloud, tenant or app of this connection changed, so its sign-in no longer applies.',
      advice:
        next.authMode === 'app-only'
          ? 'Use Test on the connection.'
          : 'Choose Authorize on the connection to sign in again.',
    } satisfies Partial<Connection>);
  }
  if (input.clientSecret)
    await deps.secrets.setSecret(clientSecretSecretName(current.id), input.clientSecret, {
      contentType: 'client-secret',
      tags: { connectionId: current.id },
    });
  if (patch.hasOwnClientSecret === false && current.hasOwnClientSecret)
    await deps.secrets.deleteSecret(clientSecretSecretName(current.id));
  const updated = await deps.connections.update(current.id, patch);
  deps.tokens.invalidate(current.id);
  log.info('connection.updated', { connectionId: current.id, fields: Object.keys(patch) });
  return jsonResult(200, connectionView(updated, deps));
}

export async function deleteConnection(
  deps: AuthDeps,
  request: HttpRequestLike,
  log: Logger,
): Promise<HttpResult> {
  const connection = await deps.connections.require(request.params.id ?? '');
  // Secrets first: a failure leaves the row, so the delete can simply be repeated.
  for (const name of connectionSecretNames(connection.id)) await deps.secrets.deleteSecret(name);
  await deps.connections.delete(connection.id);
  deps.tokens.invalidate(connection.id);
  log.info('connection.deleted', { connectionId: connection.id });
  return { status: 204 };
}
