// POST /{tenant}/oauth2/v2.0/token: authorization_code, refresh_token and client_credentials grants.
import { createHash } from 'node:crypto';
import type { EmulatorResponse, EmulatorServer } from '../shared/server';
import { knownTenantSegment } from './accountRules';
import { authenticateClient } from './clientAuth';
import { CONSUMER_TENANT_ID, GRAPH_RESOURCE, RESOURCE_APP_IDS } from './constants';
import type { IdentityContext } from './context';
import type { AppRegistration, User } from './directory';
import { DEFAULT_DELEGATED_PERMISSIONS } from './directory';
import type { ErrorParams } from './errors';
import { clientInfo, issuerFor } from './tokens';
import { jsonError } from './respond';
import { parseScopes, splitScopes, type ScopeRequest } from './scopes';

type Fail = (code: number, params?: ErrorParams) => EmulatorResponse;

/** .NET round-trip format with 7 fractional digits, as in Entra's AADSTS700082 text. */
const dotnetTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

export function installToken(server: EmulatorServer, ctx: IdentityContext): void {
  server.route('POST', '/:tenant/oauth2/v2.0/token', (req) => {
    const form = new URLSearchParams(req.body.toString('utf8'));
    const grantType = form.get('grant_type') ?? '';
    ctx.counters.token += 1;
    ctx.counters.tokenByGrant[grantType] = (ctx.counters.tokenByGrant[grantType] ?? 0) + 1;
    const now = ctx.now();
    const tenant = req.params.tenant;
    const fail: Fail = (code, params = {}) => jsonError(code, params, req, now);

    const injected = ctx.script.tokenFailures.shift();
    if (injected !== undefined) {
      const clientId = form.get('client_id') ?? undefined;
      const app = ctx.directory.app(clientId);
      return fail(injected, {
        appId: clientId,
        appName: app?.displayName,
        redirectUri: form.get('redirect_uri') ?? undefined,
        expectedRedirectUri: app?.redirectUris[0],
        tenant,
        tenantName: tenant,
        issuedAt: dotnetTime(now),
        validFrom: dotnetTime(now),
        scope: form.get('scope') ?? undefined,
        resourceAppId: resourceAppIdOf(form.get('scope')),
      });
    }
    if (!knownTenantSegment(ctx.directory, tenant)) return fail(90002, { tenant });
    const auth = authenticateClient(req, form, ctx.directory, now, {
      tenant,
      tokenEndpoint: `${ctx.baseUrl()}/${tenant}/oauth2/v2.0/token`,
      replay: ctx.replay,
      verifyOwnToken: (token) => ctx.minter.verifyOwn(token),
    });
    if (!auth.ok) {
      return fail(auth.code, {
        appId: auth.clientId,
        parameter: 'client_id',
        tenant,
        tenantName: tenant,
        ...auth.params,
      });
    }
    // A managed identity lives in a work tenant and the federated credential names that tenant's
    // issuer: the Microsoft account realm has no such record (see emulators/README.md for the sources).
    const federated = auth.method === 'federated';
    if (federated && isConsumers(tenant)) return fail(700211, { issuer: issuerFor(CONSUMER_TENANT_ID) });
    ctx.counters.clientAuth[auth.method] = (ctx.counters.clientAuth[auth.method] ?? 0) + 1;
    switch (grantType) {
      case '':
        return fail(900144, { parameter: 'grant_type' });
      case 'authorization_code':
        return redeemCode(ctx, auth.app, form, fail, federated);
      case 'refresh_token':
        return redeemRefreshToken(ctx, auth.app, form, fail, federated);
      case 'client_credentials':
        return clientCredentials(ctx, auth.app, tenant, form, fail);
      default:
        return fail(70003, { grantType });
    }
  });
}

const isConsumers = (tenant: string) => tenant === 'consumers' || tenant === CONSUMER_TENANT_ID;

function redeemCode(
  ctx: IdentityContext,
  app: AppRegistration,
  form: URLSearchParams,
  fail: Fail,
  federated: boolean,
): EmulatorResponse {
  const code = form.get('code');
  if (!code) return fail(900144, { parameter: 'code' });
  const record = ctx.grants.codes.get(code);
  if (!record || record.clientId !== app.clientId) return fail(9002313);
  if (record.redeemedAt !== undefined) return fail(54005);
  if (ctx.now() >= record.expiresAt) return fail(70008);
  const redirectUri = form.get('redirect_uri') ?? '';
  if (redirectUri !== record.redirectUri) {
    return fail(500112, { redirectUri, expectedRedirectUri: record.redirectUri });
  }
  if (record.codeChallenge) {
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!verifier || challenge !== record.codeChallenge) return fail(501481);
  }
  const user = ctx.directory.user(record.oid);
  if (!user) return fail(9002313);
  if (federated && user.accountType === 'personal')
    return fail(700211, { issuer: issuerFor(CONSUMER_TENANT_ID) });
  const scope = form.get('scope') ?? record.scope;
  const parsed = parseScopes(scope);
  if (!parsed.ok) return fail(28000, { scope });
  record.redeemedAt = ctx.now();
  ctx.counters.codesRedeemed += 1;
  // offline_access is granted at authorize time; asking for it only at the token call is not enough.
  const offline = parsed.value.offline && splitScopes(record.scope).includes('offline_access');
  return delegatedTokens(ctx, app, user, scope, parsed.value, offline, record.nonce);
}

function redeemRefreshToken(
  ctx: IdentityContext,
  app: AppRegistration,
  form: URLSearchParams,
  fail: Fail,
  federated: boolean,
): EmulatorResponse {
  const presented = form.get('refresh_token');
  if (!presented) return fail(900144, { parameter: 'refresh_token' });
  const now = ctx.now();
  const grant = ctx.grants.refreshTokens.get(presented);
  const refuse = (code: number, params: ErrorParams = {}) => {
    ctx.grants.recordUse({ at: now, presented, refusedWith: code });
    return fail(code, params);
  };
  if (!grant || grant.clientId !== app.clientId) return refuse(9002313);
  if (grant.generation < ctx.directory.generation(grant.oid)) {
    const revokedAt = ctx.directory.revocations.get(grant.oid)?.at ?? now;
    return refuse(50173, { issuedAt: dotnetTime(grant.issuedAt), validFrom: dotnetTime(revokedAt) });
  }
  if (now - (grant.lastUsedAt ?? grant.issuedAt) > ctx.settings.refreshInactivityMs) {
    return refuse(700082, { issuedAt: dotnetTime(grant.issuedAt) });
  }
  const user = ctx.directory.user(grant.oid);
  if (!user) return refuse(9002313);
  if (federated && user.accountType === 'personal')
    return refuse(700211, { issuer: issuerFor(CONSUMER_TENANT_ID) });
  const scope = form.get('scope') || grant.scope;
  const parsed = parseScopes(scope);
  if (!parsed.ok) return refuse(28000, { scope });
  grant.lastUsedAt = now;
  const response = delegatedTokens(ctx, app, user, scope, parsed.value, true, undefined, presented);
  ctx.grants.recordUse({
    at: now,
    presented,
    issued: (response.body as { refresh_token?: string }).refresh_token,
  });
  return response;
}

function clientCredentials(
  ctx: IdentityContext,
  app: AppRegistration,
  tenant: string,
  form: URLSearchParams,
  fail: Fail,
): EmulatorResponse {
  const scope = form.get('scope') ?? '';
  const items = splitScopes(scope);
  if (items.length !== 1 || !items[0].endsWith('/.default')) return fail(1002012, { scope });
  const parsed = parseScopes(scope);
  if (!parsed.ok) return fail(28000, { scope });
  // App-only tokens are per tenant; the multi-tenant aliases resolve to the app's home tenant.
  const tenantId = ['common', 'organizations', 'consumers'].includes(tenant) ? app.homeTenantId : tenant;
  if (tenantId === CONSUMER_TENANT_ID) return fail(700016, { appId: app.clientId, tenantName: tenantId });
  const resource = parsed.value.resource;
  const consent = ctx.directory.adminConsent(app.clientId, tenantId);
  // Graph application permissions need admin consent; Key Vault authorizes app-only callers by RBAC.
  if (resource === GRAPH_RESOURCE && !consent) {
    return fail(65001, { appId: app.clientId, appName: app.displayName });
  }
  const lifetime = ctx.settings.accessTokenLifetimeSeconds;
  const accessToken = ctx.minter.accessToken({
    app,
    tenantId,
    audience: resource,
    lifetimeSeconds: lifetime,
    roles: resource === GRAPH_RESOURCE ? (consent?.roles ?? []) : [],
  });
  return {
    status: 200,
    headers: { 'Cache-Control': 'no-store, no-cache' },
    body: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken },
  };
}

function delegatedTokens(
  ctx: IdentityContext,
  app: AppRegistration,
  user: User,
  scope: string,
  request: ScopeRequest,
  offline: boolean,
  nonce?: string,
  parent?: string,
): EmulatorResponse {
  const lifetime = ctx.settings.accessTokenLifetimeSeconds;
  const permissions = grantedPermissions(app, request);
  const accessToken = ctx.minter.accessToken({
    app,
    user,
    tenantId: user.tenantId,
    audience: request.resource,
    lifetimeSeconds: lifetime,
    scopes: permissions,
  });
  const granted = responseScopes(request, permissions, scope);
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: granted.join(' '),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: accessToken,
  };
  if (offline) {
    body.refresh_token = ctx.grants.issueRefresh({
      clientId: app.clientId,
      oid: user.oid,
      tenantId: user.tenantId,
      scope,
      issuedAt: ctx.now(),
      generation: ctx.directory.generation(user.oid),
      parent,
    }).token;
  }
  if (request.openid) {
    body.id_token = ctx.minter.idToken(app, user, lifetime, nonce);
    body.client_info = clientInfo(user);
  }
  return { status: 200, headers: { 'Cache-Control': 'no-store, no-cache' }, body };
}

function grantedPermissions(app: AppRegistration, request: ScopeRequest): string[] {
  if (request.resource !== GRAPH_RESOURCE) return ['user_impersonation'];
  if (request.isDefault) return [...(app.delegatedPermissions ?? DEFAULT_DELEGATED_PERMISSIONS)];
  return request.permissions;
}

// Echo the scopes in the form the client asked for, so MSAL's cache lookups by scope keep matching.
function responseScopes(request: ScopeRequest, permissions: string[], scope: string): string[] {
  const asked = splitScopes(scope).filter(
    (s) => !['openid', 'profile', 'email', 'offline_access'].includes(s),
  );
  const names = request.isDefault
    ? permissions.map((p) => (request.resource === GRAPH_RESOURCE ? p : `${request.resource}/${p}`))
    : asked;
  if (request.openid) names.push('openid', 'profile', 'email');
  return names;
}

function resourceAppIdOf(scope: string | null): string | undefined {
  const parsed = parseScopes(scope);
  return parsed.ok ? RESOURCE_APP_IDS[parsed.value.resource] : undefined;
}
