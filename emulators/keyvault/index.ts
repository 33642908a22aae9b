// An emulator of Azure Key Vault secrets (REST API 7.x and 2025-07-01), faithful enough for the real
// SecretClient from @azure/keyvault-secrets: the bearer challenge, versions, attributes in Unix
// seconds, paging, soft delete with recover and purge, and the service's error bodies. Fault
// injection comes from the shared server (`emulator.server.faults`).
import { EmulatorServer } from '../shared/server';
import type { Authorize } from '../shared/principal';
import { installControlRoutes } from './control';
import { installSecretRoutes, OPERATIONS, type Operation } from './routes';
import { SecretStore, type SecretAttributes, type SecretSnapshot, type SecretVersion } from './store';

export { VAULT_RESOURCE, VAULT_APP_ID, challengeHeader } from './auth';
export { LATEST_API_VERSION, OPERATIONS, type Operation } from './routes';
export type { SecretAttributes, SecretSnapshot, SecretVersion } from './store';

/** Tenant named in the challenge when none is given. */
export const DEFAULT_TENANT_ID = '00000000-0000-4000-8000-00000000a11e';

export interface KeyVaultEmulatorOptions {
  /** Maps a bearer token to its principal; without it any non-empty bearer token is accepted. */
  authorize?: Authorize;
  /** Clock in milliseconds (like Date.now); attributes are its whole seconds. */
  now?: () => number;
  /** Tenant in the challenge's `authorization` URL. */
  tenantId?: string;
}

export class KeyVaultEmulator {
  readonly server = new EmulatorServer('keyvault');
  /** Calls per operation that passed authentication and api-version checks (failed ones included). */
  readonly callCount = Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<Operation, number>;
  private readonly store: SecretStore;

  constructor(options: KeyVaultEmulatorOptions = {}) {
    const now = options.now ?? Date.now;
    this.store = new SecretStore(() => Math.floor(now() / 1000));
    installSecretRoutes(this.server, {
      store: this.store,
      authorize: options.authorize,
      tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
      callCount: this.callCount,
    });
    installControlRoutes(this.server, this.store, this.callCount);
  }

  /** The vault URL to give SecretClient: the server's base URL with a trailing slash. */
  get vaultUrl(): string {
    return `${this.server.baseUrl}/`;
  }

  async start(port?: number): Promise<this> {
    await this.server.start(port);
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Every version of a secret with values and attributes (test inspection), or undefined. */
  secret(name: string): SecretSnapshot | undefined {
    return this.store.snapshot(name);
  }

  /**
   * Changes a version's attributes directly (the latest when `version` is omitted), without moving
   * `updated`: for tests that need an expired, not-yet-valid or disabled secret.
   */
  setAttributes(name: string, attributes: Partial<SecretAttributes>, version?: string): SecretVersion {
    return this.store.setAttributes(name, attributes, version);
  }
}
