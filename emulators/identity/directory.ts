// The emulated directory: app registrations, users and admin consents. Tests read and change it
// directly; the routes only consult it.
import type { AccountType } from '../shared/principal';
import {
  CONSUMER_TENANT_ID,
  DEFAULT_APP_NAME,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_PERSONAL_USER,
  DEFAULT_REDIRECT_URI,
  DEFAULT_WORK_TENANT_ID,
  DEFAULT_WORK_USER,
} from './constants';

export type SignInAudience =
  'AzureADandPersonalMicrosoftAccount' | 'AzureADMultipleOrgs' | 'AzureADMyOrg' | 'PersonalMicrosoftAccount';

export interface ClientSecret {
  value: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * A certificate on the app registration (Graph `keyCredential`, type AsymmetricX509Cert, usage
 * Verify): the public certificate and its validity. Several may be registered at once, which is how a
 * certificate is rotated without an outage ("The keyCredentials property is multi-valued").
 */
export interface KeyCredential {
  keyId: string;
  /** The DER of the X.509 certificate (the manifest's base64 `key`). */
  der: Buffer;
  /** Epoch milliseconds; default to the certificate's notBefore/notAfter. */
  startDateTime: number;
  endDateTime: number;
  displayName?: string;
}

/** Graph `federatedIdentityCredential`: which external token the app trusts as its credential. */
export interface FederatedIdentityCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
  description?: string;
}

/** A user-assigned managed identity: a service principal in a tenant, with its own client id. */
export interface ManagedIdentity {
  clientId: string;
  /** Object (principal) id: the `sub` of its tokens and the subject a federated credential names. */
  principalId: string;
  tenantId: string;
  name: string;
}

export interface AppRegistration {
  clientId: string;
  displayName?: string;
  secrets: ClientSecret[];
  keyCredentials?: KeyCredential[];
  federatedIdentityCredentials?: FederatedIdentityCredential[];
  redirectUris: string[];
  signInAudience: SignInAudience;
  homeTenantId: string;
  /** Delegated permissions a `.default` request expands to. */
  delegatedPermissions?: string[];
}

export interface User {
  oid: string;
  upn: string;
  displayName: string;
  accountType: AccountType;
  tenantId: string;
}

export interface AdminConsent {
  clientId: string;
  tenantId: string;
  roles: string[];
}

export const DEFAULT_DELEGATED_PERMISSIONS = ['Files.ReadWrite.All', 'Sites.Read.All', 'User.Read'];
export const DEFAULT_APP_ROLES = ['Files.ReadWrite.All', 'Sites.Read.All'];
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export class Directory {
  readonly apps = new Map<string, AppRegistration>();
  readonly users = new Map<string, User>();
  readonly adminConsents: AdminConsent[] = [];
  readonly managedIdentities = new Map<string, ManagedIdentity>();
  /**
   * Per user, how many times refresh tokens were revoked. A refresh token remembers the count at
   * issue; a lower count means it was revoked. A counter rather than a time, so revocation works
   * even when the test clock stands still.
   */
  readonly revocations = new Map<string, { generation: number; at: number }>();

  constructor(private readonly now: () => number) {}

  seedDefaults(): this {
    this.registerApp({
      clientId: DEFAULT_CLIENT_ID,
      displayName: DEFAULT_APP_NAME,
      secrets: [{ value: DEFAULT_CLIENT_SECRET, expiresAt: this.now() + TEN_YEARS_MS }],
      redirectUris: [DEFAULT_REDIRECT_URI],
      signInAudience: 'AzureADandPersonalMicrosoftAccount',
      homeTenantId: DEFAULT_WORK_TENANT_ID,
    });
    this.addUser({ ...DEFAULT_PERSONAL_USER });
    this.addUser({ ...DEFAULT_WORK_USER });
    return this;
  }

  registerApp(app: AppRegistration): AppRegistration {
    const copy: AppRegistration = {
      ...app,
      displayName: app.displayName ?? `app-${app.clientId.slice(0, 8)}`,
      secrets: app.secrets.map((s) => ({ ...s })),
      keyCredentials: (app.keyCredentials ?? []).map((k) => ({ ...k })),
      federatedIdentityCredentials: (app.federatedIdentityCredentials ?? []).map((f) => ({
        ...f,
        audiences: [...f.audiences],
      })),
      redirectUris: [...app.redirectUris],
    };
    this.apps.set(app.clientId, copy);
    return copy;
  }

  addUser(user: User): User {
    if (user.accountType === 'personal' && user.tenantId !== CONSUMER_TENANT_ID) {
      throw new Error(`Personal accounts live in the consumer tenant ${CONSUMER_TENANT_ID}`);
    }
    this.users.set(user.oid, { ...user });
    return user;
  }

  app(clientId: string | null | undefined): AppRegistration | undefined {
    return clientId ? this.apps.get(clientId) : undefined;
  }

  user(oid: string | undefined): User | undefined {
    return oid ? this.users.get(oid) : undefined;
  }

  userByUpn(upn: string): User | undefined {
    return [...this.users.values()].find((u) => u.upn.toLowerCase() === upn.toLowerCase());
  }

  /** Tenants the directory knows: a tenant id path segment must name one of these. */
  knownTenant(tenantId: string): boolean {
    if (tenantId === CONSUMER_TENANT_ID) return true;
    for (const u of this.users.values()) if (u.tenantId === tenantId) return true;
    for (const a of this.apps.values()) if (a.homeTenantId === tenantId) return true;
    for (const m of this.managedIdentities.values()) if (m.tenantId === tenantId) return true;
    return false;
  }

  grantAdminConsent(clientId: string, tenantId: string, roles: string[] = DEFAULT_APP_ROLES): void {
    const existing = this.adminConsent(clientId, tenantId);
    if (existing) existing.roles = [...roles];
    else this.adminConsents.push({ clientId, tenantId, roles: [...roles] });
  }

  adminConsent(clientId: string, tenantId: string): AdminConsent | undefined {
    return this.adminConsents.find((c) => c.clientId === clientId && c.tenantId === tenantId);
  }

  /** Makes every secret of the app expire now (the next token call gets AADSTS7000222). */
  expireClientSecret(clientId: string): void {
    const app = this.apps.get(clientId);
    if (!app) throw new Error(`Unknown client ${clientId}`);
    for (const secret of app.secrets) secret.expiresAt = this.now() - 1;
  }

  /** Revokes the refresh tokens of one user, or of every user (like revokeSignInSessions). */
  revokeRefreshTokens(oid?: string): void {
    const oids = oid ? [oid] : [...this.users.keys()];
    for (const id of oids) {
      const current = this.revocations.get(id)?.generation ?? 0;
      this.revocations.set(id, { generation: current + 1, at: this.now() });
    }
  }

  generation(oid: string): number {
    return this.revocations.get(oid)?.generation ?? 0;
  }
}
