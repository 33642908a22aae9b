// GET api/auth/callback (anonymous): where Microsoft sends the browser back. The state must exist,
// be unexpired and unused (consumed atomically), the code is redeemed with the derived verifier and
// the client secret from Key Vault, the refresh token goes to Key Vault, the account and drive are
// read and recorded, and the connection becomes authorized. Every outcome is an HTML page that says
// what happened and what to do; the code and the tokens are never logged or shown.
import { isAppError } from '../errors';
import type { HttpRequestLike, HttpResult } from '../http/types';
import { registerSecret, type Logger } from '../log/logger';
import { refreshTokenSecretName } from '../secrets/names';
import type { Connection } from '../store/connections';
import { getDrive, getMe, type DriveInfo } from '../graph/drives';
import { adviseIdentityError, adviseStateProblem, type Advice } from './advice';
import { delegatedScopes } from './authorizeUrl';
import { resolveEndpoints } from '../config/clouds';
import type { AuthDeps } from './deps';
import { failurePage, successPage } from './pages';
import { deriveVerifier } from './pkce';
import { TokenEndpointError } from './tokenClient';

function appErrorAdvice(error: unknown, fallbackTitle: string): Advice {
  if (isAppError(error)) {
    return {
      code: error.code,
      title: fallbackTitle,
      explanation: error.message,
      fix: error.advice ?? 'Try authorizing again in a few minutes.',
      action: 'fix-setup',
    };
  }
  return {
    code: 'internal-error',
    title: fallbackTitle,
    explanation: 'Something unexpected went wrong while completing the sign-in.',
    fix: 'Try authorizing again. If it keeps failing, look at the function app’s logs for auth.callback events.',
    action: 'retry-later',
  };
}

export async function authCallback(
  deps: AuthDeps,
  request: HttpRequestLike,
  log: Logger,
): Promise<HttpResult> {
  const q = request.query;
  const code = q.get('code');
  // The code is not registered with the log masker yet: anyone can call this route, and a value
  // registered from an unchecked request would let them hide chosen log text and grow the masker.
  const consumed = await deps.states.consume(q.get('state'));
  if (!consumed.ok) {
    log.warn('auth.callback.stateRefused', { problem: consumed.problem });
    return failurePage(400, adviseStateProblem(consumed.problem));
  }
  const state = consumed.state;
  const connection = await deps.connections.get(state.connectionId);
  if (!connection) {
    return failurePage(404, {
      code: 'connection-not-found',
      title: 'The connection no longer exists',
      explanation: 'The connection this sign-in was for was deleted while the sign-in was in progress.',
      fix: 'Create the connection again in the setup page and authorize it.',
      action: 'fix-setup',
    });
  }
  const endpoints = resolveEndpoints(connection.cloud, deps.overrides);
  const credential = deps.tokens.credentials.label(connection);
  const adviceContext = {
    redirectUri: state.redirectUri,
    clientId: connection.clientId || deps.app.defaultClientId,
    tenant: connection.tenant,
    loginOrigin: endpoints.loginOrigin,
    clientSecretName: connection.hasOwnClientSecret ? undefined : deps.app.clientSecretName,
    credentialKind: credential.kind,
    certificateName: credential.certificateName,
  };
  const oauthError = q.get('error');
  if (oauthError || !code) {
    const advice = adviseIdentityError(
      { error: oauthError ?? 'invalid_request', description: q.get('error_description') ?? undefined },
      adviceContext,
    );
    log.warn('auth.callback.signInFailed', { connectionId: connection.id, adviceCode: advice.code });
    return failurePage(400, advice);
  }

  // The state was ours and unused, so this code answers a sign-in this app started.
  registerSecret(code);
  let tokens;
  try {
    const key = await deps.stateKeys.version(state.keyVersion);
    if (!key) {
      return failurePage(400, {
        ...adviseStateProblem('expired'),
        code: 'state-key-missing',
        explanation: 'The key that protected this sign-in is no longer in Key Vault.',
      });
    }
    const target = deps.tokens.targetFor(connection);
    const codeVerifier = deriveVerifier(key, q.get('state')!);
    // The client secret, or a client assertion made for this request (see ./credentials.ts).
    tokens = await deps.tokens.credentials.withClient(connection, target, (client) =>
      deps.tokenClient.redeemCode(target.tokenUrl, client, {
        code,
        redirectUri: state.redirectUri,
        codeVerifier,
        scopes: delegatedScopes(connection.driveType),
      }),
    );
  } catch (error) {
    if (error instanceof TokenEndpointError) {
      const advice = adviseIdentityError(error, adviceContext);
      log.warn('auth.callback.redeemFailed', {
        connectionId: connection.id,
        adviceCode: advice.code,
        status: error.status,
        traceId: error.traceId,
      });
      // The app's credential was refused: every connection is affected, so the alert goes out too.
      await deps.tokens
        .reportClientFailure(connection, error)
        .catch((alertError: unknown) =>
          log.warn('auth.callback.alertFailed', { error: (alertError as Error)?.name }),
        );
      return failurePage(400, advice, { traceId: error.traceId, correlationId: error.correlationId });
    }
    if (isAppError(error, 'InvalidClient'))
      await deps.tokens
        .reportClientFailure(connection, error)
        .catch((alertError: unknown) =>
          log.warn('auth.callback.alertFailed', { error: (alertError as Error)?.name }),
        );
    log.error('auth.callback.failed', { connectionId: connection.id, error });
    const advice = appErrorAdvice(error, 'The sign-in could not be completed');
    return failurePage(isAppError(error) ? error.httpStatus : 500, advice);
  }

  if (!tokens.refreshToken) {
    return failurePage(400, {
      code: 'no-refresh-token',
      title: 'Microsoft did not grant offline access',
      explanation:
        'The sign-in succeeded but without the offline_access permission, so the service could not keep working after you leave.',
      fix: 'Add the delegated permission offline_access to the app registration (API permissions › Microsoft Graph), then authorize again.',
      action: 'fix-setup',
    });
  }
  await deps.secrets.setSecret(refreshTokenSecretName(connection.id), tokens.refreshToken, {
    contentType: 'refresh-token',
    tags: { connectionId: connection.id },
  });
  deps.tokens.remember(connection.id, tokens);

  // The account and the drive are read with the fresh token (now in the token service's cache).
  const graph = deps.graph(connection);
  let account: { displayName?: string; upn?: string } = {};
  let drive: DriveInfo | undefined;
  let warning: string | undefined;
  try {
    account = await getMe(graph);
    drive = await getDrive(graph, {
      driveId: connection.driveId,
      siteId: connection.siteId,
    });
  } catch (error) {
    warning =
      `Signed in, but the drive could not be read yet (${isAppError(error) ? error.code : 'error'}). ${
        isAppError(error) && error.advice ? error.advice : ''
      } Use Test on the connection to check again.`.trim();
    log.warn('auth.callback.driveUnreadable', { connectionId: connection.id, error });
  }

  const now = deps.now().toISOString();
  const patch: Partial<Connection> = {
    status: 'authorized',
    statusCode: undefined,
    statusReason: undefined,
    advice: undefined,
    accountName: account.displayName,
    accountUpn: account.upn,
    authorizedAt: now,
    lastRefreshAt: now,
  };
  if (drive) {
    patch.driveId = drive.id;
    // Record what Microsoft says the drive is: a personal account on a `business` connection is fixed here.
    if (
      connection.driveType !== 'sharepoint' &&
      (drive.driveType === 'personal' || drive.driveType === 'business')
    )
      patch.driveType = drive.driveType;
  }
  await deps.connections.update(connection.id, patch);
  log.info('auth.callback.authorized', { connectionId: connection.id, driveType: drive?.driveType });
  return successPage({
    connectionName: connection.name,
    accountName: account.displayName,
    accountUpn: account.upn,
    driveName: drive?.name,
    driveType: drive?.driveType,
    rootFolder: connection.rootFolder,
    warning,
  });
}
