// GET /{tenant}/oauth2/v2.0/authorize and the consent form it may render. Checks run in Entra's
// order: what makes the redirect URI untrustworthy is shown as a page (never redirected), everything
// after that goes back to the app as `error` + `error_description`.
import { randomBytes } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse, EmulatorServer } from '../shared/server';
import { checkAppForTenant, checkUser, defaultUser, knownTenantSegment } from './accountRules';
import type { IdentityContext } from './context';
import type { AppRegistration, User } from './directory';
import { catalogueEntry, aadError } from './errors';
import { consentPage } from './pages';
import { correlationIdOf, pageError, redirectError, redirectWith, type RedirectTarget } from './respond';
import { parseScopes } from './scopes';
import type { SignInOutcome } from './script';

interface PendingAuthorize extends RedirectTarget {
  tenant: string;
  app: AppRegistration;
  scope: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  nonce?: string;
}

export function installAuthorize(server: EmulatorServer, ctx: IdentityContext): void {
  const pending = new Map<string, PendingAuthorize>();

  const complete = (
    req: EmulatorRequest,
    request: PendingAuthorize,
    user: User | undefined,
    outcome: SignInOutcome,
  ): EmulatorResponse => {
    const now = ctx.now();
    if (outcome === 'deny') return redirectError(request, 65004, {}, req, now);
    if (typeof outcome === 'object') {
      return redirectWith(request, { error: outcome.error, error_description: outcome.error_description });
    }
    if (!user) return pageError(90002, { tenant: request.tenant }, req, now);
    const refused = checkUser(request.app, request.tenant, user);
    if (refused) return pageError(refused.code, refused.params, req, now);
    const code = ctx.grants.issueCode({
      clientId: request.app.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      scope: request.scope,
      oid: user.oid,
      tenantId: user.tenantId,
      nonce: request.nonce,
      issuedAt: now,
      expiresAt: now + ctx.settings.codeLifetimeMs,
    });
    ctx.counters.codesIssued += 1;
    return redirectWith(request, { code: code.code });
  };

  server.route('GET', '/:tenant/oauth2/v2.0/authorize', (req) => {
    ctx.counters.authorize += 1;
    const now = ctx.now();
    const q = req.query;
    const tenant = req.params.tenant;
    if (!knownTenantSegment(ctx.directory, tenant)) return pageError(90002, { tenant }, req, now);
    const clientId = q.get('client_id');
    if (!clientId) return pageError(900144, { parameter: 'client_id' }, req, now);
    const app = ctx.directory.app(clientId);
    if (!app) return pageError(700016, { appId: clientId, tenant, tenantName: tenant }, req, now);
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return pageError(900144, { parameter: 'redirect_uri' }, req, now);
    if (!app.redirectUris.includes(redirectUri)) {
      return pageError(50011, { appId: app.clientId, redirectUri }, req, now);
    }

    const target: RedirectTarget = {
      redirectUri,
      state: q.get('state'),
      responseMode: q.get('response_mode'),
    };
    const failure = ctx.script.authorizeFailures.shift();
    if (failure) {
      if (failure.aadsts !== undefined) {
        catalogueEntry(failure.aadsts);
        const params = {
          appId: app.clientId,
          appName: app.displayName,
          redirectUri,
          tenant,
          tenantName: tenant,
        };
        return redirectError(target, failure.aadsts, params, req, now, failure.error);
      }
      return redirectWith(target, {
        error: failure.error,
        error_description: failure.error_description ?? failure.error,
      });
    }
    const responseType = q.get('response_type');
    if (responseType !== 'code') {
      return redirectError(target, 700054, { responseType: responseType ?? '' }, req, now);
    }
    const codeChallenge = q.get('code_challenge') ?? undefined;
    const codeChallengeMethod = q.get('code_challenge_method') ?? undefined;
    if (codeChallenge && codeChallengeMethod !== 'S256') return redirectError(target, 50149, {}, req, now);
    const scope = q.get('scope');
    if (!scope) return redirectError(target, 900144, { parameter: 'scope' }, req, now);
    if (!parseScopes(scope).ok) return redirectError(target, 28000, { scope }, req, now);
    const appRule = checkAppForTenant(app, tenant);
    if (appRule) return redirectError(target, appRule.code, appRule.params, req, now);

    const request: PendingAuthorize = {
      ...target,
      tenant,
      app,
      scope,
      codeChallenge,
      codeChallengeMethod,
      nonce: q.get('nonce') ?? undefined,
    };
    const scripted = ctx.script.signIns.shift();
    if (scripted) {
      const user = scripted.userOid
        ? ctx.directory.user(scripted.userOid)
        : defaultUser(ctx.directory, app, tenant, q.get('login_hint'));
      if (scripted.userOid && !user) throw new Error(`nextSignIn names unknown user ${scripted.userOid}`);
      return complete(req, request, user, scripted.outcome);
    }
    if (ctx.script.consentMode === 'interactive') {
      const requestId = randomBytes(16).toString('base64url');
      pending.set(requestId, request);
      const parsed = parseScopes(scope);
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store' },
        body: consentPage({
          app,
          users: [...ctx.directory.users.values()],
          permissions: parsed.ok ? parsed.value.permissions : [],
          action: `/${encodeURIComponent(tenant)}/oauth2/v2.0/authorize/consent`,
          requestId,
          selectedOid: defaultUser(ctx.directory, app, tenant, q.get('login_hint'))?.oid,
        }),
      };
    }
    return complete(req, request, defaultUser(ctx.directory, app, tenant, q.get('login_hint')), 'consent');
  });

  server.route('POST', '/:tenant/oauth2/v2.0/authorize/consent', (req) => {
    const form = new URLSearchParams(req.body.toString('utf8'));
    const requestId = form.get('request') ?? '';
    const request = pending.get(requestId);
    if (!request) {
      const { body } = aadError(9002313, {}, { now: ctx.now(), correlationId: correlationIdOf(req) });
      return { status: 400, body: `<!DOCTYPE html><p>${body.error_description.split('\r\n')[0]}</p>` };
    }
    pending.delete(requestId);
    if (form.get('decision') !== 'accept') return complete(req, request, undefined, 'deny');
    return complete(req, request, ctx.directory.user(form.get('user') ?? undefined), 'consent');
  });
}
