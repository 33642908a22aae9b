// Shared by the corpus and security tests that drive the sign-in flow: the identity, Graph and Key
// Vault emulators, auth dependencies over this file's own Azurite tables, the auth area's real HTTP
// handlers, and a browser-like walk through authorize → sign-in → the callback's query.
import { invokeHttp } from '../../src/app/invoke';
import { createServices } from '../../src/app/services';
import type { FunctionDefinition, HttpTrigger } from '../../src/app/types';
import type { AuthDeps } from '../../src/auth/deps';
import { createAuthFunctions } from '../../src/auth/functions';
import { buildAuthDeps } from '../../src/auth/wiring';
import { loadConfig } from '../../src/config';
import type { HttpRequestLike, HttpResult } from '../../src/http/types';
import { createLogger } from '../../src/log/logger';
import { refreshTokenSecretName } from '../../src/secrets/names';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_REDIRECT_URI,
  IdentityEmulator,
} from '../../emulators/identity';
import { GraphEmulator } from '../../emulators/graph';
import { KeyVaultEmulator } from '../../emulators/keyvault';
import { azuriteConnectionString, uniqueName } from '../helpers/azurite';

export const KV_TOKEN = 'kv-static-token-corpus-000000001';

export interface AuthWorld {
  identity: IdentityEmulator;
  graph: GraphEmulator;
  vault: KeyVaultEmulator;
  deps: AuthDeps;
  functions: FunctionDefinition[];
  stop(): Promise<void>;
}

export async function startAuthWorld(): Promise<AuthWorld> {
  const identity = await new IdentityEmulator().start();
  const graph = await new GraphEmulator({ authorize: identity.introspect }).start();
  const vault = await new KeyVaultEmulator().start();
  const config = loadConfig({
    RUN_MODE: 'local',
    AzureWebJobsStorage: azuriteConnectionString(),
    KEY_VAULT_URL: vault.vaultUrl,
    KEY_VAULT_TOKEN_OVERRIDE: KV_TOKEN,
    GRAPH_CLIENT_ID: DEFAULT_CLIENT_ID,
    LOGIN_ENDPOINT_OVERRIDE: identity.baseUrl,
    GRAPH_ENDPOINT_OVERRIDE: graph.baseUrl,
    AUTH_REDIRECT_URI: DEFAULT_REDIRECT_URI,
  });
  const deps = await buildAuthDeps(createServices(config, createLogger()), {
    connectionsTable: uniqueName('conns'),
    statesTable: uniqueName('states'),
    sleep: async () => undefined,
  });
  await deps.secrets.setSecret(config.clientSecretName, DEFAULT_CLIENT_SECRET);
  return {
    identity,
    graph,
    vault,
    deps,
    functions: createAuthFunctions(async () => deps),
    stop: async () => {
      await Promise.all([identity.stop(), graph.stop(), vault.stop()]);
    },
  };
}

/** Calls an auth HTTP handler the way the host does (params, query, raw body, errors mapped). */
export async function callAuth(
  world: AuthWorld,
  name: string,
  request: {
    params?: Record<string, string>;
    query?: URLSearchParams | string;
    body?: string | unknown;
  } = {},
): Promise<HttpResult> {
  const fn = world.functions.find((f) => f.name === name);
  if (!fn || fn.trigger.type !== 'http') throw new Error(`no http function ${name}`);
  const trigger = fn.trigger as HttpTrigger;
  const query = new URLSearchParams(request.query ?? '');
  const req: HttpRequestLike = {
    method: trigger.methods[0],
    url: `http://localhost:7071/api/${trigger.route}?${query}`,
    params: request.params ?? {},
    query,
    headers: {},
    body:
      request.body === undefined
        ? ''
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body),
  };
  return invokeHttp(fn, req, {
    invocationId: 'corpus',
    functionName: name,
    log: createLogger({ fn: name }),
  });
}

export async function createConnection(
  world: AuthWorld,
  body: Record<string, unknown> = {},
): Promise<string> {
  const result = await callAuth(world, 'connectionsCreate', {
    body: { name: 'Corpus', tenant: 'consumers', ...body },
  });
  if (result.status !== 201)
    throw new Error(`create connection: ${result.status} ${JSON.stringify(result.body)}`);
  return (result.body as { id: string }).id;
}

/** authorize → the emulator's sign-in (auto consent) → the query Microsoft would send back. */
export async function signInRedirect(world: AuthWorld, connectionId: string): Promise<URLSearchParams> {
  const start = await callAuth(world, 'authStart', { params: { id: connectionId } });
  if (start.status !== 302) throw new Error(`authorize: ${start.status}`);
  const response = await fetch(start.headers!.location, { redirect: 'manual' });
  if (response.status !== 302) throw new Error(`sign-in: ${response.status}`);
  return new URL(response.headers.get('location')!).searchParams;
}

/** What a callback could change for a connection: its row, its refresh-token versions, token requests. */
export async function storedState(world: AuthWorld, connectionId: string) {
  const connection = await callAuth(world, 'connectionsGet', { params: { id: connectionId } });
  return {
    connection: connection.body,
    refreshTokens:
      world.vault.secret(refreshTokenSecretName(connectionId))?.versions.map((v) => v.value) ?? [],
    tokenRequests: world.identity.tokenRequests(),
  };
}
