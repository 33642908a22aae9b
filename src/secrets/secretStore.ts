// The secret store: client secrets, refresh tokens and keys in the user's Key Vault. Values never
// appear in errors or logs: every value read or written is registered with the logger's masker, and
// errors carry the secret's name and the HTTP status only.
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import { AppError } from '../errors';
import { registerSecret } from '../log/logger';
import { assertSecretName } from './names';
import { createKeyVaultCredential, type CredentialOptions } from './credential';

export interface StoredSecret {
  value: string;
  version: string;
  expiresOn?: Date;
  contentType?: string;
  tags?: Record<string, string>;
}

export interface SetSecretOptions {
  expiresOn?: Date;
  contentType?: string;
  tags?: Record<string, string>;
}

/** What the rest of the product needs from a secret store; tests may substitute an in-memory one. */
export interface SecretStore {
  /** The latest (or the given) version, or undefined when there is no such secret. */
  getSecret(name: string, version?: string): Promise<StoredSecret | undefined>;
  /** Writes a new version; returns its version id. */
  setSecret(name: string, value: string, options?: SetSecretOptions): Promise<string>;
  /** Soft-deletes the secret (the vault has purge protection, so no purge is attempted). False when absent. */
  deleteSecret(name: string): Promise<boolean>;
}

export interface KeyVaultSecretStoreOptions extends CredentialOptions {
  keyVaultUrl: string;
  /** Overrides the credential chosen from the options (tests). */
  credential?: TokenCredential;
}

/** Key Vault host suffixes of Azure's clouds: the SDK's challenge check works for these as is. */
const VAULT_SUFFIXES = [
  '.vault.azure.net',
  '.vault.usgovcloudapi.net',
  '.vault.azure.cn',
  '.vault.microsoftazure.de',
];

export function isAzureVaultHost(vaultUrl: string): boolean {
  const host = new URL(vaultUrl).hostname.toLowerCase();
  return VAULT_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

function failure(operation: string, name: string, error: unknown): AppError {
  const status = statusOf(error);
  const code = (error as { code?: string })?.code;
  const transient = status === undefined || status === 429 || status >= 500;
  // The SDK's own message can echo request bodies; keep only the name, status and error code.
  const detail = `Key Vault ${operation} of secret '${name}' failed${status ? ` with HTTP ${status}` : ''}${code ? ` (${code})` : ''}`;
  if (status === 401 || status === 403) {
    return new AppError('Unauthorized', detail, {
      detail,
      advice:
        "Give the function app's managed identity the Key Vault Secrets Officer role on the vault (RBAC), then try again.",
    });
  }
  return new AppError(transient ? 'Transient' : 'UpstreamError', detail, { detail });
}

export class KeyVaultSecretStore implements SecretStore {
  private readonly client: SecretClient;

  constructor(options: KeyVaultSecretStoreOptions) {
    const url = new URL(options.keyVaultUrl);
    const clientOptions: SecretClientOptions = {
      // The emulator is not a *.vault.azure.net host, so the challenge's resource cannot match it.
      disableChallengeResourceVerification: !isAzureVaultHost(options.keyVaultUrl),
    };
    if (url.protocol === 'http:')
      (clientOptions as { allowInsecureConnection?: boolean }).allowInsecureConnection = true;
    this.client = new SecretClient(
      options.keyVaultUrl,
      options.credential ?? createKeyVaultCredential(options),
      clientOptions,
    );
  }

  async getSecret(name: string, version?: string): Promise<StoredSecret | undefined> {
    assertSecretName(name);
    try {
      const secret = await this.client.getSecret(name, version ? { version } : {});
      if (secret.value === undefined) return undefined;
      registerSecret(secret.value);
      return {
        value: secret.value,
        version: secret.properties.version ?? '',
        expiresOn: secret.properties.expiresOn,
        contentType: secret.properties.contentType,
        tags: secret.properties.tags,
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw failure('read', name, error);
    }
  }

  async setSecret(name: string, value: string, options: SetSecretOptions = {}): Promise<string> {
    assertSecretName(name);
    registerSecret(value);
    try {
      const secret = await this.client.setSecret(name, value, {
        expiresOn: options.expiresOn,
        contentType: options.contentType,
        tags: options.tags,
      });
      return secret.properties.version ?? '';
    } catch (error) {
      throw failure('write', name, error);
    }
  }

  async deleteSecret(name: string): Promise<boolean> {
    assertSecretName(name);
    try {
      // beginDeleteSecret sends the DELETE before returning; waiting for the soft-delete to finish
      // is not needed, and purging is impossible with purge protection on.
      await this.client.beginDeleteSecret(name);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw failure('delete', name, error);
    }
  }
}

/** An in-memory store with the same contract, for unit tests and tools. */
export class MemorySecretStore implements SecretStore {
  readonly versions = new Map<string, StoredSecret[]>();
  private counter = 0;

  async getSecret(name: string, version?: string): Promise<StoredSecret | undefined> {
    assertSecretName(name);
    const list = this.versions.get(name);
    if (!list?.length) return undefined;
    return version ? list.find((s) => s.version === version) : list[list.length - 1];
  }

  async setSecret(name: string, value: string, options: SetSecretOptions = {}): Promise<string> {
    assertSecretName(name);
    registerSecret(value);
    const version = `v${++this.counter}`;
    const list = this.versions.get(name) ?? [];
    list.push({ value, version, ...options });
    this.versions.set(name, list);
    return version;
  }

  async deleteSecret(name: string): Promise<boolean> {
    assertSecretName(name);
    return this.versions.delete(name);
  }
}
