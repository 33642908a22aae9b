// The HTTP shapes every handler speaks. functions/ adapts @azure/functions requests to these and
// the local host adapts node:http, so handlers run the same in Azure, in the local host and in tests.

export interface HttpRequestLike {
  method: string;
  /** Full request URL as the client sent it. */
  url: string;
  /** Route parameters, e.g. `{id}` in `connections/{id}`. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** Raw body text ('' when none). */
  body: string;
}

export interface HttpResult {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is (set content-type for HTML). */
  body?: unknown;
}

/**
 * Every JSON answer: admin answers describe connections, jobs and runs, so no cache (a browser's,
 * or a proxy's) may keep them, and no browser may sniff them into another content type.
 */
export function jsonResult(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    status,
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    },
  };
}

export function htmlResult(status: number, html: string, headers: Record<string, string> = {}): HttpResult {
  return {
    status,
    body: html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // Result pages show nothing from elsewhere and must never be framed or cached.
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'",
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      ...headers,
    },
  };
}
