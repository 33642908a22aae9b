// Builds the auth area's dependencies from the validated Config and the shared services container.
// The only place that knows the Config's shape; everything else takes plain options.
import { reportClientSecretRejected, reportConnectionReauth } from '../alerts/check';
import type { AlertDeps } from '../alerts/deps';
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
 * Token failures go out through the alert channels at once (log event, metric, webhooks), deduped
 * with the daily check, rather than waiting for it: a connection that needs re-authorization, and a
 * client secret Microsoft rejects (which stops every connection of that app).
 */
export async function reportTokenAlert(
  alerts: AlertDeps,
  connectionStore: Pick<ConnectionStore, 'get'>,
  alert: TokenAlert,
): Promise<void> {
  const connections = (await Promise.all(alert.connectionIds.map((id) => connectionStore.get(id)))).filter(
    (c) => c !== undefined,
  );
  if (alert.kind === 'invalid-client') {
    await reportClientSecretRejected(alerts, {
      clientId: alert.clientId,
      code: alert.advice.code,
      title: alert.advice.title,
      explanation: alert.advice.explanation,
      fix: alert.advice.fix,
      connections: connections.map((c) => c.name),
    });
    return;
  }
  for (const connection of connections) await reportConnectionReauth(alerts, connection);
}
