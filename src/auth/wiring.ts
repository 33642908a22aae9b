// Builds the auth area's dependencies from the validated Config and the shared services container.
// The only place that knows the Config's shape; everything else takes plain options.
import type { Services } from '../app/services';
import { createGraphClient } from '../graph/client';
import { createLogger } from '../log/logger';
import { StaticTokenCredential } from '../secrets/credential';
import { KeyVaultSecretStore, type SecretStore } from '../secrets/secretStore';
import { CONNECTIONS_TABLE, ConnectionStore } from '../store/connections';
import { OAUTH_STATES_TABLE, OAuthStateStore } from '../store/oauthStates';
import type { AuthDeps } from './deps';
import { StateKeyProvider } from './stateKey';
import { HttpTokenClient, type TokenClient } from './tokenClient';
import { TokenService, type TokenAlert } from './tokenService';

export interface AuthWiringOverrides {
  secrets?: SecretStore;
  tokenClient?: TokenClient;
  now?: () => Date;
  connectionsTable?: string;
  statesTable?: string;
  onAlert?: (alert: TokenAlert) => void | Promise<void>;
  /** Token-endpoint retry pacing (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
}

export async function buildAuthDeps(
  services: Services,
  overrides: AuthWiringOverrides = {},
): Promise<AuthDeps> {
  const config = services.config;
  const now = overrides.now ?? (() => new Date());
  const log = services.log ?? createLogger();
  const secrets =
    overrides.secrets ??
    new KeyVaultSecretStore({
      keyVaultUrl: config.keyVaultUrl,
      credential: config.keyVaultTokenOverride
        ? new StaticTokenCredential(config.keyVaultTokenOverride)
        : services.credential(),
    });
  const connections = new ConnectionStore(
    await services.table(overrides.connectionsTable ?? CONNECTIONS_TABLE),
  );
  const states = new OAuthStateStore(await services.table(overrides.statesTable ?? OAUTH_STATES_TABLE), now);
  const tokenClient = overrides.tokenClient ?? new HttpTokenClient();
  const endpointOverrides = {
    loginEndpointOverride: config.loginEndpointOverride,
    graphEndpointOverride: config.graphEndpointOverride,
  };
  const app = { defaultClientId: config.graphClientId, clientSecretName: config.clientSecretName };
  const tokens = new TokenService({
    ...app,
    ...endpointOverrides,
    connections,
    secrets,
    tokenClient,
    now: () => now().getTime(),
    sleep: overrides.sleep,
    onAlert: overrides.onAlert,
    log: log.child({ area: 'auth' }),
  });
  return {
    connections,
    states,
    secrets,
    stateKeys: new StateKeyProvider(secrets),
    tokenClient,
    tokens,
    graph: (connection) => createGraphClient(connection, tokens),
    app,
    defaultTenant: config.graphTenant,
    defaultCloud: config.graphCloud,
    overrides: endpointOverrides,
    redirectUri: config.redirectUri,
    now,
  };
}

const shared = new WeakMap<Services, Promise<AuthDeps>>();

/**
 * The auth deps of a services container, built once and shared by every area: one TokenService per
 * process is what makes refreshes single-flight and rotated refresh tokens written back exactly once.
 */
export function sharedAuthDeps(services: Services): Promise<AuthDeps> {
  let deps = shared.get(services);
  if (!deps) {
    deps = buildAuthDeps(services);
    deps.catch(() => shared.delete(services));
    shared.set(services, deps);
  }
  return deps;
}
