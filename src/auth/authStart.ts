// GET api/connections/{id}/authorize: a fresh single-use state bound to the connection, the PKCE
// challenge of a verifier derived from it, and a 302 to the connection's cloud's authorize page.
import type { HttpRequestLike, HttpResult } from '../http/types';
import type { Logger } from '../log/logger';
import { buildAuthorizeUrl, delegatedScopes } from './authorizeUrl';
import { resolveEndpoints } from '../config/clouds';
import { effectiveClientId } from './credentials';
import type { AuthDeps } from './deps';
import { failurePage } from './pages';
import { challengeS256, deriveVerifier, newState } from './pkce';

export async function authStart(deps: AuthDeps, request: HttpRequestLike, log: Logger): Promise<HttpResult> {
  const connection = await deps.connections.get(request.params.id ?? '');
  if (!connection) {
    return failurePage(404, {
      code: 'connection-not-found',
      title: 'No such connection',
      explanation: 'The connection to authorize does not exist (it may have been deleted).',
      fix: 'Go back to the setup page and choose Authorize on an existing connection.',
      action: 'fix-setup',
    });
  }
  if (connection.authMode === 'app-only') {
    return failurePage(400, {
      code: 'app-only',
      title: 'App-only connections do not sign in',
      explanation:
        'This connection uses the app’s own permissions (client credentials), so there is no browser sign-in.',
      fix: 'Grant admin consent to the app’s application permissions in the Entra admin center, then use Test on the connection.',
      action: 'fix-setup',
    });
  }
  const state = newState();
  const key = await deps.stateKeys.latest();
  const verifier = deriveVerifier(key.key, state);
  const reauthorize = connection.status !== 'new' || request.query.get('prompt') === 'consent';
  await deps.states.create(state, {
    connectionId: connection.id,
    keyVersion: key.version,
    reauthorize,
    redirectUri: deps.redirectUri,
  });
  const location = buildAuthorizeUrl({
    endpoints: resolveEndpoints(connection.cloud, deps.overrides),
    tenant: connection.tenant,
    clientId: effectiveClientId(connection, deps.app),
    redirectUri: deps.redirectUri,
    scopes: delegatedScopes(connection.driveType),
    state,
    codeChallenge: challengeS256(verifier),
    reauthorize,
    loginHint: reauthorize ? connection.accountUpn : undefined,
  });
  log.info('auth.start', { connectionId: connection.id, reauthorize, cloud: connection.cloud });
  // Old states are swept now and then; a failure here must not stop the sign-in.
  if (Math.random() < 0.05) void deps.states.purgeExpired().catch(() => undefined);
  return {
    status: 302,
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
  };
}
