// The identity platform v2 authorize URL for a connection (authorization code flow with PKCE).
import type { CloudEndpoints } from '../config/clouds';
import type { DriveType } from '../store/connections';

export const BASE_SCOPES = ['Files.ReadWrite.All', 'offline_access', 'User.Read'] as const;
/** Needed to find SharePoint sites by search; OneDrive connections do without it. */
export const SHAREPOINT_SCOPE = 'Sites.Read.All';

export function delegatedScopes(driveType: DriveType): string[] {
  return driveType === 'sharepoint' ? [...BASE_SCOPES, SHAREPOINT_SCOPE] : [...BASE_SCOPES];
}

export interface AuthorizeRequest {
  endpoints: CloudEndpoints;
  tenant: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  codeChallenge: string;
  /** Re-authorizing asks for consent again (scopes may have changed); a first sign-in lets the person pick an account. */
  reauthorize: boolean;
  loginHint?: string;
}

export function buildAuthorizeUrl(request: AuthorizeRequest): string {
  const url = new URL(request.endpoints.authorizeUrl(request.tenant));
  const params = url.searchParams;
  params.set('client_id', request.clientId);
  params.set('response_type', 'code');
  params.set('redirect_uri', request.redirectUri);
  params.set('response_mode', 'query');
  params.set('scope', request.scopes.join(' '));
  params.set('state', request.state);
  params.set('code_challenge', request.codeChallenge);
  params.set('code_challenge_method', 'S256');
  params.set('prompt', request.reauthorize ? 'consent' : 'select_account');
  if (request.loginHint) params.set('login_hint', request.loginHint);
  return url.toString();
}
