// The auth area's functions: the sign-in flow, the connections admin API, drives and folders, the
// connection test, and the timer that keeps idle refresh tokens alive. Handlers get their
// dependencies from a provider: the app's root builds them once (./wiring.ts), tests pass their own.
// A thrown error becomes its HTTP answer in invokeHttp, which runs every HTTP entry.
import type { DepsProvider, FunctionDefinition, HttpTrigger, InvocationContext } from '../app/types';
import type { HttpRequestLike, HttpResult } from '../http/types';
import type { Logger } from '../log/logger';
import { authCallback } from './callback';
import { authStart } from './authStart';
import {
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  updateConnection,
} from './connectionsApi';
import type { AuthDeps } from './deps';
import {
  getConnectionDrive,
  getDrives,
  getFolders,
  getSiteDrives,
  getSites,
  postFolder,
  postTest,
} from './drivesApi';

type Handler = (deps: AuthDeps, request: HttpRequestLike, log: Logger) => Promise<HttpResult>;

function http(
  resolve: DepsProvider<AuthDeps>,
  name: string,
  route: string,
  methods: HttpTrigger['methods'],
  authLevel: HttpTrigger['authLevel'],
  handler: Handler,
): FunctionDefinition {
  return {
    name,
    trigger: {
      type: 'http',
      route,
      methods,
      authLevel,
      handler: async (request: HttpRequestLike, context: InvocationContext) =>
        handler(await resolve(), request, context.log),
    },
  };
}

export function createAuthFunctions(resolve: DepsProvider<AuthDeps>): FunctionDefinition[] {
  return [
    http(resolve, 'authStart', 'connections/{id}/authorize', ['GET'], 'function', authStart),
    http(resolve, 'authCallback', 'auth/callback', ['GET'], 'anonymous', authCallback),
    http(resolve, 'connectionsCreate', 'connections', ['POST'], 'function', createConnection),
    http(resolve, 'connectionsList', 'connections', ['GET'], 'function', (deps) => listConnections(deps)),
    http(resolve, 'connectionsGet', 'connections/{id}', ['GET'], 'function', (deps, req) =>
      getConnection(deps, req),
    ),
    http(resolve, 'connectionsUpdate', 'connections/{id}', ['PATCH'], 'function', updateConnection),
    http(resolve, 'connectionsDelete', 'connections/{id}', ['DELETE'], 'function', deleteConnection),
    http(resolve, 'connectionDrives', 'connections/{id}/drives', ['GET'], 'function', (deps, req) =>
      getDrives(deps, req),
    ),
    http(resolve, 'connectionDrive', 'connections/{id}/drive', ['GET'], 'function', (deps, req) =>
      getConnectionDrive(deps, req),
    ),
    http(resolve, 'connectionSites', 'connections/{id}/sites', ['GET'], 'function', (deps, req) =>
      getSites(deps, req),
    ),
    http(
      resolve,
      'connectionSiteDrives',
      'connections/{id}/sites/{siteId}/drives',
      ['GET'],
      'function',
      (deps, req) => getSiteDrives(deps, req),
    ),
    http(resolve, 'connectionFolders', 'connections/{id}/folders', ['GET'], 'function', (deps, req) =>
      getFolders(deps, req),
    ),
    http(resolve, 'connectionFolderCreate', 'connections/{id}/folders', ['POST'], 'function', (deps, req) =>
      postFolder(deps, req),
    ),
    http(resolve, 'connectionTest', 'connections/{id}/test', ['POST'], 'function', postTest),
    {
      name: 'tokenKeepAlive',
      trigger: {
        type: 'timer',
        // Daily is enough to refresh anything idle for 30 days well before the 90-day limit.
        scheduleSetting: 'SECRET_CHECK_CRON',
        handler: async (_timer, context) => {
          const result = await (await resolve()).tokens.refreshIdle(30);
          context.log.info('auth.keepAlive', { refreshed: result.refreshed.length, failed: result.failed });
        },
      },
    },
  ];
}
