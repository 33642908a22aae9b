// The secret store: client secrets, refresh tokens and keys in the user's Key Vault. Values never
// appear in errors or logs: every value read or written is registered with the logger's masker, and
// errors carry the secret's name and the HTTP status only. Throttling and transient failures are
// retried with the shared retry policy (the SDK's own retries are off, so attempts never multiply).
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import { AppError } from '../errors';
import { registerSecret } from '../log/logger';
import { systemClock, type Clock } from '../runtime/clock';
import {
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retrying,
  type RetryDecision,
  type RetryPolicy,
} from '../runtime/retry';
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
  /** Retry pacing (tests make it instant). */
  clock?: Clock;
  retry?: RetryPolicy;
}

/** Four tries and at most 30 s a wait: a secret read sits on the path of every token refresh. */
const KEY_VAULT_RETRY: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 4,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 30_000,
};

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

/** The SDK's HTTP error (RestError): a status, or none when no answer arrived. */
function isRestError(error: unknown): boolean {
  return (error as { name?: string })?.name === 'RestError';
}

function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 429 || status >= 500;
}

/** Retried: no answer, throttling, server errors. Credential failures and 4xx are final. */
function retryDecision(error: unknown, clock: Clock): RetryDecision {
  if (!isRestError(error) || !isTransient(error)) return { retry: false };
  const headers = (error as { response?: { headers?: { get?(name: string): string | undefined } } }).response
    ?.headers;
  return {
    retry: true,
    reason: `status ${statusOf(error) ?? 'none'}`,
    retryAfterMs: parseRetryAfter(headers?.get?.('retry-after'), clock.now()),
  };
}

function failure(operation: string, name: string, error: unknown): AppError {
  const status = statusOf(error);
  const code = (error as { code?: string })?.code;
  const transient = isTransient(error);
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
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;

  constructor(options: KeyVaultSecretStoreOptions) {
    const url = new URL(options.keyVaultUrl);
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? KEY_VAULT_RETRY;
    const clientOptions: SecretClientOptions = {
      // The emulator is not a *.vault.azure.net host, so the challenge's resource cannot match it.
      disableChallengeResourceVerification: !isAzureVaultHost(options.keyVaultUrl),
      retryOptions: { maxRetries: 0 },
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
      const secret = await this.retried(() => this.client.getSecret(name, version ? { version } : {}));
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
      const secret = await this.retried(() =>
        this.client.setSecret(name, value, {
          expiresOn: options.expiresOn,
          contentType: options.contentType,
          tags: options.tags,
        }),
      );
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
      await this.retried(() => this.client.beginDeleteSecret(name));
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw failure('delete', name, error);
    }
  }
  /** Key Vault calls are idempotent (a repeated write makes one more version, never a wrong one). */
  private retried<T>(call: () => Promise<T>): Promise<T> {
    return retrying(call, {
      policy: this.retry,
      clock: this.clock,
      decide: (error) => retryDecision(error, this.clock),
    });
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
