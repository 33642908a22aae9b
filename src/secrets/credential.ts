// The credential the Key Vault client authenticates with: managed identity in Azure, a static bearer
// token for the Key Vault emulator (KEY_VAULT_TOKEN_OVERRIDE).
import {
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type AccessToken,
  type TokenCredential,
} from '@azure/identity';
import { registerSecret } from '../log/logger';

export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {
    registerSecret(token);
  }

  async getToken(): Promise<AccessToken> {
    // Again on each use: the masker forgets values not registered for a day.
    registerSecret(this.token);
    // Valid for an hour from each call: the emulator decides what it accepts.
    return { token: this.token, expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

export interface CredentialOptions {
  keyVaultTokenOverride?: string;
  managedIdentityClientId?: string;
}

export function createKeyVaultCredential(options: CredentialOptions): TokenCredential {
  if (options.keyVaultTokenOverride) return new StaticTokenCredential(options.keyVaultTokenOverride);
  // A user-assigned identity is named by client id; without one, DefaultAzureCredential also covers
  // developers signed in with the Azure CLI.
  if (options.managedIdentityClientId)
    return new ManagedIdentityCredential({ clientId: options.managedIdentityClientId });
  return new DefaultAzureCredential();
}
