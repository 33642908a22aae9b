// The Microsoft Graph client for a connection: @microsoft/microsoft-graph-client with the token
// service as its auth provider, the connection's cloud's Graph host (or GRAPH_ENDPOINT_OVERRIDE),
// the SDK's RetryHandler (429/503/504, honouring Retry-After; it never retries octet-stream PUTs, the
// upload engine handles those itself) and one retry with a fresh token after a 401.
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  type AuthenticationProvider,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import type { CloudEndpoints } from '../config/clouds';

/** What the factory needs from the token service. */
export interface GraphTokenSource {
  getAccessToken(connectionId: string, options?: { forceRefresh?: boolean }): Promise<string>;
  invalidate(connectionId: string): void;
  endpointsFor(connection: { cloud: CloudEndpoints['cloud'] }): CloudEndpoints;
}

export interface GraphClientOptions {
  /** Retries of 429/503/504 (default 3). */
  maxRetries?: number;
  /** Base delay in seconds when no Retry-After came (default 3). */
  retryDelaySeconds?: number;
}

/** After a 401, drop the cached token and send the request once more with a new one. */
class RefreshOnUnauthorized implements Middleware {
  private next?: Middleware;

  constructor(private readonly onUnauthorized: () => void) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    await this.next!.execute(context);
    const body = context.options?.body;
    // A stream body is spent after the first try; only replayable bodies are sent again.
    const replayable =
      body === undefined ||
      body === null ||
      typeof body === 'string' ||
      body instanceof ArrayBuffer ||
      ArrayBuffer.isView(body);
    if (context.response?.status === 401 && replayable) {
      this.onUnauthorized();
      await this.next!.execute(context);
    }
  }
}

export function createGraphClient(
  connection: { id: string; cloud: CloudEndpoints['cloud'] },
  tokens: GraphTokenSource,
  options: GraphClientOptions = {},
): Client {
  const endpoints = tokens.endpointsFor(connection);
  let forceNext = false;
  const authProvider: AuthenticationProvider = {
    getAccessToken: async () => {
      const force = forceNext;
      forceNext = false;
      return tokens.getAccessToken(connection.id, { forceRefresh: force });
    },
  };
  const middleware: Middleware[] = [
    new RefreshOnUnauthorized(() => {
      tokens.invalidate(connection.id);
      forceNext = true;
    }),
    new AuthenticationHandler(authProvider),
    new RetryHandler(new RetryHandlerOptions(options.retryDelaySeconds ?? 3, options.maxRetries ?? 3)),
    new RedirectHandler(new RedirectHandlerOptions()),
    new HTTPMessageHandler(),
  ];
  return Client.initWithMiddleware({
    middleware,
    // The SDK treats the first path segment as the API version: base is the origin, version v1.0.
    baseUrl: `${endpoints.graphOrigin}/`,
    defaultVersion: 'v1.0',
    // The SDK sends the token only to hosts it knows; the emulator's host must be named.
    customHosts: new Set([new URL(endpoints.graphOrigin).hostname]),
  });
}
