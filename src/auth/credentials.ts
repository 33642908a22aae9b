// Which app registration a connection signs in with, and its client secret from Key Vault.
import { AppError } from '../errors';
import type { SecretStore } from '../secrets/secretStore';
import { clientSecretSecretName } from '../secrets/names';
import type { Connection } from '../store/connections';
import type { ClientCredentials } from './tokenClient';

export interface AppDefaults {
  /** GRAPH_CLIENT_ID. */
  defaultClientId: string;
  /** CLIENT_SECRET_NAME: the Key Vault secret with the default app's client secret. */
  clientSecretName: string;
}

export function effectiveClientId(connection: Pick<Connection, 'clientId'>, defaults: AppDefaults): string {
  return connection.clientId || defaults.defaultClientId;
}

/** The Key Vault secret holding the client secret this connection uses. */
export function clientSecretNameFor(
  connection: Pick<Connection, 'id' | 'hasOwnClientSecret'>,
  defaults: AppDefaults,
): string {
  return connection.hasOwnClientSecret ? clientSecretSecretName(connection.id) : defaults.clientSecretName;
}

export async function loadClientCredentials(
  connection: Connection,
  defaults: AppDefaults,
  secrets: SecretStore,
): Promise<ClientCredentials & { secretName: string }> {
  const secretName = clientSecretNameFor(connection, defaults);
  const secret = await secrets.getSecret(secretName);
  if (!secret) {
    throw new AppError('ConfigInvalid', `The client secret '${secretName}' is not in Key Vault`, {
      field: 'clientSecret',
      advice: `Create a client secret in the app registration (Certificates & secrets), copy its Value and store it in Key Vault as '${secretName}' with its expiry date.`,
    });
  }
  return { clientId: effectiveClientId(connection, defaults), clientSecret: secret.value, secretName };
}
