// Builds the auth area's dependencies from the validated Config and the shared services container.
// The only place that knows the Config's shape; everything else takes plain options.
import {
  reportCertificateNotRegistered,
  reportClientSecretRejected,
  reportConnectionReauth,
} from '../alerts/check';
import { credentialConfig } from '../config/credentialSettings';
import { KeyVaultCertificateStore, type CertificateStore } from '../secrets/certificateStore';
import { createFederatedTokenSource, type AssertionTokenSource } from '../secrets/federatedToken';
import {
  CREDENTIAL_HEALTH_TABLE,
  TableCredentialHealthStore,
  type CredentialHealthStore,
} from '../store/credentialHealth';
import { ClientCredentialProvider, type CertificateRotationAlert } from './credentials';
import type { AlertDeps } from '../alerts/deps';
import type { Services } from '../app/services';
import { createGraphClient } from '../graph/client';
import { createLogger } from '../log/logger';
import { StaticTokenCredential } from '../secrets/credential';
import { KeyVaultSecretStore, type SecretStore } from '../secrets/secretStore';
import { CONNECTIONS_TABLE, ConnectionStore } from '../store/connections';
import { OAUTH_STATES_TABLE, OAuthStateStore } from '../store/oauthStates';
import type { AuthDeps } from './deps';
import { stateKeyProvider } from './stateKey';
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
  certificates?: CertificateStore;
  federatedTokens?: AssertionTokenSource;
  credentialHealth?: CredentialHealthStore;
  onRotationAlert?: (alert: CertificateRotationAlert) => void | Promise<void>;
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
  const credential = credentialConfig(config.settings);
  const app = {
    defaultClientId: config.graphClientId,
    clientSecretName: config.clientSecretName,
    credentialKind: credential.kind,
    certificateName: credential.certificateName,
  };
  const keyVaultCredential = config.keyVaultTokenOverride
    ? new StaticTokenCredential(config.keyVaultTokenOverride)
    : undefined;
  const credentials = new ClientCredentialProvider(app, {
    secrets,
    // Built only for the kind in use: a secret-only deployment never asks for certificate access.
    certificates:
      credential.kind === 'certificate'
        ? (overrides.certificates ??
          new KeyVaultCertificateStore({
            keyVaultUrl: config.keyVaultUrl,
            credential: keyVaultCredential ?? services.credential(),
          }))
        : undefined,
    federatedTokens:
      credential.kind === 'federated'
        ? (overrides.federatedTokens ??
          createFederatedTokenSource({
            managedIdentityClientId: config.managedIdentityClientId,
            endpointOverride: credential.managedIdentityEndpointOverride,
            endpointHeader: credential.managedIdentityEndpointHeader,
          }))
        : undefined,
    health:
      credential.kind === 'secret'
        ? undefined
        : (overrides.credentialHealth ??
          new TableCredentialHealthStore(await services.table(CREDENTIAL_HEALTH_TABLE))),
    now: () => now().getTime(),
    onRotationAlert: overrides.onRotationAlert,
    log: log.child({ area: 'auth' }),
  });
  const tokens = new TokenService({
    credentials,
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
    stateKeys: stateKeyProvider(secrets),
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
      credential: alert.credential,
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

/** A renewed certificate was refused and the previous one signed instead: tell someone to upload it. */
export async function reportRotationAlert(alerts: AlertDeps, alert: CertificateRotationAlert): Promise<void> {
  await reportCertificateNotRegistered(alerts, alert);
}
