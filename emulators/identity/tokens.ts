// Token minting and verification: JWT-shaped access and id tokens signed with the emulator's key,
// plus `client_info`, which MSAL needs (with the id token) to build an account.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Principal } from '../shared/principal';
import { CONSUMER_TENANT_ID, LOGIN_HOST } from './constants';
import type { AppRegistration, ManagedIdentity, User } from './directory';
import { signJwt, verifyJwt, type Claims } from './jwt';

export const issuerFor = (tenantId: string) => `${LOGIN_HOST}/${tenantId}/v2.0`;

export interface AccessTokenInput {
  app: AppRegistration;
  tenantId: string;
  audience: string;
  lifetimeSeconds: number;
  /** Delegated: the signed-in user and the permissions granted. */
  user?: User;
  scopes?: string[];
  /** App-only: the application roles. */
  roles?: string[];
}

export class TokenMinter {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number) {}

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  accessToken(input: AccessTokenInput): string {
    const iat = this.seconds();
    const claims: Claims = {
      aud: input.audience,
      iss: issuerFor(input.tenantId),
      iat,
      nbf: iat,
      exp: iat + input.lifetimeSeconds,
      tid: input.tenantId,
      appid: input.app.clientId,
      azp: input.app.clientId,
      app_displayname: input.app.displayName,
      ver: '2.0',
      uti: randomBytes(16).toString('base64url'),
    };
    if (input.user) {
      Object.assign(claims, {
        oid: input.user.oid,
        sub: pairwiseSubject(input.user.oid, input.app.clientId),
        idtyp: 'user',
        scp: (input.scopes ?? []).join(' '),
        name: input.user.displayName,
        preferred_username: input.user.upn,
        upn: input.user.accountType === 'work' ? input.user.upn : undefined,
        acct: input.user.accountType === 'personal' ? 1 : 0,
      });
    } else {
      // App-only tokens identify the app's service principal in the tenant.
      const spOid = servicePrincipalOid(input.app.clientId, input.tenantId);
      Object.assign(claims, { oid: spOid, sub: spOid, idtyp: 'app', roles: input.roles ?? [] });
    }
    return signJwt(claims, this.key);
  }

  idToken(app: AppRegistration, user: User, lifetimeSeconds: number, nonce?: string): string {
    const iat = this.seconds();
    const claims: Claims = {
      aud: app.clientId,
      iss: issuerFor(user.tenantId),
      iat,
      nbf: iat,
      exp: iat + lifetimeSeconds,
      tid: user.tenantId,
      oid: user.oid,
      sub: pairwiseSubject(user.oid, app.clientId),
      preferred_username: user.upn,
      name: user.displayName,
      ver: '2.0',
      uti: randomBytes(16).toString('base64url'),
    };
    if (nonce) claims.nonce = nonce;
    return signJwt(claims, this.key);
  }

  /**
   * A user-assigned managed identity's token, as the App Service identity endpoint hands out: issuer
   * the identity's tenant (v2.0), `sub` and `oid` its principal id, `appid` its client id.
   */
  managedIdentityToken(identity: ManagedIdentity, audience: string, lifetimeSeconds: number): string {
    const iat = this.seconds();
    return signJwt(
      {
        aud: audience,
        iss: issuerFor(identity.tenantId),
        iat,
        nbf: iat,
        exp: iat + lifetimeSeconds,
        tid: identity.tenantId,
        oid: identity.principalId,
        sub: identity.principalId,
        appid: identity.clientId,
        azp: identity.clientId,
        idtyp: 'app',
        ver: '2.0',
        uti: randomBytes(16).toString('base64url'),
      },
      this.key,
    );
  }

  /** The claims of a token this emulator signed (any kind), without judging its times. */
  verifyOwn(token: string): Claims | undefined {
    return verifyJwt(token, this.key);
  }

  /** Who a bearer token belongs to, or undefined if it is not ours, tampered with or expired. */
  introspect(token: string): Principal | undefined {
    const claims = verifyJwt(token, this.key);
    if (!claims || typeof claims.exp !== 'number' || typeof claims.aud !== 'string') return undefined;
    if (claims.exp * 1000 <= this.now()) return undefined;
    if (claims.aud.startsWith(LOGIN_HOST) || !claims.appid) return undefined; // id tokens are not bearer tokens
    const appOnly = claims.idtyp === 'app';
    const tenantId = String(claims.tid);
    return {
      oid: String(claims.oid),
      tenantId,
      appId: String(claims.appid),
      appOnly,
      accountType: tenantId === CONSUMER_TENANT_ID ? 'personal' : 'work',
      scopes: appOnly
        ? ((claims.roles as string[]) ?? [])
        : String(claims.scp ?? '')
            .split(' ')
            .filter(Boolean),
      audience: claims.aud,
      upn: claims.preferred_username as string | undefined,
      displayName: claims.name as string | undefined,
      expiresAt: claims.exp * 1000,
    };
  }
}

/** `client_info`: base64url JSON `{uid, utid}`; MSAL's home account id is `uid.utid`. */
export function clientInfo(user: User): string {
  return Buffer.from(JSON.stringify({ uid: user.oid, utid: user.tenantId })).toString('base64url');
}

// Entra's `sub` is pairwise (differs per app); derive it deterministically so it is stable across calls.
function pairwiseSubject(oid: string, clientId: string): string {
  return createHash('sha256').update(`${oid}:${clientId}`).digest('base64url').slice(0, 43);
}

function servicePrincipalOid(clientId: string, tenantId: string): string {
  // Stable per (app, tenant) like a real service principal; shaped as a GUID.
  const hex = createHash('sha256').update(`${clientId}/${tenantId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const newCorrelationId = () => randomUUID();
