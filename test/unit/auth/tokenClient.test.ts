import { HttpTokenClient, TokenEndpointError } from '../../../src/auth/tokenClient';

const client = { clientId: 'cid', clientSecret: 'very-secret-client-value' };

function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: Array<{ url: string; body: string }> = [];
  const fetchImpl = async (url: string, init: RequestInit) => {
    calls.push({ url, body: String(init.body) });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers });
  };
  return { calls, tokenClient: new HttpTokenClient(fetchImpl) };
}

describe('token client', () => {
  it('redeems a code with the verifier and the secret in the form body', async () => {
    const { calls, tokenClient } = respond(200, {
      access_token: 'at-123456789',
      refresh_token: 'rt-123456789',
      expires_in: 3599,
    });
    const result = await tokenClient.redeemCode('https://login/t/oauth2/v2.0/token', client, {
      code: 'the-code-value',
      redirectUri: 'https://app/cb',
      codeVerifier: 'verifier-value-1234',
      scopes: ['Files.ReadWrite.All', 'offline_access'],
    });
    expect(result).toMatchObject({
      accessToken: 'at-123456789',
      refreshToken: 'rt-123456789',
      expiresIn: 3599,
    });
    expect(Object.fromEntries(new URLSearchParams(calls[0].body))).toEqual({
      client_id: 'cid',
      client_secret: 'very-secret-client-value',
      grant_type: 'authorization_code',
      code: 'the-code-value',
      redirect_uri: 'https://app/cb',
      code_verifier: 'verifier-value-1234',
      scope: 'Files.ReadWrite.All offline_access',
    });
  });

  it('keeps the identity platform error fields, and none of the request', async () => {
    const { tokenClient } = respond(400, {
      error: 'invalid_grant',
      error_description:
        'AADSTS70008: The provided authorization code or refresh token has expired.\r\nTrace ID: t1',
      error_codes: [70008],
      trace_id: 't1',
      correlation_id: 'c1',
    });
    const error = await tokenClient
      .refresh('https://login/t/token', client, { refreshToken: 'rt-secret-0001', scopes: ['User.Read'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({
      status: 400,
      error: 'invalid_grant',
      errorCodes: [70008],
      traceId: 't1',
      transient: false,
    });
    expect((error as TokenEndpointError).description).toBe(
      'AADSTS70008: The provided authorization code or refresh token has expired.',
    );
    expect(JSON.stringify(error) + (error as Error).message).not.toMatch(
      /rt-secret-0001|very-secret-client-value/,
    );
  });

  it('marks throttling as transient and carries Retry-After', async () => {
    const { tokenClient } = respond(429, '<html>busy</html>', { 'retry-after': '12' });
    const error = (await tokenClient
      .clientCredentials('https://login/t/token', client, { scope: 'https://graph.microsoft.com/.default' })
      .catch((e: unknown) => e)) as TokenEndpointError;
    expect(error.transient).toBe(true);
    expect(error.retryAfterSeconds).toBe(12);
    expect(error.error).toBe('http_429');
  });

  it('reports a network failure as transient with status 0', async () => {
    const tokenClient = new HttpTokenClient(async () => {
      throw Object.assign(new TypeError('fetch failed https://x?client_secret=very-secret-client-value'), {
        cause: { code: 'ECONNRESET' },
      });
    });
    const error = (await tokenClient
      .refresh('https://login/t/token', client, { refreshToken: 'rt-x-123456', scopes: [] })
      .catch((e: unknown) => e)) as TokenEndpointError;
    expect(error).toMatchObject({ status: 0, transient: true });
    expect(error.description).toBe('No response from the token endpoint (ECONNRESET)');
  });
});
