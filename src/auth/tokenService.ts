// Access tokens for connections. In memory, per connection, until about 5 minutes before expiry;
// one refresh at a time per connection (concurrent callers share it); the rotated refresh token is
// written back to Key Vault only when it changed; errors change the connection's status:
// - invalid_grant / interaction_required: `reauth-required` with the code and advice, and no token
//   request at all until the connection is authorized again (no retry storm);
// - invalid_client (7000215, 7000222): every connection of that app is flagged and an alert raised;
//   the next attempt tries again, so fixing the secret in Key Vault heals them all;
// - transient failures (network, 429, 5xx, temporarily_unavailable): retried with the shared retry
//   policy, honouring Retry-After and never waiting past the caller's deadline.
import { AppError, isAppError } from '../errors';
import { log as rootLog, type Logger } from '../log/logger';
import type { Clock } from '../runtime/clock';
import { DEFAULT_RETRY_POLICY, RetriesExhausted, retrying, type RetryPolicy } from '../runtime/retry';
import type { SecretStore } from '../secrets/secretStore';
import { refreshTokenSecretName } from '../secrets/names';
import type { Connection, ConnectionRepository } from '../store/connections';
import { adviseIdentityError, type Advice } from './advice';
import { delegatedScopes } from './authorizeUrl';
import { resolveEndpoints, type CloudEndpoints, type EndpointOverrides } from '../config/clouds';
import {
  ClientCredentialProvider,
  effectiveClientId,
  type AppDefaults,
  type CredentialLabel,
  type TokenTarget,
} from './credentials';
import { TokenEndpointError, type TokenClient, type TokenResponse } from './tokenClient';

export const EXPIRY_MARGIN_MS = 5 * 60 * 1000;
/** Errors after which the refresh token is useless until a person signs in again. */
const REAUTH_ERRORS = new Set([
  'invalid_grant',
  'interaction_required',
  'login_required',
  'consent_required',
]);

export interface TokenAlert {
  kind: 'invalid-client' | 'reauth-required';
  clientId: string;
  connectionIds: string[];
  advice: Advice;
  /** Which credential was refused (names only). */
  credential?: CredentialLabel;
}

export interface TokenServiceOptions extends AppDefaults, EndpointOverrides {
  connections: ConnectionRepository;
  secrets: SecretStore;
  tokenClient: TokenClient;
  /** How the app proves itself (secret, certificate, federation); default: client secrets only. */
  credentials?: ClientCredentialProvider;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  /** Waits between retries (tests resolve it at once and record the delays). */
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per refresh, first included (default 4). */
  maxAttempts?: number;
  /** First backoff ceiling (default 500 ms), doubled per attempt. */
  baseDelayMs?: number;
  /** Ceiling of one wait, Retry-After included (default 30 s). */
  maxDelayMs?: number;
  onAlert?: (alert: TokenAlert) => void | Promise<void>;
  log?: Logger;
}

interface CachedToken {
  token: string;
  /** When to stop using it (expiry minus the margin). */
  useUntil: number;
}

export class TokenService {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly now: () => number;
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  readonly credentials: ClientCredentialProvider;

  constructor(private readonly options: TokenServiceOptions) {
    this.now = options.now ?? Date.now;
    this.credentials =
      options.credentials ??
      new ClientCredentialProvider(options, { secrets: options.secrets, now: this.now });
    this.clock = {
      now: this.now,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
    const maxDelayMs = options.maxDelayMs ?? 30_000;
    this.retry = {
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: options.maxAttempts ?? 4,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs,
      maxRetryAfterMs: maxDelayMs,
      // At least half of each backoff: a token is on every request's path, so retries of many
      // instances are spread without any of them hammering the endpoint at once.
      jitter: 0.5,
    };
    this.log = options.log ?? rootLog.child({ area: 'auth' });
  }

  endpointsFor(connection: Pick<Connection, 'cloud'>): CloudEndpoints {
    return resolveEndpoints(connection.cloud, this.options);
  }

  /**
   * A valid access token for Microsoft Graph on behalf of the connection. `deadline` (epoch ms):
   * retries of the token endpoint never wait past it; concurrent callers share the first one's.
   */
  async getAccessToken(
    connectionId: string,
    options: { forceRefresh?: boolean; deadline?: number } = {},
  ): Promise<string> {
    if (!options.forceRefresh) {
      const cached = this.cache.get(connectionId);
      if (cached && this.now() < cached.useUntil) return cached.token;
    }
    const running = this.inFlight.get(connectionId);
    if (running) return running;
    const flight = this.acquire(connectionId, options.deadline).finally(() =>
      this.inFlight.delete(connectionId),
    );
    this.inFlight.set(connectionId, flight);
    return flight;
  }

  /** Forget the cached token (after a 401 from Graph, or when a connection is re-authorized or deleted). */
  invalidate(connectionId: string): void {
    this.cache.delete(connectionId);
  }

  /** Puts a freshly issued token in the cache (the callback just redeemed a code). */
  remember(connectionId: string, response: Pick<TokenResponse, 'accessToken' | 'expiresIn'>): void {
    const lifetime = response.expiresIn * 1000;
    const margin = Math.min(EXPIRY_MARGIN_MS, lifetime / 2);
    this.cache.set(connectionId, { token: response.accessToken, useUntil: this.now() + lifetime - margin });
  }

  /**
   * Refreshes every authorized delegated connection that has not refreshed for `maxIdleDays`, so the
   * refresh token's 90-day inactivity limit never ends a rarely-run job. Failures are recorded on the
   * connection by the refresh itself; this returns what happened.
   */
  async refreshIdle(maxIdleDays = 30): Promise<{ refreshed: string[]; failed: string[] }> {
    const cutoff = this.now() - maxIdleDays * 24 * 3600 * 1000;
    const result = { refreshed: [] as string[], failed: [] as string[] };
    for (const connection of await this.options.connections.list()) {
      if (connection.authMode !== 'delegated' || connection.status !== 'authorized') continue;
      const last = Date.parse(connection.lastRefreshAt ?? connection.authorizedAt ?? connection.createdAt);
      if (Number.isFinite(last) && last > cutoff) continue;
      try {
        await this.getAccessToken(connection.id, { forceRefresh: true });
        result.refreshed.push(connection.id);
      } catch {
        result.failed.push(connection.id);
      }
    }
    return result;
  }

  private async acquire(connectionId: string, deadline?: number): Promise<string> {
    const connection = await this.options.connections.require(connectionId);
    // App-only connections have no sign-in to redo: their errors never block the next attempt.
    if (connection.status === 'reauth-required' && connection.authMode === 'delegated') {
      throw new AppError('ReauthRequired', `Connection '${connection.name}' must be authorized again`, {
        advice: connection.advice ?? 'Open the connection in the setup page and choose Authorize again.',
        detail: connection.statusCode,
      });
    }
    const response =
      connection.authMode === 'app-only'
        ? await this.appOnly(connection, deadline)
        : await this.refresh(connection, deadline);
    this.remember(connectionId, response);
    return response.accessToken;
  }

  /** Where this connection's token requests (and so its client assertions) go. */
  targetFor(connection: Pick<Connection, 'cloud' | 'tenant'>): TokenTarget {
    const endpoints = this.endpointsFor(connection);
    return {
      tokenUrl: endpoints.tokenUrl(connection.tenant),
      tokenExchangeAudience: endpoints.tokenExchangeAudience,
    };
  }

  private async appOnly(connection: Connection, deadline?: number): Promise<TokenResponse> {
    const clientId = effectiveClientId(connection, this.options);
    const endpoints = this.endpointsFor(connection);
    const target = this.targetFor(connection);
    // Each attempt makes its own assertion: one is never sent twice (the jti is single use).
    const response = await this.withRetries(connection, clientId, deadline, () =>
      this.credentials.withClient(connection, target, (client) =>
        this.options.tokenClient.clientCredentials(target.tokenUrl, client, {
          scope: `${endpoints.graphResource}/.default`,
        }),
      ),
    );
    await this.recordSuccess(connection);
    return response;
  }

  private async refresh(connection: Connection, deadline?: number): Promise<TokenResponse> {
    const secretName = refreshTokenSecretName(connection.id);
    const stored = await this.options.secrets.getSecret(secretName);
    if (!stored) {
      const advice: Advice = {
        code: connection.status === 'new' ? 'not-authorized' : 'refresh-token-missing',
        title: 'Not signed in',
        explanation:
          connection.status === 'new'
            ? 'This connection has not been authorized yet.'
            : 'The saved sign-in of this connection is missing from Key Vault.',
        fix: 'Open the connection in the setup page and choose Authorize.',
        action: 'reauthorize',
      };
      await this.markReauthRequired(connection, advice);
      throw reauthError(connection, advice);
    }
    const clientId = effectiveClientId(connection, this.options);
    const target = this.targetFor(connection);
    const response = await this.withRetries(connection, clientId, deadline, () =>
      this.credentials.withClient(connection, target, (client) =>
        this.options.tokenClient.refresh(target.tokenUrl, client, {
          refreshToken: stored.value,
          scopes: delegatedScopes(connection.driveType),
        }),
      ),
    );
    const rotated = response.refreshToken !== undefined && response.refreshToken !== stored.value;
    if (rotated) {
      await this.options.secrets.setSecret(secretName, response.refreshToken!, {
        contentType: 'refresh-token',
        tags: { connectionId: connection.id },
      });
    }
    this.log.info('token.refreshed', { connectionId: connection.id, rotated });
    await this.recordSuccess(connection);
    return response;
  }

  private async recordSuccess(connection: Connection): Promise<void> {
    const patch: Partial<Connection> = { lastRefreshAt: new Date(this.now()).toISOString() };
    if (
      connection.status === 'error' ||
      (connection.authMode === 'app-only' && connection.status === 'new')
    ) {
      Object.assign(patch, {
        status: 'authorized',
        statusCode: undefined,
        statusReason: undefined,
        advice: undefined,
      });
    }
    await this.options.connections.update(connection.id, patch);
  }

  /** Runs one token request with the retry policy for transient failures; maps the final failure. */
  private async withRetries(
    connection: Connection,
    clientId: string,
    deadline: number | undefined,
    request: () => Promise<TokenResponse>,
  ): Promise<TokenResponse> {
    try {
      return await retrying(request, {
        policy: this.retry,
        clock: this.clock,
        deadline,
        decide: (error) =>
          error instanceof TokenEndpointError && error.transient
            ? {
                retry: true,
                reason: `status ${error.status}`,
                retryAfterMs:
                  error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000,
              }
            : { retry: false },
        onRetry: ({ attempt, delayMs, reason }) =>
          this.log.warn('token.retry', { connectionId: connection.id, attempt, delayMs, reason }),
      });
    } catch (error) {
      const label = this.credentials.label(connection);
      if (isAppError(error, 'InvalidClient')) {
        // Refused before any request: every version of the certificate expired or is disabled.
        const advice = localCredentialAdvice(error);
        const ids = await this.flagApp(clientId, advice);
        await this.alert({ kind: 'invalid-client', clientId, connectionIds: ids, advice, credential: label });
        throw error;
      }
      if (!(error instanceof TokenEndpointError)) throw error;
      throw await this.handleFailure(connection, clientId, label, error);
    }
  }

  private async handleFailure(
    connection: Connection,
    clientId: string,
    label: CredentialLabel,
    error: TokenEndpointError,
  ): Promise<AppError> {
    const advice = adviseIdentityError(error, {
      clientId,
      tenant: connection.tenant,
      clientSecretName: label.clientSecretName,
      credentialKind: label.kind,
      certificateName: label.certificateName,
      loginOrigin: this.endpointsFor(connection).loginOrigin,
    });
    const detail = `${advice.code}${error.traceId ? ` (trace ${error.traceId})` : ''}`;
    this.log.warn('token.failed', {
      connectionId: connection.id,
      status: error.status,
      error: error.error,
      errorCodes: error.errorCodes,
      traceId: error.traceId,
      correlationId: error.correlationId,
    });
    if (error.transient) {
      // Retried already (until the attempts or the caller's time ran out): a caller's own retry
      // loop must not start these attempts over.
      return new RetriesExhausted('Transient', 'Microsoft sign-in is temporarily unavailable', {
        advice: advice.fix,
        detail,
        retryAfterSeconds: error.retryAfterSeconds,
      });
    }
    if (error.error === 'invalid_client' || advice.action === 'fix-client') {
      const ids = await this.flagApp(clientId, advice);
      await this.alert({ kind: 'invalid-client', clientId, connectionIds: ids, advice, credential: label });
      return new AppError('InvalidClient', advice.title, { advice: advice.fix, detail });
    }
    if (
      connection.authMode === 'delegated' &&
      (REAUTH_ERRORS.has(error.error) || advice.action === 'reauthorize')
    ) {
      this.invalidate(connection.id);
      await this.markReauthRequired(connection, advice);
      await this.alert({ kind: 'reauth-required', clientId, connectionIds: [connection.id], advice });
      return reauthError(connection, advice);
    }
    await this.options.connections.update(connection.id, {
      status: 'error',
      statusCode: advice.code,
      statusReason: advice.explanation,
      advice: advice.fix,
    });
    return new AppError('UpstreamError', advice.title, { advice: advice.fix, detail });
  }

  /**
   * A code redemption (the callback) failed because of the app's own credential: the same flags
   * and the same alert as when a refresh fails that way, so a person hears of it either way.
   */
  async reportClientFailure(connection: Connection, error: TokenEndpointError | AppError): Promise<void> {
    const label = this.credentials.label(connection);
    const clientId = effectiveClientId(connection, this.options);
    if (!(error instanceof TokenEndpointError)) {
      if (!isAppError(error, 'InvalidClient')) return;
      const advice = localCredentialAdvice(error);
      const ids = await this.flagApp(clientId, advice, connection.id);
      await this.alert({ kind: 'invalid-client', clientId, connectionIds: ids, advice, credential: label });
      return;
    }
    const advice = adviseIdentityError(error, {
      clientId,
      tenant: connection.tenant,
      clientSecretName: label.clientSecretName,
      credentialKind: label.kind,
      certificateName: label.certificateName,
    });
    if (error.transient || (error.error !== 'invalid_client' && advice.action !== 'fix-client')) return;
    const ids = await this.flagApp(clientId, advice, connection.id);
    await this.alert({ kind: 'invalid-client', clientId, connectionIds: ids, advice, credential: label });
  }

  private async markReauthRequired(connection: Connection, advice: Advice): Promise<void> {
    await this.options.connections.update(connection.id, {
      status: 'reauth-required',
      statusCode: advice.code,
      statusReason: advice.explanation,
      advice: advice.fix,
    });
  }

  /** Flags every connection that signs in with this app; returns their ids. */
  private async flagApp(clientId: string, advice: Advice, except?: string): Promise<string[]> {
    const ids: string[] = [];
    for (const other of await this.options.connections.list()) {
      if (effectiveClientId(other, this.options) !== clientId || other.id === except) continue;
      // A connection already waiting for a person keeps that status: it needs both fixes, sign-in last.
      if (other.status === 'reauth-required') continue;
      this.invalidate(other.id);
      await this.options.connections.update(other.id, {
        status: 'error',
        statusCode: advice.code,
        statusReason: advice.explanation,
        advice: advice.fix,
      });
      ids.push(other.id);
    }
    return ids;
  }

  private async alert(alert: TokenAlert): Promise<void> {
    this.log.error(alert.kind === 'invalid-client' ? 'auth.invalidClient' : 'auth.reauthRequired', {
      clientId: alert.clientId,
      connectionIds: alert.connectionIds,
      adviceCode: alert.advice.code,
    });
    try {
      await this.options.onAlert?.(alert);
    } catch (error) {
      // An alert channel failing must not hide the token error from the caller.
      this.log.warn('auth.alertFailed', {
        error: isAppError(error) ? error.code : String((error as Error)?.name),
      });
    }
  }
}

/** The advice of a credential this service refused to use itself (no certificate version is valid). */
function localCredentialAdvice(error: AppError): Advice {
  return {
    code: error.detail ?? 'InvalidClient',
    title: error.message,
    explanation: `${error.message}, so the app cannot prove itself to Microsoft and no connection can sign in or refresh.`,
    fix: error.advice ?? '',
    action: 'fix-client',
  };
}

function reauthError(connection: Connection, advice: Advice): AppError {
  return new AppError(
    'ReauthRequired',
    `Connection '${connection.name}' must be authorized again: ${advice.title}`,
    {
      advice: advice.fix,
      detail: advice.code,
    },
  );
}
