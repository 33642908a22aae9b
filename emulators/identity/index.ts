// An emulator of the Microsoft identity platform v2 endpoints the product uses (authorize, token,
// discovery), built on EmulatorServer. Tests drive it in-process through this class or from other
// processes through /_emulator/identity/*.
import type { Authorize } from '../shared/principal';
import { EmulatorServer } from '../shared/server';
import { installAuthorize } from './authorizeEndpoint';
import {
  DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
  DEFAULT_CODE_LIFETIME_MS,
  DEFAULT_REFRESH_INACTIVITY_MS,
} from './constants';
import type { Counters, IdentityContext, IdentitySettings } from './context';
import { installControl } from './control';
import { Directory, type AppRegistration, type User } from './directory';
import { catalogueEntry } from './errors';
import { fingerprint, GrantStore } from './grants';
import { installMetadata, msalAuthorityOptions, type MsalAuthorityOptions } from './metadata';
import { Script, type AuthorizeFailure, type ConsentMode, type ScriptedSignIn } from './script';
import { installToken } from './tokenEndpoint';
import { TokenMinter } from './tokens';

export * from './constants';
export { AADSTS, aadError, catalogueEntry, type AadErrorBody, type AadstsEntry } from './errors';
export type { AppRegistration, User, SignInAudience, ClientSecret } from './directory';
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
  };
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
      counters: this.counters,
      settings: this.settings,
      now: this.now,
      baseUrl: () => this.baseUrl,
    };
    installAuthorize(this.server, ctx);
    installToken(this.server, ctx);
    installMetadata(this.server, ctx);
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
      })),
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
