// An emulator of the Microsoft identity platform v2 endpoints the product uses (authorize, token,
// discovery), built on EmulatorServer. Clients authenticate with a secret or a client assertion
// (certificate credentials registered on the app, or a managed identity's token trusted by a
// federated identity credential), and a managed identity token source in the App Service shape serves
// ManagedIdentityCredential. Tests drive it in-process through this class or from other processes
// through /_emulator/identity/*.
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import type { Authorize } from '../shared/principal';
import { EmulatorServer } from '../shared/server';
import { ReplayCache } from './clientAssertion';
import { installAuthorize } from './authorizeEndpoint';
import {
  DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
  DEFAULT_CODE_LIFETIME_MS,
  DEFAULT_REFRESH_INACTIVITY_MS,
  DEFAULT_WORK_TENANT_ID,
} from './constants';
import type { Counters, IdentityContext, IdentitySettings } from './context';
import { installControl } from './control';
import {
  Directory,
  type AppRegistration,
  type FederatedIdentityCredential,
  type KeyCredential,
  type ManagedIdentity,
  type User,
} from './directory';
import { catalogueEntry } from './errors';
import { fingerprint, GrantStore } from './grants';
import { installManagedIdentity, MANAGED_IDENTITY_PATH, TOKEN_EXCHANGE_AUDIENCE } from './managedIdentity';
import { installMetadata, msalAuthorityOptions, type MsalAuthorityOptions } from './metadata';
import { Script, type AuthorizeFailure, type ConsentMode, type ScriptedSignIn } from './script';
import { installToken } from './tokenEndpoint';
import { issuerFor, TokenMinter } from './tokens';

export * from './constants';
export { AADSTS, aadError, catalogueEntry, type AadErrorBody, type AadstsEntry } from './errors';
export type {
  AppRegistration,
  User,
  SignInAudience,
  ClientSecret,
  KeyCredential,
  FederatedIdentityCredential,
  ManagedIdentity,
} from './directory';
export { JWT_BEARER } from './clientAssertion';
export { MANAGED_IDENTITY_PATH, TOKEN_EXCHANGE_AUDIENCE } from './managedIdentity';
export { issuerFor } from './tokens';

/** A certificate to register: DER bytes, base64 DER (the manifest's `key`) or PEM. */
export type CertificateInput = Buffer | string;

function certificateDer(input: CertificateInput): Buffer {
  if (Buffer.isBuffer(input)) return input;
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(input);
  return Buffer.from(pem ? pem[1].replace(/\s+/g, '') : input, 'base64');
}
export type { ScriptedSignIn, SignInOutcome, AuthorizeFailure, ConsentMode } from './script';
export type { MsalAuthorityOptions } from './metadata';
export { decodeJwt } from './jwt';

export interface IdentityEmulatorOptions extends Partial<IdentitySettings> {
  /** Clock in epoch milliseconds; inject one to test expiry without waiting. */
  now?: () => number;
}

export class IdentityEmulator {
  readonly server = new EmulatorServer('identity');
  readonly directory: Directory;
  readonly grants = new GrantStore();
  readonly script = new Script();
  readonly counters: Counters = {
    authorize: 0,
    token: 0,
    tokenByGrant: {},
    codesIssued: 0,
    codesRedeemed: 0,
    clientAuth: {},
  };
  /** The secret ManagedIdentityCredential sends as X-IDENTITY-HEADER (App Service's IDENTITY_HEADER). */
  readonly identityHeader = randomBytes(24).toString('base64url');
  readonly settings: IdentitySettings;
  /** Given a bearer access token, the principal it was issued to, or undefined when invalid or expired. */
  readonly introspect: Authorize;
  private readonly minter: TokenMinter;
  private clockOffsetMs = 0;

  constructor(options: IdentityEmulatorOptions = {}) {
    const clock = options.now ?? Date.now;
    // The offset lets other processes move time forward (advance-clock) on top of any injected clock.
    this.now = () => clock() + this.clockOffsetMs;
    this.settings = {
      accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
      codeLifetimeMs: options.codeLifetimeMs ?? DEFAULT_CODE_LIFETIME_MS,
      refreshInactivityMs: options.refreshInactivityMs ?? DEFAULT_REFRESH_INACTIVITY_MS,
    };
    this.directory = new Directory(this.now).seedDefaults();
    this.minter = new TokenMinter(this.now);
    this.introspect = (token) => this.minter.introspect(token);
    const ctx: IdentityContext = {
      directory: this.directory,
      grants: this.grants,
      minter: this.minter,
      script: this.script,
      replay: new ReplayCache(),
      counters: this.counters,
      settings: this.settings,
      now: this.now,
      baseUrl: () => this.baseUrl,
    };
    installAuthorize(this.server, ctx);
    installToken(this.server, ctx);
    installMetadata(this.server, ctx);
    installManagedIdentity(this.server, ctx, () => this.identityHeader);
    installControl(this.server, this);
  }

  readonly now: () => number;

  async start(port = 0): Promise<this> {
    await this.server.start(port);
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get baseUrl(): string {
    return this.server.baseUrl;
  }

  /** MSAL `auth` options for this emulator and tenant (common, consumers, organizations or an id). */
  msalAuthority(tenant = 'common'): MsalAuthorityOptions {
    return msalAuthorityOptions(this.baseUrl, tenant);
  }

  registerApp(app: AppRegistration): AppRegistration {
    return this.directory.registerApp(app);
  }

  addUser(user: User): User {
    return this.directory.addUser(user);
  }

  grantAdminConsent(clientId: string, tenantId: string, roles?: string[]): void {
    this.directory.grantAdminConsent(clientId, tenantId, roles);
  }

  expireClientSecret(clientId: string): void {
    this.directory.expireClientSecret(clientId);
  }

  revokeRefreshTokens(oid?: string): void {
    this.directory.revokeRefreshTokens(oid);
  }

  /**
   * Registers a certificate's public half on the app (a keyCredential), as uploading it in the portal
   * does. Start and end default to the certificate's validity (epoch ms when given).
   */
  addKeyCredential(
    clientId: string,
    certificate: CertificateInput,
    options: { startDateTime?: number; endDateTime?: number; keyId?: string; displayName?: string } = {},
  ): KeyCredential {
    const app = this.requireApp(clientId);
    const der = certificateDer(certificate);
    const x509 = new X509Certificate(der);
    const credential: KeyCredential = {
      keyId: options.keyId ?? randomUUID(),
      der,
      startDateTime: options.startDateTime ?? new Date(x509.validFrom).getTime(),
      endDateTime: options.endDateTime ?? new Date(x509.validTo).getTime(),
      displayName: options.displayName ?? x509.subject.replace(/\n/g, ', '),
    };
    app.keyCredentials = [...(app.keyCredentials ?? []), credential];
    return credential;
  }

  /** Removes a keyCredential by keyId or by the certificate's SHA-1 thumbprint (hex, any case). */
  removeKeyCredential(clientId: string, keyIdOrThumbprint: string): boolean {
    const app = this.requireApp(clientId);
    const before = app.keyCredentials?.length ?? 0;
    const wanted = keyIdOrThumbprint.toLowerCase();
    app.keyCredentials = (app.keyCredentials ?? []).filter(
      (k) =>
        k.keyId !== keyIdOrThumbprint &&
        new X509Certificate(k.der).fingerprint.replace(/:/g, '').toLowerCase() !== wanted,
    );
    return app.keyCredentials.length < before;
  }

  addFederatedIdentityCredential(
    clientId: string,
    credential: FederatedIdentityCredential,
  ): FederatedIdentityCredential {
    const app = this.requireApp(clientId);
    const list = app.federatedIdentityCredentials ?? [];
    // Graph's constraints: a unique name and a unique issuer + subject pair, 20 at most.
    if (list.some((f) => f.name === credential.name))
      throw new Error(`A federated credential named ${credential.name} exists`);
    if (list.some((f) => f.issuer === credential.issuer && f.subject === credential.subject)) {
      throw new Error('Issuer and subject combination already exists for this application.');
    }
    if (list.length >= 20) throw new Error('At most 20 federated identity credentials per application.');
    const copy = { ...credential, audiences: [...credential.audiences] };
    app.federatedIdentityCredentials = [...list, copy];
    return copy;
  }

  removeFederatedIdentityCredential(clientId: string, name: string): boolean {
    const app = this.requireApp(clientId);
    const before = app.federatedIdentityCredentials?.length ?? 0;
    app.federatedIdentityCredentials = (app.federatedIdentityCredentials ?? []).filter(
      (f) => f.name !== name,
    );
    return app.federatedIdentityCredentials.length < before;
  }

  /** A user-assigned managed identity in a tenant (the default work tenant unless given). */
  addManagedIdentity(identity: Partial<ManagedIdentity> = {}): ManagedIdentity {
    const created: ManagedIdentity = {
      clientId: identity.clientId ?? randomUUID(),
      principalId: identity.principalId ?? randomUUID(),
      tenantId: identity.tenantId ?? DEFAULT_WORK_TENANT_ID,
      name: identity.name ?? 'uami-azure-onedrive-backup',
    };
    this.directory.managedIdentities.set(created.clientId, created);
    return { ...created };
  }

  /**
   * The federated credential "Configure an application to trust a managed identity" adds: issuer the
   * identity's tenant authority (v2.0), subject its principal id, audience api://AzureADTokenExchange.
   */
  trustManagedIdentity(
    clientId: string,
    identity: ManagedIdentity,
    name = `mi-${identity.principalId}`,
  ): FederatedIdentityCredential {
    return this.addFederatedIdentityCredential(clientId, {
      name,
      issuer: issuerFor(identity.tenantId),
      subject: identity.principalId,
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
    });
  }

  /** The App Service variables that point ManagedIdentityCredential at this emulator. */
  managedIdentityEnvironment(): { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string } {
    return {
      IDENTITY_ENDPOINT: `${this.baseUrl}${MANAGED_IDENTITY_PATH}`,
      IDENTITY_HEADER: this.identityHeader,
    };
  }

  private requireApp(clientId: string): AppRegistration {
    const app = this.directory.app(clientId);
    if (!app) throw new Error(`Unknown client ${clientId}`);
    return app;
  }

  setConsentMode(mode: ConsentMode): void {
    if (mode !== 'auto' && mode !== 'interactive') throw new Error(`Unknown consent mode ${String(mode)}`);
    this.script.consentMode = mode;
  }

  /** Queues how the next authorize call's sign-in goes (used before the consent mode). */
  nextSignIn(signIn: ScriptedSignIn): void {
    this.script.signIns.push(signIn);
  }

  /** The next `count` token calls fail with this AADSTS code, whatever they ask. */
  failNextToken(aadstsCode: number, count = 1): void {
    catalogueEntry(aadstsCode);
    for (let i = 0; i < count; i++) this.script.tokenFailures.push(aadstsCode);
  }

  /** The next authorize call with a valid client and redirect URI redirects back with this error. */
  failNextAuthorize(failure: AuthorizeFailure): void {
    if (failure.aadsts !== undefined) catalogueEntry(failure.aadsts);
    this.script.authorizeFailures.push(failure);
  }

  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** How many token requests were made (all grants, or one grant type). */
  tokenRequests(grantType?: string): number {
    return grantType ? (this.counters.tokenByGrant[grantType] ?? 0) : this.counters.token;
  }

  /** A JSON-safe snapshot without secret values or tokens. */
  state(): Record<string, unknown> {
    return {
      apps: [...this.directory.apps.values()].map((a) => ({
        clientId: a.clientId,
        displayName: a.displayName,
        redirectUris: a.redirectUris,
        signInAudience: a.signInAudience,
        homeTenantId: a.homeTenantId,
        secrets: a.secrets.map((s) => ({ expiresAt: s.expiresAt, hint: s.value.slice(0, 3) })),
        keyCredentials: (a.keyCredentials ?? []).map((k) => ({
          keyId: k.keyId,
          thumbprint: new X509Certificate(k.der).fingerprint.replace(/:/g, ''),
          thumbprintSha256: new X509Certificate(k.der).fingerprint256.replace(/:/g, ''),
          startDateTime: k.startDateTime,
          endDateTime: k.endDateTime,
          displayName: k.displayName,
        })),
        federatedIdentityCredentials: a.federatedIdentityCredentials ?? [],
      })),
      managedIdentities: [...this.directory.managedIdentities.values()],
      users: [...this.directory.users.values()],
      adminConsents: this.directory.adminConsents,
      consentMode: this.script.consentMode,
      pending: {
        signIns: this.script.signIns.length,
        authorizeFailures: this.script.authorizeFailures.length,
        tokenFailures: [...this.script.tokenFailures],
      },
      counters: this.counters,
      refreshUses: this.grants.refreshUses.map((u) => ({
        at: u.at,
        presented: fingerprint(u.presented),
        issued: u.issued ? fingerprint(u.issued) : undefined,
        refusedWith: u.refusedWith,
      })),
      now: this.now(),
    };
  }
}
