// A small client for the identity platform v2 token endpoint: code redemption (with PKCE), refresh,
// and client credentials.
//
// Why not @azure/msal-node: each connection's refresh token must live in Key Vault as a
// plain secret, be written back only when it rotated, and be dropped on invalid_grant. MSAL keeps
// refresh tokens inside its serialized cache and hides them from callers (acquireTokenByRefreshToken
// exists only for migration and does not return the new refresh token), so "written back only when
// changed" would mean diffing cache blobs; it also needs an id_token and client_info to build an
// account, and discovery metadata to be injected for each national cloud and the emulator. Its
// errors come back as strings to parse. The protocol here is three form POSTs, so owning them keeps
// the raw error JSON (error, error_codes, trace_id) for the advice table and lets the token service
// decide retries, single-flight and status changes itself.
import { registerSecret } from '../log/logger';
import { CLIENT_ASSERTION_TYPE } from './assertion';
import { parseRetryAfter } from '../runtime/retry';

export interface TokenResponse {
  accessToken: string;
  /** Absent for client credentials; a new one on every refresh (rotation). */
  refreshToken?: string;
  /** Seconds the access token is valid for. */
  expiresIn: number;
  scope?: string;
  /** Claims of the id_token, when one came back (code redemption with openid). */
  idTokenClaims?: Record<string, unknown>;
}

export interface TokenErrorBody {
  error: string;
  error_description?: string;
  error_codes?: number[];
  trace_id?: string;
  correlation_id?: string;
}

/** A failure of the token endpoint, with the upstream fields safe to show (no request content). */
export class TokenEndpointError extends Error {
  constructor(
    /** HTTP status; 0 when no response arrived (network error). */
    readonly status: number,
    readonly error: string,
    readonly errorCodes: number[],
    readonly description: string,
    readonly traceId?: string,
    readonly correlationId?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`Token endpoint: ${error}${errorCodes.length ? ` (AADSTS${errorCodes.join(', AADSTS')})` : ''}`);
    this.name = 'TokenEndpointError';
  }

  /** Worth another try: no response, throttling, server errors, or the endpoint says so. */
  get transient(): boolean {
    return (
      this.status === 0 ||
      this.status === 429 ||
      this.status >= 500 ||
      this.error === 'temporarily_unavailable' ||
      this.error === 'server_error'
    );
  }
}

/** How the app authenticates: a client secret, or a client assertion (a signed JWT or a federated token). */
export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
  clientAssertion?: string;
}

export interface TokenClient {
  redeemCode(
    tokenUrl: string,
    client: ClientCredentials,
    request: { code: string; redirectUri: string; codeVerifier: string; scopes: string[] },
  ): Promise<TokenResponse>;
  refresh(
    tokenUrl: string,
    client: ClientCredentials,
    request: { refreshToken: string; scopes: string[] },
  ): Promise<TokenResponse>;
  clientCredentials(
    tokenUrl: string,
    client: ClientCredentials,
    request: { scope: string },
  ): Promise<TokenResponse>;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

function decodeJwtPayload(jwt: string | undefined): Record<string, unknown> | undefined {
  if (!jwt) return undefined;
  const part = jwt.split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The first line of an AADSTS description, without the trace and correlation ids (shown separately). */
function shortDescription(text: string | undefined): string {
  return (text ?? '')
    .split(/\r?\n/)[0]
    .replace(/\s*Trace ID:.*$/s, '')
    .trim();
}

function codesFrom(body: Partial<TokenErrorBody>): number[] {
  if (Array.isArray(body.error_codes) && body.error_codes.length) return body.error_codes.map(Number);
  const match = /AADSTS(\d+)/.exec(body.error_description ?? '');
  return match ? [Number(match[1])] : [];
}

export class HttpTokenClient implements TokenClient {
  constructor(
    private readonly fetchImpl: FetchLike = (url, init) => fetch(url, init),
    private readonly timeoutMs = 30_000,
  ) {}

  redeemCode(
    tokenUrl: string,
    client: ClientCredentials,
    request: { code: string; redirectUri: string; codeVerifier: string; scopes: string[] },
  ): Promise<TokenResponse> {
    registerSecret(request.code);
    registerSecret(request.codeVerifier);
    return this.post(tokenUrl, client, {
      grant_type: 'authorization_code',
      code: request.code,
      redirect_uri: request.redirectUri,
      code_verifier: request.codeVerifier,
      scope: request.scopes.join(' '),
    });
  }

  refresh(
    tokenUrl: string,
    client: ClientCredentials,
    request: { refreshToken: string; scopes: string[] },
  ): Promise<TokenResponse> {
    registerSecret(request.refreshToken);
    return this.post(tokenUrl, client, {
      grant_type: 'refresh_token',
      refresh_token: request.refreshToken,
      scope: request.scopes.join(' '),
    });
  }

  clientCredentials(
    tokenUrl: string,
    client: ClientCredentials,
    request: { scope: string },
  ): Promise<TokenResponse> {
    return this.post(tokenUrl, client, { grant_type: 'client_credentials', scope: request.scope });
  }

  private async post(
    tokenUrl: string,
    client: ClientCredentials,
    fields: Record<string, string>,
  ): Promise<TokenResponse> {
    // Secret in the body (client_secret_post), as the identity platform documents for web apps; or
    // the assertion with its type (private_key_jwt, and federated tokens the same way).
    const proof: Record<string, string> = {};
    if (client.clientAssertion !== undefined) {
      registerSecret(client.clientAssertion);
      proof.client_assertion_type = CLIENT_ASSERTION_TYPE;
      proof.client_assertion = client.clientAssertion;
    } else {
      registerSecret(client.clientSecret);
      proof.client_secret = client.clientSecret ?? '';
    }
    const body = new URLSearchParams({ client_id: client.clientId, ...proof, ...fields });
    let response: Response;
    try {
      response = await this.fetchImpl(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
        // Never followed: a 307/308 would send this body, the secret or assertion, to whatever host
        // the Location names. The identity platform does not redirect token requests, so a 3xx is
        // an answer (an error naming its status), not a path to take.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // Only the error's class and code: a network error's message may quote the request.
      const code =
        (error as { cause?: { code?: string } })?.cause?.code ?? (error as Error)?.name ?? 'network';
      throw new TokenEndpointError(0, 'network_error', [], `No response from the token endpoint (${code})`);
    }
    const text = await response.text();
    let json: Record<string, unknown>;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // A proxy's HTML error page, for example: treated as an error without a body.
      json = {};
    }
    if (!response.ok || typeof json.access_token !== 'string') {
      const errorBody = json as Partial<TokenErrorBody>;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
      throw new TokenEndpointError(
        response.status,
        typeof errorBody.error === 'string'
          ? errorBody.error
          : response.ok
            ? 'invalid_response'
            : `http_${response.status}`,
        codesFrom(errorBody),
        shortDescription(errorBody.error_description),
        errorBody.trace_id,
        errorBody.correlation_id,
        retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
      );
    }
    const accessToken = json.access_token as string;
    const refreshToken = typeof json.refresh_token === 'string' ? json.refresh_token : undefined;
    registerSecret(accessToken);
    registerSecret(refreshToken);
    if (typeof json.id_token === 'string') registerSecret(json.id_token);
    return {
      accessToken,
      refreshToken,
      expiresIn: Number(json.expires_in ?? 3600) || 3600,
      scope: typeof json.scope === 'string' ? json.scope : undefined,
      idTokenClaims: decodeJwtPayload(typeof json.id_token === 'string' ? json.id_token : undefined),
    };
  }
}
