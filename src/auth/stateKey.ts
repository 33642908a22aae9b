// The HMAC key PKCE verifiers are derived from, kept in Key Vault as `oauth-state-key`: a data key
// like any other (../secrets/dataKey.ts), created on first use. Each state records the key version
// it used, so a key written concurrently by another instance, or rotated later, never breaks a
// sign-in in flight.
import { DataKeyProvider } from '../secrets/dataKey';
import { OAUTH_STATE_KEY_SECRET } from '../secrets/names';
import type { SecretStore } from '../secrets/secretStore';

export function stateKeyProvider(secrets: SecretStore): DataKeyProvider {
  return new DataKeyProvider(secrets, OAUTH_STATE_KEY_SECRET, 'oauth-state-hmac-key');
}
