// Builds the auth area's dependencies from the validated Config and the shared services container.
// The only place that knows the Config's shape; everything else takes plain options.
import { memoizeByServices, type ServicesMemo } from '../app/memoizeByServices';
import { reportConnectionReauth } from '../alerts/check';
import { alertDepsFor } from '../alerts/wiring';
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

/**
 * The auth deps of a services container, built once and shared by every area: one TokenService per
 * process is what makes refreshes single-flight and rotated refresh tokens written back exactly once.
 */
export const sharedAuthDeps: ServicesMemo<AuthDeps> = memoizeByServices((services) =>
  buildAuthDeps(services, { onAlert: (alert) => reportTokenAlert(services, alert) }),
);

/**
 * A connection flagged reauth-required is reported at once through the alert channels (log event,
 * metric, webhooks), deduped with the daily check, rather than waiting for that check.
 */
async function reportTokenAlert(services: Services, alert: TokenAlert): Promise<void> {
  if (alert.kind !== 'reauth-required') return;
  const [auth, alerts] = await Promise.all([sharedAuthDeps(services), alertDepsFor(services)]);
  for (const id of alert.connectionIds) {
    const connection = await auth.connections.get(id);
    if (connection) await reportConnectionReauth(alerts, connection);
  }
}
