// An emulator of Azure Key Vault (REST API 7.x and 2025-07-01), faithful enough for the real
// SecretClient, CertificateClient and CryptographyClient: the bearer challenge, secrets with versions,
// attributes in Unix seconds, paging, soft delete with recover and purge; self-signed certificates with
// their keys and backing secrets, the create operation, lifetime actions and the sign operation; RBAC
// data actions per principal; and the service's error bodies. Fault injection comes from the shared
// server (`emulator.server.faults`).
import { EmulatorServer } from '../shared/server';
import type { Authorize } from '../shared/principal';
import type { Permissions } from './access';
import { installCertificateRoutes } from './certificateRoutes';
import {
  CertificateStore,
  type CertificatePolicy,
  type CertificateVersion,
  type KeyVersion,
  type NewVersionOptions,
} from './certificates';
import { installControlRoutes } from './control';
import { parsePolicy } from './policy';
import { installSecretRoutes, OPERATIONS, type Operation, type RouteContext } from './routes';
import { SecretStore, type SecretAttributes, type SecretSnapshot, type SecretVersion } from './store';

export { VAULT_RESOURCE, VAULT_APP_ID, challengeHeader } from './auth';
export { LATEST_API_VERSION, OPERATIONS, type Operation } from './routes';
export type { SecretAttributes, SecretSnapshot, SecretVersion } from './store';
export { DATA_ACTIONS, ROLES, type Grant, type Permissions } from './access';
export type { CertificatePolicy, CertificateVersion, KeyVersion, NewVersionOptions } from './certificates';
export { x5t, x5tS256, derToPem } from './crypto';

/** Tenant named in the challenge when none is given. */
export const DEFAULT_TENANT_ID = '00000000-0000-4000-8000-00000000a11e';

export interface KeyVaultEmulatorOptions {
  /** Maps a bearer token to its principal; without it any non-empty bearer token is accepted. */
  authorize?: Authorize;
  /** What each principal may do (RBAC data actions); without it every authenticated caller may do all. */
  permissions?: Permissions;
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
  private readonly certs: CertificateStore;
  private readonly nowSeconds: () => number;
  private clockOffsetMs = 0;

  constructor(options: KeyVaultEmulatorOptions = {}) {
    const now = options.now ?? Date.now;
    // The offset lets other processes move time forward (control route) on top of any injected clock.
    this.nowSeconds = () => Math.floor((now() + this.clockOffsetMs) / 1000);
    this.store = new SecretStore(this.nowSeconds);
    this.certs = new CertificateStore(this.nowSeconds, this.store);
    const ctx: RouteContext = {
      store: this.store,
      authorize: options.authorize,
      permissions: options.permissions,
      tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
      callCount: this.callCount,
      beforeOperation: () => this.certs.runLifetimeActions(),
    };
    installSecretRoutes(this.server, ctx);
    installCertificateRoutes(this.server, ctx, this.certs, this.nowSeconds);
    installControlRoutes(this.server, this, this.store, this.callCount);
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

  /**
   * Creates a certificate directly (no HTTP), as infrastructure would before the app starts. The policy
   * is in the REST shape (`key_props`, `x509_props` ...) with the service's defaults filled in.
   */
  async createCertificate(
    name: string,
    policy: unknown = {},
    options: NewVersionOptions = {},
  ): Promise<CertificateVersion> {
    const parsed = parsePolicy(
      { x509_props: { subject: `CN=${name}` }, ...(policy as object) },
      this.nowSeconds(),
    );
    const operation = this.certs.create(name, parsed, options);
    await operation.done;
    if (operation.status !== 'completed')
      throw new Error(operation.error?.message ?? 'certificate creation failed');
    return this.certificate(name)!.versions.at(-1)!;
  }

  /**
   * A new version of the certificate now (a new key unless the policy reuses it), what the AutoRenew
   * lifetime action does; `notBefore`/`notAfter` (Unix seconds) set the new X.509's validity.
   */
  renewCertificate(name: string, options: NewVersionOptions = {}): Promise<CertificateVersion> {
    return this.certs.renew(name, options);
  }

  /** Every version of a certificate (DER, thumbprint, attributes), oldest first, or undefined. */
  certificate(
    name: string,
  ): { name: string; policy: CertificatePolicy; versions: CertificateVersion[] } | undefined {
    try {
      const { name: canonical, versions } = this.certs.versions(name);
      return { name: canonical, policy: this.certs.policy(name).policy, versions };
    } catch {
      return undefined;
    }
  }

  /** The key behind a certificate version (the latest when omitted), with its private half: tests only. */
  key(name: string, version?: string): KeyVersion {
    return this.certs.key(name, version).key;
  }

  /** Changes a certificate version's attributes, mirrored on its key and secret (the X.509 is unchanged). */
  setCertificateAttributes(
    name: string,
    attributes: { enabled?: boolean; nbf?: number; exp?: number },
    version?: string,
  ): CertificateVersion {
    return this.certs.setAttributes(name, attributes, version);
  }

  /** Moves the vault's clock forward, so lifetime actions and expiry can be tested without waiting. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** The vault's clock in Unix seconds. */
  now(): number {
    return this.nowSeconds();
  }

  /** Runs due lifetime actions now (requests do this anyway). */
  runLifetimeActions(): Promise<void> {
    return this.certs.runLifetimeActions();
  }
}
