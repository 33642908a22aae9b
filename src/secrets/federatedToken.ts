// The managed identity's token for the token-exchange audience, sent as the client assertion of a
// federated identity credential. In Azure it comes from @azure/identity's ManagedIdentityCredential
// for the app's user-assigned identity (Microsoft supports only user-assigned identities as an app's
// federated credential). Locally it comes from the identity emulator's managed-identity endpoint,
// spoken to with the App Service protocol (GET ?resource=&api-version=2019-08-01&client_id=, header
// X-IDENTITY-HEADER) by the small client below: the SDK reads that endpoint only from the process's
// IDENTITY_ENDPOINT/IDENTITY_HEADER variables, which the local host and tests must not set for the
// whole process (the Key Vault and storage credentials would follow them too).
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { AppError } from '../errors';
import { registerSecret } from '../log/logger';

export interface AssertionTokenSource {
  /** A token issued for `audience` (e.g. api://AzureADTokenExchange), valid for a few minutes at least. */
  getToken(audience: string): Promise<string>;
}

export interface FederatedTokenOptions {
  /** Client id of the user-assigned managed identity (MANAGED_IDENTITY_CLIENT_ID). */
  managedIdentityClientId?: string;
  /** MANAGED_IDENTITY_ENDPOINT_OVERRIDE (the emulator). */
  endpointOverride?: string;
  endpointHeader?: string;
  fetchImpl?: (url: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
}

const MARGIN_MS = 5 * 60_000;

function missingIdentity(): AppError {
  return new AppError('ConfigInvalid', 'Federation needs a user-assigned managed identity', {
    field: 'MANAGED_IDENTITY_CLIENT_ID',
    advice:
      'Set MANAGED_IDENTITY_CLIENT_ID to the client id of the function app’s user-assigned identity (the template does), or use CLIENT_CREDENTIAL=certificate: Microsoft accepts only user-assigned identities as an app’s federated credential.',
  });
}

function noToken(detail: string): AppError {
  return new AppError('Transient', 'The managed identity gave no token', {
    detail,
    advice:
      'Check that the function app has the user-assigned identity MANAGED_IDENTITY_CLIENT_ID attached (Identity › User assigned), then try again.',
  });
}

class CredentialTokenSource implements AssertionTokenSource {
  constructor(private readonly credential: TokenCredential) {}

  async getToken(audience: string): Promise<string> {
    let token;
    try {
      token = await this.credential.getToken(`${audience}/.default`);
    } catch (error) {
      throw noToken(String((error as Error)?.name ?? 'error'));
    }
    if (!token) throw noToken('empty');
    registerSecret(token.token);
    return token.token;
  }
}

class AppServiceEndpointTokenSource implements AssertionTokenSource {
  private readonly cache = new Map<string, { token: string; useUntil: number }>();
  private readonly fetchImpl: (url: string, init: RequestInit) => Promise<Response>;
  private readonly now: () => number;

  constructor(
    private readonly endpoint: string,
    private readonly header: string,
    private readonly clientId: string,
    options: FederatedTokenOptions,
  ) {
    this.fetchImpl = options.fetchImpl ?? ((url, init) => fetch(url, init));
    this.now = options.now ?? Date.now;
  }

  async getToken(audience: string): Promise<string> {
    const cached = this.cache.get(audience);
    if (cached && this.now() < cached.useUntil) return cached.token;
    const url = new URL(this.endpoint);
    url.searchParams.set('resource', audience);
    url.searchParams.set('api-version', '2019-08-01');
    url.searchParams.set('client_id', this.clientId);
    let response: Response;
    try {
      response = await this.fetchImpl(url.toString(), {
        headers: { 'X-IDENTITY-HEADER': this.header, accept: 'application/json' },
        // Not followed: fetch would pass the identity header on to the Location's host.
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      });
    } catch {
      throw noToken('no response from the managed-identity endpoint');
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_on?: string };
    if (!response.ok || typeof body.access_token !== 'string') throw noToken(`HTTP ${response.status}`);
    registerSecret(body.access_token);
    const expiresMs = Number(body.expires_on) * 1000 || this.now() + 3600_000;
    this.cache.set(audience, { token: body.access_token, useUntil: expiresMs - MARGIN_MS });
    return body.access_token;
  }
}

export function createFederatedTokenSource(options: FederatedTokenOptions): AssertionTokenSource {
  const clientId = options.managedIdentityClientId;
  if (!clientId) {
    return {
      getToken: () => Promise.reject(missingIdentity()),
    };
  }
  if (options.endpointOverride)
    return new AppServiceEndpointTokenSource(
      options.endpointOverride,
      options.endpointHeader ?? '',
      clientId,
      options,
    );
  return new CredentialTokenSource(new ManagedIdentityCredential({ clientId }));
}
