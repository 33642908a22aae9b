// Bearer authentication with Key Vault's challenge. The SDK sends its first request without a token
// (and without a body), reads `authorization` (tenant) and `resource` from WWW-Authenticate on the 401,
// fetches a token for `{resource}/.default` and repeats the request. Every 401 carries the challenge,
// as the service's do.
import type { Authorize, Principal } from '../shared/principal';
import { invalidAudience, invalidToken, missingToken, type KeyVaultError } from './errors';

export const VAULT_RESOURCE = 'https://vault.azure.net';
/** Azure Key Vault's first-party application id: tokens may carry it as the audience instead of the URI. */
export const VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093';

export function challengeHeader(tenantId: string): string {
  return `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="${VAULT_RESOURCE}"`;
}

/**
 * The principal when the request may proceed (undefined without a hook), else the 401 to send. Without
 * a hook any non-empty bearer token passes; with one, the token must name a principal whose audience
 * is the vault (exactly: the service refuses `https://vault.azure.net/` with a trailing slash).
 */
export function authenticate(
  authorization: string | undefined,
  authorize?: Authorize,
): { denied: KeyVaultError } | { denied?: undefined; principal?: Principal } {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return { denied: missingToken() };
  if (!authorize) return {};
  const principal = authorize(match[1]);
  if (!principal) return { denied: invalidToken() };
  if (principal.audience !== VAULT_RESOURCE && principal.audience !== VAULT_APP_ID)
    return { denied: invalidAudience(principal.audience) };
  return { principal };
}
