// Lists the vault's secrets (properties only, never values) for the webhook registry. The shared
// secret store (src/secrets/) reads and writes single secrets and has no listing; this adapter adds
// one with the same client settings rather than widening that interface for one caller.
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import { AppError } from '../errors';
import { createKeyVaultCredential, type CredentialOptions } from '../secrets/credential';
import { isAzureVaultHost } from '../secrets/secretStore';
import type { SecretLister, SecretListing } from './webhooks';

export interface KeyVaultListerOptions extends CredentialOptions {
  keyVaultUrl: string;
  credential?: TokenCredential;
}

export class KeyVaultSecretLister implements SecretLister {
  private readonly client: SecretClient;

  constructor(options: KeyVaultListerOptions) {
    const clientOptions: SecretClientOptions = {
      disableChallengeResourceVerification: !isAzureVaultHost(options.keyVaultUrl),
    };
    if (new URL(options.keyVaultUrl).protocol === 'http:')
      (clientOptions as { allowInsecureConnection?: boolean }).allowInsecureConnection = true;
    this.client = new SecretClient(
      options.keyVaultUrl,
      options.credential ?? createKeyVaultCredential(options),
      clientOptions,
    );
  }

  async listSecrets(): Promise<SecretListing[]> {
    const out: SecretListing[] = [];
    try {
      for await (const p of this.client.listPropertiesOfSecrets())
        out.push({ name: p.name, enabled: p.enabled !== false, contentType: p.contentType, tags: p.tags });
    } catch (error) {
      const status = (error as { statusCode?: number })?.statusCode;
      throw new AppError(
        status === 401 || status === 403 ? 'Unauthorized' : 'Transient',
        `Key Vault listing of secrets failed${status ? ` with HTTP ${status}` : ''}`,
        status === 401 || status === 403
          ? { advice: "Give the function app's identity the Key Vault Secrets Officer role on the vault." }
          : {},
      );
    }
    return out;
  }
}
