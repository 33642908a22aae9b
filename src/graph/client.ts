// A connection's Graph API for the interactive paths (browsing drives and folders, the connection
// test, the sign-in callback): the one HTTP layer (./http.ts) bound to the connection's cloud's
// Graph host (or GRAPH_ENDPOINT_OVERRIDE) and token. These calls answer a person waiting in the
// setup page, so they retry fewer times than the engines and have no invocation deadline.
import { log as rootLog, type Logger } from '../log/logger';
import { systemClock, type Clock } from '../runtime/clock';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../runtime/retry';
import type { GraphFailureOptions } from './errors';
import { graphCall, type ExchangeRequest, type GraphHttpContext } from './http';

/** What the factory needs from the token service: tokens, and where the connection's Graph is. */
export interface GraphTokenSource<C> {
  getAccessToken(connectionId: string, options?: { forceRefresh?: boolean }): Promise<string>;
  endpointsFor(connection: C): { graphBaseUrl: string };
}

export interface GraphClientOptions {
  retry?: RetryPolicy;
  clock?: Clock;
  log?: Logger;
  requestTimeoutMs?: number;
}

export interface GraphRequest {
  method?: ExchangeRequest['method'];
  /** A path below the API root (`/me/drive`) or, for a nextLink, an absolute URL on the same host. */
  path: string;
  /** Sent as JSON; a string is sent as it is (with the content type given in `contentType`). */
  body?: unknown;
  contentType?: string;
}

export interface GraphClient {
  /** Graph API root including the version, e.g. https://graph.microsoft.com/v1.0. */
  readonly apiBaseUrl: string;
  /** The answer's JSON body; a failure is a typed AppError (./errors.ts). */
  request(request: GraphRequest, what: string, options?: GraphFailureOptions): Promise<unknown>;
}

/** Four tries: enough for a throttling blip, short enough for a person waiting on a page. */
const INTERACTIVE_RETRY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 4, maxRetryAfterMs: 30_000 };

export function createGraphClient<C extends { id: string }>(
  connection: C,
  tokens: GraphTokenSource<NoInfer<C>>,
  options: GraphClientOptions = {},
): GraphClient {
  const apiBaseUrl = tokens.endpointsFor(connection).graphBaseUrl.replace(/\/+$/, '');
  const ctx: GraphHttpContext = {
    clock: options.clock ?? systemClock,
    retry: options.retry ?? INTERACTIVE_RETRY,
    log: options.log ?? rootLog.child({ area: 'graph' }),
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    deadline: Number.MAX_SAFE_INTEGER,
  };
  const provider = ({ forceRefresh }: { forceRefresh: boolean }) =>
    tokens.getAccessToken(connection.id, { forceRefresh });
  return {
    apiBaseUrl,
    async request(request, what, failureOptions) {
      const url = /^https?:\/\//i.test(request.path) ? request.path : `${apiBaseUrl}${request.path}`;
      const json = request.body !== undefined && typeof request.body !== 'string';
      const contentType = request.contentType ?? (json ? 'application/json' : undefined);
      const result = await graphCall(
        ctx,
        provider,
        {
          method: request.method ?? 'GET',
          url,
          headers: contentType ? { 'content-type': contentType } : undefined,
          body: json ? JSON.stringify(request.body) : (request.body as string | undefined),
        },
        what,
        failureOptions,
      );
      return result.body;
    },
  };
}
